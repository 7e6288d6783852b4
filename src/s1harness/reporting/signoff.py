"""The sign-off summary: a requirement × S1SP × device-type matrix over the scenario results.

Classification (the conventions the feature suites follow, ``features/README.md``):

* requirement: the ``tag`` labels ``R1``, ``R2`` and ``MP058`` (SECMP0107 Requirements 1 and 2,
  SECMP0058). A scenario carrying several appears in each of those rows (traceability); the
  suite totals count it once. Without any, it is ``baseline`` when tagged ``baseline``, else
  ``other``;
* S1SP and device type: the scenario's ``s1sp`` and ``device`` parameters, else a tag naming an
  S1SP (``@IOC``) or a device type (``@ESME``); a scenario with neither is in the ``—`` column
  for it (all or none);
* FIA section: the ``fia`` labels, joined.

Every count comes from :class:`~s1harness.reporting.results.ResultSet`, so the summary's
totals are the counts of the allure-results folder (one per scenario, the latest attempt).

The suite's verdict (:meth:`Signoff.verdict`) is **PASS** only when the whole FIA suite ran
(the run records its ``selection``: nothing deselected, every bundled feature) and every
scenario passed; **FAIL** when a scenario failed or broke; **INCOMPLETE** otherwise — a filtered
run, a rerun of failures, features of a project's own, a requirement of the catalogue
(:data:`REQUIREMENTS`) with no scenario run (**NOT RUN**), or a scenario skipped. A filtered run
can therefore never sign off as PASS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from s1harness.reporting.results import ResultSet, ScenarioResult, count_statuses
from s1harness.spec.bus import COHORTS

REQUIREMENTS = ("R1", "R2", "MP058")
UNTRACED = ("baseline", "other")
S1SPS = COHORTS
DEVICES = ("ESME", "GPF", "GSME", "CHF", "PPMID", "HCALCS")
NONE = "—"
NOT_RUN = "NOT RUN"
INCOMPLETE = "INCOMPLETE"
WHOLE = "the whole FIA suite"
PART = "a part of the FIA suite"
"""What the run's recorded ``selection`` says (the suite's plugin records it)."""
RAN = ("passed", "failed", "broken", "unknown")
"""The statuses of a scenario that ran (a skipped one did not)."""
REQUIREMENT_TITLES = {
    "R1": "SECMP0107 Requirement 1 — no RDP check on NO 6.15.1 (SMETS1)",
    "R2": "SECMP0107 Requirement 2 — one-off S1SP data update",
    "MP058": "SECMP0058 — NO certificate owner against the MPAN",
    "baseline": "Baselines (no requirement: current behaviour)",
    "other": "Not traced to a requirement",
}

Column = tuple[str, str]
"""An (S1SP, device type) column of the matrix."""


@dataclass(frozen=True)
class Row:
    """One scenario as the summary lists it."""

    result: ScenarioResult
    requirements: tuple[str, ...]
    s1sp: str
    device: str
    fia: str

    @property
    def column(self) -> Column:
        return (self.s1sp, self.device)


@dataclass(frozen=True)
class Signoff:
    """The matrix and the per-scenario rows behind it."""

    results: ResultSet
    rows: tuple[Row, ...]
    generated: datetime

    @property
    def requirements(self) -> tuple[str, ...]:
        """The matrix rows: every requirement of :data:`REQUIREMENTS`, then the untraced
        groups that have scenarios."""
        present = {r for row in self.rows for r in row.requirements}
        return (*REQUIREMENTS, *(g for g in UNTRACED if g in present))

    @property
    def columns(self) -> tuple[Column, ...]:
        """The (S1SP, device type) pairs that have scenarios, S1SPs and devices in spec order."""
        return tuple(sorted({row.column for row in self.rows}, key=_column_order))

    def cell(self, requirement: str, column: Column) -> dict[str, int]:
        """Counts per status of the scenarios of ``requirement`` in ``column``."""
        return count_statuses(
            r.result.status
            for r in self.rows
            if requirement in r.requirements and r.column == column
        )

    def requirement_total(self, requirement: str) -> dict[str, int]:
        """Counts per status of the scenarios of ``requirement``."""
        return count_statuses(r.result.status for r in self.rows if requirement in r.requirements)

    def column_total(self, column: Column) -> dict[str, int]:
        """Counts per status of the scenarios in ``column`` (each once)."""
        return count_statuses(r.result.status for r in self.rows if r.column == column)

    def totals(self) -> dict[str, int]:
        """Counts per status over the suite: the counts of the allure-results folder."""
        return self.results.counts()

    def not_run(self) -> tuple[str, ...]:
        """The requirements of the catalogue that no scenario of this run exercised."""
        return tuple(r for r in REQUIREMENTS if not ran(self.requirement_total(r)))

    @property
    def selection(self) -> str | None:
        """How much of the FIA suite ran, as the run recorded it (None: not recorded)."""
        return dict(self.results.environment).get("selection")

    def partial(self) -> bool:
        """Whether the run recorded that it ran less than the whole FIA suite (a filter, a
        rerun of failures, features of its own)."""
        return self.selection is not None and self.selection != WHOLE

    def verdict(self) -> str:
        """``PASS``, ``FAIL`` or ``INCOMPLETE`` for the whole run (see the module docstring)."""
        totals = self.totals()
        if totals["failed"] or totals["broken"] or totals["unknown"]:
            return "FAIL"
        if self.partial() or self.not_run() or totals["skipped"] or not totals["passed"]:
            return INCOMPLETE
        return "PASS"

    def failures_first(self) -> tuple[Row, ...]:
        """The rows with the scenarios that failed or broke first, in their order otherwise."""
        return tuple(sorted(self.rows, key=lambda r: r.result.status in ("passed", "skipped")))


def build_signoff(results: ResultSet, generated: datetime) -> Signoff:
    """Classify every scenario of ``results`` (see the module docstring)."""
    rows = tuple(sorted((_row(result) for result in results.scenarios), key=_row_order))
    return Signoff(results=results, rows=rows, generated=generated)


def requirements_of(result: ScenarioResult) -> tuple[str, ...]:
    """The requirement rows a scenario belongs to."""
    traced = tuple(r for r in REQUIREMENTS if r in result.tags)
    if traced:
        return traced
    return ("baseline",) if "baseline" in result.tags else ("other",)


def verdict(counts: dict[str, int]) -> str:
    """``FAIL`` when anything failed or broke, ``PASS`` when something passed and nothing
    failed, ``SKIP`` when everything was skipped, ``—`` for an empty cell."""
    if counts["failed"] or counts["broken"] or counts["unknown"]:
        return "FAIL"
    if counts["passed"]:
        return "PASS"
    return "SKIP" if counts["skipped"] else NONE


def ran(counts: dict[str, int]) -> bool:
    """Whether any of these scenarios ran (skipped ones did not)."""
    return any(counts[status] for status in RAN)


def _row(result: ScenarioResult) -> Row:
    return Row(
        result=result,
        requirements=requirements_of(result),
        s1sp=result.parameter("s1sp") or _tagged(result, S1SPS) or NONE,
        device=result.parameter("device") or _tagged(result, DEVICES) or NONE,
        fia="; ".join(result.label_values("fia")),
    )


def _row_order(row: Row) -> tuple[int, str, str, tuple[tuple[int, str], tuple[int, str]], str]:
    """Requirement, feature, then the rows of one Scenario Outline together (its name without
    the example values) in S1SP and device order."""
    order = (*REQUIREMENTS, *UNTRACED)
    feature = ", ".join(row.result.label_values("feature"))
    outline = row.result.name
    for value in (row.s1sp, row.device):
        outline = outline.replace(value, "")
    name = row.result.name
    return (order.index(row.requirements[0]), feature, outline, _column_order(row.column), name)


def _tagged(result: ScenarioResult, known: tuple[str, ...]) -> str | None:
    """The first of ``known`` the scenario is tagged with."""
    return next((k for k in known if k in result.tags), None)


def _rank(value: str, known: tuple[str, ...]) -> tuple[int, str]:
    if value == NONE:
        return (len(known) + 1, value)
    upper = value.upper()
    hit = next((i for i, k in enumerate(known) if k in upper), len(known))
    return (hit, value)


def _column_order(column: Column) -> tuple[tuple[int, str], tuple[int, str]]:
    return (_rank(column[0], S1SPS), _rank(column[1], DEVICES))
