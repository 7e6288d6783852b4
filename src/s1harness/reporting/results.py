"""Reading an allure-results folder as written by allure-pytest-bdd 2.16.

One ``<uuid>-result.json`` per scenario run, ``<uuid>-container.json`` for fixtures (their
``befores``/``afters`` may carry attachments for the ``children`` they wrap), and
``<uuid>-attachment.<ext>`` files named by the ``source`` of an attachment entry.

What the step library puts where (checked against allure-pytest-bdd 2.16.2):

* Gherkin tags are ``tag`` labels without the ``@`` (feature tags included);
* Scenario Outline example columns are top-level ``parameters`` with their raw values
  (``{"name": "s1sp", "value": "IOC"}``);
* ``allure.dynamic.label("fia", ...)`` called inside a step becomes a top-level label
  ``{"name": "fia", "value": ...}``;
* ``allure.attach(...)`` inside a step lands in that step's ``attachments``.

Retries and duplicates: results that share a ``historyId`` (or, without one, the same
``fullName`` and parameters) are one scenario; the latest attempt (greatest ``start``, then
``stop``, then file name) is the one counted — the attempt the Allure report shows — and the
earlier ones are counted as superseded attempts, never as scenarios.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s1harness.spec.errors import InputError

STATUSES = ("passed", "failed", "broken", "skipped", "unknown")
"""Allure's result statuses, in the order the reports list them."""


@dataclass(frozen=True)
class Attachment:
    """One attachment file of a result: its display name, file name and MIME type."""

    name: str
    source: str
    type: str


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario run, as the Allure report will show it."""

    uuid: str
    name: str
    full_name: str
    status: str
    history_id: str
    start: int
    stop: int
    tags: frozenset[str]
    labels: tuple[tuple[str, str], ...]
    parameters: tuple[tuple[str, str], ...]
    links: tuple[tuple[str, str], ...]
    attachments: tuple[Attachment, ...]
    message: str
    file: str

    @property
    def test_id(self) -> str:
        """The id of the scenario's page in an Allure 3 report (``index.html#<test_id>``):
        Allure 3 names a test result by the MD5 of its ``uuid``."""
        return hashlib.md5(self.uuid.encode(), usedforsecurity=False).hexdigest()

    def label_values(self, name: str) -> list[str]:
        """Every value of the labels called ``name``, in order."""
        return [value for key, value in self.labels if key == name]

    def parameter(self, name: str) -> str | None:
        """The value of the parameter called ``name`` (case-insensitive), if any."""
        return next((v for k, v in self.parameters if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class ResultSet:
    """The scenarios of an allure-results folder, one per ``historyId``."""

    folder: Path
    scenarios: tuple[ScenarioResult, ...]
    superseded: int = 0
    containers: int = 0
    environment: tuple[tuple[str, str], ...] = ()
    """What the run recorded of itself (``environment.properties``): its target — bus, broker,
    run ID, the roles other builds played and what they said they were."""

    def counts(self) -> dict[str, int]:
        """Scenarios per status (every status of :data:`STATUSES`, zeros included)."""
        return count_statuses(s.status for s in self.scenarios)


def count_statuses(statuses: Iterable[str]) -> dict[str, int]:
    """A count per Allure status, zeros included; an unrecognised status counts as unknown."""
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        counts[status if status in counts else "unknown"] += 1
    return counts


ENVIRONMENT = "environment.properties"


def read_results(folder: Path) -> ResultSet:
    """Every scenario in ``folder`` (the latest attempt of each).

    Raises:
        InputError: when the folder is missing, holds no result, or a result or container file
            is not the JSON Allure writes.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: no such allure-results folder (run the features first)")
    files = sorted(folder.glob("*-result.json"))
    if not files:
        raise InputError(f"{folder}: no *-result.json files (run the features first)")
    extra = _container_attachments(folder)
    runs = [_scenario(_load(path), path.name, extra) for path in files]
    latest = _latest_attempts(runs)
    return ResultSet(
        folder=folder,
        scenarios=tuple(latest),
        superseded=len(runs) - len(latest),
        containers=len(list(folder.glob("*-container.json"))),
        environment=read_environment(folder),
    )


def read_environment(folder: Path) -> tuple[tuple[str, str], ...]:
    """The ``key = value`` lines of the folder's ``environment.properties`` (none if absent)."""
    path = folder / ENVIRONMENT
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return tuple((key.strip(), value.strip()) for key, _, value in pairs if key.strip())


def write_environment(folder: Path, pairs: Iterable[tuple[str, str]]) -> None:
    """Record the run's identity where Allure shows it (its Environment tab) and the sign-off
    reads it."""
    folder.mkdir(parents=True, exist_ok=True)
    # A properties key ends at its first space: a key of several words takes hyphens.
    lines = [f"{'-'.join(key.split())}={' '.join(value.split())}" for key, value in pairs]
    (folder / ENVIRONMENT).write_text("\n".join(lines) + "\n", encoding="utf-8")


CATEGORIES = (
    {
        "name": "Product defects: the system under test did not do what the scenario expects",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Harness or environment problems: the scenario could not be run to its verdict",
        "matchedStatuses": ["broken"],
    },
)
"""Allure's categories (``categories.json``): an expectation that did not hold is *failed*
(an assertion failure); anything else that stopped a scenario is *broken*."""


def write_categories(folder: Path) -> None:
    """Allure's failure categories, in the results folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "categories.json").write_text(json.dumps(CATEGORIES, indent=1), encoding="utf-8")


def write_executor(folder: Path, *, name: str, build: str) -> None:
    """Who ran the results (Allure's ``executor.json``: the report's Executor section)."""
    executor = {"name": name, "type": "s1harness", "buildName": build}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "executor.json").write_text(json.dumps(executor), encoding="utf-8")


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable Allure JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a readable Allure JSON file (not an object)")
    return data


def _scenario(raw: dict[str, Any], file: str, extra: dict[str, list[Attachment]]) -> ScenarioResult:
    try:
        labels = tuple((str(x["name"]), str(x["value"])) for x in raw.get("labels", ()))
        uuid = str(raw["uuid"])
        return ScenarioResult(
            uuid=uuid,
            name=str(raw.get("name", "")),
            full_name=str(raw.get("fullName", raw.get("name", ""))),
            status=str(raw.get("status", "unknown")),
            history_id=str(raw.get("historyId", "")),
            start=int(raw.get("start", 0)),
            stop=int(raw.get("stop", 0)),
            tags=frozenset(value for key, value in labels if key == "tag"),
            labels=labels,
            parameters=tuple((str(p["name"]), str(p["value"])) for p in raw.get("parameters", ())),
            links=tuple(
                (str(x.get("name") or x["url"]), str(x["url"])) for x in raw.get("links", ())
            ),
            attachments=(*_attachments(raw), *extra.get(uuid, ())),
            message=str(raw.get("statusDetails", {}).get("message", "")).strip(),
            file=file,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{file}: not an Allure result ({type(exc).__name__}: {exc})") from None


def _attachments(node: dict[str, Any]) -> Iterator[Attachment]:
    """The attachments of a result, a fixture or a step, then of their steps, depth first."""
    for item in node.get("attachments", ()):
        yield Attachment(
            str(item.get("name", item["source"])), str(item["source"]), str(item.get("type", ""))
        )
    for step in node.get("steps", ()):
        yield from _attachments(step)


def _container_attachments(folder: Path) -> dict[str, list[Attachment]]:
    """Fixture attachments (containers' befores and afters) by the uuid of each child result."""
    out: dict[str, list[Attachment]] = {}
    for path in sorted(folder.glob("*-container.json")):
        raw = _load(path)
        try:
            found = [
                a
                for f in (*raw.get("befores", ()), *raw.get("afters", ()))
                for a in _attachments(f)
            ]
            for child in raw.get("children", ()):
                out.setdefault(str(child), []).extend(found)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"{path}: not an Allure container ({type(exc).__name__}: {exc})"
            ) from None
    return out


def _latest_attempts(runs: list[ScenarioResult]) -> list[ScenarioResult]:
    by_key: dict[str, ScenarioResult] = {}
    for run in runs:
        key = run.history_id or f"{run.full_name}|{sorted(run.parameters)}"
        kept = by_key.get(key)
        if kept is None or (run.start, run.stop, run.file) > (kept.start, kept.stop, kept.file):
            by_key[key] = run
    return sorted(by_key.values(), key=lambda r: (r.full_name, r.parameters, r.uuid))
