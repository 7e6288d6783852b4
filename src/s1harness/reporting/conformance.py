"""The conformance report of a build under test, check by check (``s1harness conform``).

The feature suite, run with the build's role external, writes one line per scenario (its
outcome, why, and the checks its steps judged: ``--s1h-verdicts``). For each check of the
role's hop (:data:`s1harness.spec.checks.CHECKS`) the verdict is:

* **fail** — a scenario that judged it failed;
* **pass** — scenarios judged it, they passed, and none failed;
* **not observable** — the only scenarios that judged it could not be judged from the wire;
* **not applicable** — no scenario judged it (the build offers no way to, or the suite has no
  scenario for it: the report says which scenarios it knows).

Scenarios that failed before any step judged a check are listed apart: a build that cannot
load its estate, say, fails them all without a check to blame.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s1harness.spec.checks import CHECKS, Check, Hop
from s1harness.spec.errors import InputError

PASS, FAIL, NOT_OBSERVABLE, NOT_APPLICABLE = "pass", "fail", "not observable", "not applicable"
_WORST = {"failed": 3, "skipped": 2, "passed": 1}


@dataclass(frozen=True)
class Scenario:
    """One scenario's line: its outcome (the worst of its phases), why, and what it judged."""

    name: str
    outcome: str
    reason: str
    checks: frozenset[tuple[str, str]]


@dataclass
class CheckVerdict:
    """One check's verdict and the scenarios behind it."""

    check: Check
    verdict: str = NOT_APPLICABLE
    scenarios: list[Scenario] = field(default_factory=list)


@dataclass
class Conformance:
    """The report: the role, its checks' verdicts, the failures no check explains."""

    role: str
    checks: list[CheckVerdict]
    unexplained: list[Scenario]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((PASS, FAIL, NOT_OBSERVABLE, NOT_APPLICABLE), 0)
        for verdict in self.checks:
            out[verdict.verdict] += 1
        return out

    @property
    def verdict(self) -> str:
        """FAIL when any check failed or a scenario failed unexplained, else PASS."""
        failed = self.counts()[FAIL] or self.unexplained
        return "FAIL" if failed else "PASS"


def read_verdicts(path: Path) -> list[Scenario]:
    """The scenarios of a ``--s1h-verdicts`` file (one per scenario, its worst phase).

    Raises:
        InputError: for a missing file or a line that is not one of its JSON objects.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the scenario verdicts ({exc})") from None
    found: dict[str, Scenario] = {}
    for number, line in enumerate(lines, start=1):
        try:
            raw: dict[str, Any] = json.loads(line)
            scenario = Scenario(
                str(raw["scenario"]), str(raw["outcome"]), str(raw.get("reason", "")),
                frozenset((str(h), str(c)) for h, c in raw.get("checks", [])),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{path}:{number}: not a scenario verdict") from None
        known = found.get(scenario.name)
        if known is None or _WORST.get(scenario.outcome, 0) > _WORST.get(known.outcome, 0):
            found[scenario.name] = scenario
    return list(found.values())


def conformance(role: str, scenarios: Iterable[Scenario]) -> Conformance:
    """The verdict of each check of ``role`` (``dsp``, ``s1sp:IOC``…) over ``scenarios``."""
    hop = "DSP" if role == "dsp" else role.removeprefix("s1sp:")
    kind = Hop.DSP if role == "dsp" else Hop.S1SP
    verdicts = {c.name: CheckVerdict(c) for c in CHECKS if c.hop is kind}
    unexplained = []
    for scenario in scenarios:
        mine = [verdicts[name] for h, name in scenario.checks if h == hop and name in verdicts]
        for verdict in mine:
            verdict.scenarios.append(scenario)
        if scenario.outcome == "failed" and not mine:
            unexplained.append(scenario)
    for verdict in verdicts.values():
        verdict.verdict = _verdict(verdict.scenarios)
    return Conformance(role, list(verdicts.values()), unexplained)


def _verdict(scenarios: list[Scenario]) -> str:
    outcomes = {s.outcome for s in scenarios}
    if "failed" in outcomes:
        return FAIL
    if "passed" in outcomes:
        return PASS
    if any(s.reason.startswith("not observable") for s in scenarios):
        return NOT_OBSERVABLE
    return NOT_APPLICABLE


def as_json(report: Conformance) -> dict[str, Any]:
    return {
        "role": report.role,
        "verdict": report.verdict,
        "counts": report.counts(),
        "checks": [
            {
                "check": v.check.name,
                "order": v.check.order,
                "codes": [str(c) for c in v.check.codes],
                "verdict": v.verdict,
                "scenarios": {s.name: s.outcome for s in v.scenarios},
                "failures": [s.reason for s in v.scenarios if s.outcome == "failed"],
            }
            for v in report.checks
        ],
        "unexplained_failures": {s.name: s.reason for s in report.unexplained},
    }


def as_markdown(report: Conformance) -> str:
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.counts().items())
    lines = [
        f"# Conformance of the build playing {report.role}: {report.verdict}",
        "",
        f"Checks: {counts}.",
        "",
        "| order | check | codes | verdict | scenarios | why it failed |",
        "|---|---|---|---|---|---|",
    ]
    for v in sorted(report.checks, key=lambda v: v.check.order):
        codes = ", ".join(str(c) for c in v.check.codes) or "—"
        passed = sum(s.outcome == "passed" for s in v.scenarios)
        why = "; ".join(s.reason for s in v.scenarios if s.outcome == "failed")[:300]
        lines.append(
            f"| {v.check.order} | {v.check.name} | {codes} | **{v.verdict}** "
            f"| {passed} of {len(v.scenarios)} passed | {why.replace('|', '/')} |"
        )
    if report.unexplained:
        lines += ["", "Failed before any check was judged:", ""]
        lines += [f"* {s.name}: {s.reason}" for s in report.unexplained]
    return "\n".join(lines) + "\n"


__all__ = ["Conformance", "as_json", "as_markdown", "conformance", "read_verdicts"]
