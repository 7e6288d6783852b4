"""The feature suite (``s1harness.suite``, through ``tests/bdd``) run as a user runs it: ``python -m
pytest tests/bdd`` in a fresh process, with the target options (``--s1h-bus``, ``--s1h-broker``,
``--s1h-external``, ``--s1h-run``), and what it reports scenario by scenario (its JUnit
XML). The target options are the only ones that count: the caller's ``S1HARNESS_BUS`` and the
like are not passed on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/bdd"

TARGET_VARIABLES = (
    "S1HARNESS_BUS",
    "S1HARNESS_BROKER",
    "S1HARNESS_EXTERNAL",
    "S1HARNESS_RUN",
    "S1HARNESS_TIMEOUT",
)
"""What would choose the target behind the options' back."""

TIMEOUT = 600.0


@dataclass(frozen=True)
class SuiteRun:
    """One run of the feature suite: its exit status, its output and each scenario's outcome
    (``passed``, ``failed``, ``error`` or ``skipped``), by test name."""

    returncode: int
    output: str
    results: dict[str, str]

    def not_passed(self) -> dict[str, str]:
        return {name: outcome for name, outcome in self.results.items() if outcome != "passed"}

    def expect_all_passed(self, count: int) -> None:
        """Every one of ``count`` scenarios passed (none failed, errored or was skipped)."""
        assert self.not_passed() == {}, self.output[-6000:]
        assert self.returncode == 0, self.output[-6000:]
        assert len(self.results) == count, sorted(self.results)


def command(junit: Path, args: Sequence[str]) -> list[str]:
    """The suite with ``args``: the target options and any selection (``-k``, ``-n``)."""
    return [
        sys.executable, "-m", "pytest", SUITE, "-p", "no:cacheprovider", "-q",
        f"--junitxml={junit}", *args,
    ]  # fmt: skip


def environment() -> dict[str, str]:
    """This process's environment, less what would make the child a worker of this run or
    choose its target."""
    drop = {"PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"}
    drop |= {"PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", *TARGET_VARIABLES}
    return {k: v for k, v in os.environ.items() if k not in drop}


def run_features(folder: Path, *args: str) -> SuiteRun:
    """Run the feature suite with ``args`` (its JUnit XML kept in ``folder``)."""
    junit = folder / "features.xml"
    done = subprocess.run(
        command(junit, args), cwd=ROOT, env=environment(), capture_output=True, text=True,
        timeout=TIMEOUT, check=False,
    )  # fmt: skip
    return SuiteRun(done.returncode, done.stdout + done.stderr, read_junit(junit))


async def run_features_async(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> SuiteRun:
    """:func:`run_features` without blocking the event loop, for a test that serves the broker
    or listens to it meanwhile (``env``: more environment, e.g. the broker login)."""
    junit = folder / "features.xml"
    process = await asyncio.create_subprocess_exec(
        *command(junit, args), cwd=ROOT, env=environment() | (env or {}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(process.communicate(), TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return SuiteRun(process.returncode, out.decode(errors="replace"), read_junit(junit))


def read_junit(path: Path) -> dict[str, str]:
    """Each test case's outcome, by name (nothing when the run wrote no report)."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for case in ElementTree.parse(path).iter("testcase"):
        tags = {child.tag for child in case}
        outcome = next((t for t in ("error", "failure", "skipped") if t in tags), "passed")
        out[case.get("name", "")] = "failed" if outcome == "failure" else outcome
    return out
