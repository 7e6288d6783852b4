"""The sign-off summary as Markdown (``reports/signoff.md``)."""

from __future__ import annotations

from s1harness.reporting.signoff import REQUIREMENT_TITLES, Signoff
from s1harness.reporting.wording import (
    LEGEND,
    Places,
    cell_text,
    column_title,
    conformance_line,
    evidence,
    provenance,
    reason,
    requirement_text,
    suite_line,
)

TITLE = "SECMP0107 test sign-off summary"


def render_markdown(signoff: Signoff, places: Places) -> str:
    """The whole summary: provenance, suite totals, the matrix, then one line per scenario."""
    lines = [f"# {TITLE}", "", provenance(signoff, places), ""]
    conformance = conformance_line(places)
    if conformance is not None:
        lines += [f"**{conformance}**", ""]
    if places.report is not None:
        lines += [
            f"Allure report: [{places.href(places.report)}]({places.href(places.report)})",
            "",
        ]
    else:
        lines += ["Allure report: not built.", ""]
    lines += [f"**Suite: {suite_line(signoff)}**", "", "## Requirement × S1SP × device type", ""]
    lines += _matrix(signoff)
    lines += ["", f"Cells: verdict, then counts ({LEGEND}).", "", "## Scenarios", ""]
    lines += _scenarios(signoff, places)
    return "\n".join(lines) + "\n"


def _matrix(signoff: Signoff) -> list[str]:
    columns = signoff.columns
    head = ["Requirement", *(column_title(c) for c in columns), "Total"]
    out = [_line(head), _line(["---"] * len(head))]
    for requirement in signoff.requirements:
        cells = [cell_text(signoff.cell(requirement, c)) for c in columns]
        title = f"**{requirement}** {REQUIREMENT_TITLES[requirement]}"
        out.append(_line([title, *cells, requirement_text(signoff, requirement)]))
    totals = [cell_text(signoff.column_total(c)) for c in columns]
    out.append(_line(["**All scenarios** (each once)", *totals, cell_text(signoff.totals())]))
    return out


def _scenarios(signoff: Signoff, places: Places) -> list[str]:
    """One line per scenario, those that did not pass first, with why; the report page of
    each, and its attachments for those that did not pass."""
    head = ["Requirement", "Feature", "Scenario", "S1SP", "Device", "Status", "Reason", "FIA"]
    out = [_line([*head, "Evidence"]), _line(["---"] * (len(head) + 1))]
    for row in signoff.failures_first():
        shown = evidence(row, places)
        if row.result.status == "passed":
            shown = shown[:1] if places.report is not None else []
        links = " ".join(f"[{_escape(t)}](<{href}>)" for t, href in shown)
        feature = ", ".join(row.result.label_values("feature"))
        status = row.result.status.upper() if row.result.status != "passed" else "passed"
        cells = [", ".join(row.requirements), feature, row.result.name, row.s1sp, row.device]
        texts = [*(_escape(c) for c in cells), status, _escape(reason(row)), _escape(row.fia)]
        out.append(_line([*texts, links]))
    return out


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _escape(text: str) -> str:
    """Table-safe text: no pipes or line breaks, no Markdown emphasis or link syntax."""
    flat = " ".join(text.split())
    for char in "\\|*_[]`<>":
        flat = flat.replace(char, "\\" + char)
    return flat
