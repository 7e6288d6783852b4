"""A pytest plugin that reports a feature run's progress as JSON lines, for ``s1harness run``.

Loaded with ``-p s1harness.testing.progress``; writes to the file named by
``$S1HARNESS_PROGRESS`` (nothing without it). One object per line: ``{"event": "collected",
"count": N}`` once the suite is collected, then ``{"event": "result", "nodeid", "name",
"outcome", "seconds", "message"}`` per scenario (``outcome``: passed, failed, broken, skipped —
as Allure says: *failed* is an expectation that did not hold, an assertion failure; *broken* is
any other error, in the scenario or its setup or teardown, that kept it from its verdict).
Under pytest-xdist the controller writes every worker's results.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

import pytest

ENVIRONMENT = "S1HARNESS_PROGRESS"


class _Writer:
    def __init__(self, path: str) -> None:
        self._out: IO[str] = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def emit(self, **event: Any) -> None:
        self._out.write(json.dumps(event) + "\n")

    def close(self) -> None:
        self._out.close()


_writer: _Writer | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _writer  # noqa: PLW0603 - one writer per pytest process
    path = os.environ.get(ENVIRONMENT)
    worker = hasattr(config, "workerinput")  # xdist workers leave it to the controller
    if path and not worker:
        _writer = _Writer(path)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _writer  # noqa: PLW0603
    if _writer is not None:
        _writer.close()
        _writer = None


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    if _writer is not None:
        _writer.emit(event="collected", count=len(session.items))


def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    if _writer is not None:
        _writer.emit(event="collected", count=len(ids))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _writer is None:
        return
    final = report.when == "call" or (report.when == "setup" and not report.passed)
    if report.when == "teardown" and report.failed:
        final = True
    if not final:
        return
    message = ""
    if report.failed:
        message = _last_line(report.longreprtext)
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2])
    _writer.emit(
        event="result",
        nodeid=report.nodeid,
        name=_name(report),
        outcome="broken" if ("broken", True) in report.user_properties else report.outcome,
        seconds=round(report.duration, 3),
        message=message,
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Carry the scenario's title in the report (through xdist, as a user property)."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    title = _title(item)
    if title and ("scenario", title) not in report.user_properties:
        report.user_properties.append(("scenario", title))
    expectation = (AssertionError, pytest.fail.Exception)  # as Allure tells failed from broken
    if report.failed and call.excinfo is not None and not call.excinfo.errisinstance(expectation):
        report.user_properties.append(("broken", True))


def _title(item: pytest.Item) -> str | None:
    """A scenario's title with its example values in place of the ``<placeholders>``."""
    function = getattr(item, "obj", None)
    doc = getattr(function, "__doc__", None) or ""  # pytest-bdd: "<feature>: <scenario>"
    if ": " not in doc:
        return None
    name = doc.split(": ", 1)[1]
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    for key, value in example.items():
        name = name.replace(f"<{key}>", str(value))
    return name


def _name(report: pytest.TestReport) -> str:
    """The scenario's title, else the test's name."""
    titles = [value for key, value in report.user_properties if key == "scenario"]
    return str(titles[0]) if titles else report.nodeid.rpartition("::")[2]


def _last_line(text: str) -> str:
    """The most telling line of a failure: the last ``E   ...`` line, else the last line."""
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (errors[-1] if errors else (lines[-1] if lines else ""))[:300]
