"""The sign-off summary as one self-contained HTML page (``reports/signoff.html``): inline
CSS, no script, no external asset; its only links are to the evidence beside it."""

from __future__ import annotations

from html import escape

from s1harness.reporting.markdown import TITLE
from s1harness.reporting.signoff import REQUIREMENT_TITLES, Signoff, verdict
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

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eee; }
.PASS { background: #d8f0d8; } .FAIL { background: #f6d0d0; } .SKIP { background: #eee8c8; }
.INCOMPLETE, .NOT-RUN { background: #f3e2b8; }
details > summary { cursor: pointer; color: #335; }
@media print {
  body { font-size: 9pt; margin: 0; }
  th, td { padding: 1px 4px; }
  .evidence { display: none; }
}
.passed { color: #1a6b1a; } .failed, .broken, .unknown { color: #a01010; font-weight: bold; }
.skipped { color: #7a6a00; } .note { color: #555; }
"""


def render_html(signoff: Signoff, places: Places) -> str:
    """The whole summary as an HTML document."""
    report = (
        f'<a href="{escape(places.href(places.report))}">{escape(places.href(places.report))}</a>'
        if places.report is not None
        else "not built"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(TITLE)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(TITLE)}</h1>",
        f'<p class="note">{escape(provenance(signoff, places))}</p>',
        f"<p>Allure report: {report}</p>",
        *([f"<p><strong>{escape(c)}</strong></p>"] if (c := conformance_line(places)) else []),
        f'<p id="suite" class="{signoff.verdict()}"><strong>Suite: '
        f"{escape(suite_line(signoff))}</strong></p>",
        "<h2>Requirement × S1SP × device type</h2>",
        _matrix(signoff),
        f'<p class="note">Cells: verdict, then counts ({escape(LEGEND)}).</p>',
        "<h2>Scenarios</h2>",
        _scenarios(signoff, places),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cell(counts: dict[str, int]) -> str:
    return f'<td class="{verdict(counts)}">{escape(cell_text(counts))}</td>'


def _matrix(signoff: Signoff) -> str:
    columns = signoff.columns
    head = "".join(f"<th>{escape(column_title(c))}</th>" for c in columns)
    rows = [f'<table id="matrix"><tr><th>Requirement</th>{head}<th>Total</th></tr>']
    for requirement in signoff.requirements:
        title = f"<strong>{requirement}</strong> {escape(REQUIREMENT_TITLES[requirement])}"
        cells = "".join(_cell(signoff.cell(requirement, c)) for c in columns)
        text = requirement_text(signoff, requirement)
        shown = (
            "NOT-RUN"
            if text.startswith("NOT RUN")
            else verdict(signoff.requirement_total(requirement))
        )
        total = f'<td class="{shown}">{escape(text)}</td>'
        rows.append(f'<tr data-requirement="{requirement}"><th>{title}</th>{cells}{total}</tr>')
    cells = "".join(_cell(signoff.column_total(c)) for c in columns)
    rows.append(f"<tr><th>All scenarios (each once)</th>{cells}{_cell(signoff.totals())}</tr>")
    return "\n".join([*rows, "</table>"])


def _scenarios(signoff: Signoff, places: Places) -> str:
    """One row per scenario, those that did not pass first, with why; evidence folded."""
    names = ("Requirement", "Feature", "Scenario", "S1SP", "Device", "Status", "Reason", "FIA")
    head = "".join(f"<th>{n}</th>" for n in names) + '<th class="evidence">Evidence</th>'
    rows = [f'<table id="scenarios"><tr>{head}</tr>']
    for row in signoff.failures_first():
        result = row.result
        links = [
            f'<a href="{escape(href)}">{escape(text)}</a>' for text, href in evidence(row, places)
        ]
        report, files = (links[:1], links[1:]) if places.report is not None else ([], links)
        folded = (
            f"<details><summary>{len(files)} files</summary>{' '.join(files)}</details>"
            if files
            else ""
        )
        texts = (
            ", ".join(row.requirements),
            ", ".join(result.label_values("feature")),
            result.name,
            row.s1sp,
            row.device,
        )
        cells = "".join(f"<td>{escape(t)}</td>" for t in texts)
        status = f'<td class="{escape(result.status)}">{escape(result.status)}</td>'
        rows.append(
            f'<tr class="scenario">{cells}{status}<td class="reason">{escape(reason(row))}</td>'
            f'<td>{escape(row.fia)}</td><td class="evidence">{" ".join(report)} {folded}</td></tr>'
        )
    return "\n".join([*rows, "</table>"])
