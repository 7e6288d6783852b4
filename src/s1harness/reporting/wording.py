"""What the Markdown and HTML sign-off summaries both say: cell texts, the suite line, the
evidence links of a scenario (relative to the folder the summary is written in)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from s1harness.reporting.results import STATUSES
from s1harness.reporting.signoff import (
    NONE,
    NOT_RUN,
    REQUIREMENTS,
    Column,
    Row,
    Signoff,
    ran,
    verdict,
)

SYMBOLS = {"passed": "✓", "failed": "✗", "broken": "!", "skipped": "↷", "unknown": "?"}
LEGEND = ", ".join(f"{SYMBOLS[s]} {s}" for s in STATUSES)


@dataclass(frozen=True)
class Places:
    """Where the summary is written and what it links to.

    Args:
        out: The folder the summary files are written in.
        results: The allure-results folder (attachments are linked there).
        report: The Allure HTML report's ``index.html``, or ``None`` when it was not built.
        report_kind: ``"allure3"`` (test pages are ``index.html#<testId>``) or ``"allure2"``
            (test pages have ids only the report knows: links go to the report's start page).
    """

    out: Path
    results: Path
    report: Path | None
    report_kind: str = "allure3"

    def href(self, target: Path) -> str:
        """``target`` relative to the summary's folder, with forward slashes."""
        return Path(os.path.relpath(target, self.out)).as_posix()


def cell_text(counts: dict[str, int]) -> str:
    """E.g. ``PASS 3✓``, ``FAIL 1✗ 2✓``, ``—`` for an empty cell."""
    shown = " ".join(f"{counts[s]}{SYMBOLS[s]}" for s in STATUSES if counts[s])
    return f"{verdict(counts)} {shown}" if shown else NONE


def column_title(column: Column) -> str:
    s1sp, device = column
    return f"{s1sp} · {device}"


def requirement_text(signoff: Signoff, requirement: str) -> str:
    """A requirement's total cell: ``NOT RUN`` (with any skipped) for a requirement of the
    catalogue no scenario exercised, else its verdict and counts."""
    counts = signoff.requirement_total(requirement)
    if requirement in REQUIREMENTS and not ran(counts):
        skipped = f" {counts['skipped']}{SYMBOLS['skipped']}" if counts["skipped"] else ""
        return NOT_RUN + skipped
    return cell_text(counts)


def suite_line(signoff: Signoff) -> str:
    totals = signoff.totals()
    parts = ", ".join(f"{totals[s]} {s}" for s in STATUSES)
    line = f"{sum(totals.values())} scenarios — {parts}. Verdict: {signoff.verdict()}"
    notes = [f"not run: {', '.join(missing)}"] if (missing := signoff.not_run()) else []
    notes += [f"ran {signoff.selection}"] if signoff.partial() else []
    return line + (f" ({'; '.join(notes)})" if notes else "")


def reason(row: Row, most: int = 240) -> str:
    """Why a scenario did not pass, in one line (its failure message), or nothing."""
    if row.result.status in ("passed", "skipped") and not row.result.message:
        return ""
    text = " ".join(row.result.message.split())
    return text if len(text) <= most else text[: most - 1] + "…"


def provenance(signoff: Signoff, places: Places) -> str:
    results = signoff.results
    line = (
        f"Generated {signoff.generated.strftime('%Y-%m-%d %H:%M:%S %Z').strip()} from "
        f"{places.href(results.folder)} ({len(results.scenarios)} scenario results"
    )
    if results.superseded:
        line += f"; {results.superseded} earlier attempts of retried scenarios not counted"
    line += ")."
    if results.environment:
        line += " Run: " + "; ".join(
            f"{key.replace('-', ' ')} {value}" for key, value in results.environment
        )
        line += "."
    return line


CONFORMANCE = "conformance.json"
"""Where ``s1harness conform`` leaves its report, beside the sign-off summary."""


def conformance_line(places: Places) -> str | None:
    """The build under test's conformance verdict, when ``s1harness conform`` ran."""
    path = places.out / CONFORMANCE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        counts = ", ".join(f"{n} {verdict}" for verdict, n in report["counts"].items())
        role, verdict = report["role"], report["verdict"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    page = places.href(path.with_suffix(".md"))
    return f"Conformance of the build playing {role}: {verdict} ({counts}; {page})."


def evidence(row: Row, places: Places) -> list[tuple[str, str]]:
    """(text, href) pairs: the scenario's page in the Allure report, then its attachments."""
    links: list[tuple[str, str]] = []
    if places.report is not None:
        page = places.href(places.report)
        if places.report_kind == "allure3":
            page += f"#{row.result.test_id}"
        links.append(("report", page))
    links.extend((a.name, places.href(places.results / a.source)) for a in row.result.attachments)
    return links
