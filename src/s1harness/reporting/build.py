"""Everything ``s1harness report`` writes, from one allure-results folder.

``<out>/allure-report/index.html`` (the Allure HTML report, unless left out) and the sign-off
summary ``<out>/signoff.md`` and ``<out>/signoff.html``. The summary is written even when the
HTML report cannot be built; it then says so and links the attachment files only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from s1harness.reporting.allure_html import (
    HtmlReport,
    Progress,
    ReportToolError,
    build_allure_html,
)
from s1harness.reporting.html_summary import render_html
from s1harness.reporting.markdown import render_markdown
from s1harness.reporting.results import read_results
from s1harness.reporting.signoff import Signoff, build_signoff
from s1harness.reporting.wording import Places
from s1harness.spec.errors import InputError

REPORT_NAME = "s1harness — SECMP0107 SIT/UIT"


@dataclass(frozen=True)
class Reports:
    """What was written: the summary files, the HTML report (or why there is none)."""

    signoff: Signoff
    markdown: Path
    html: Path
    report: HtmlReport | None
    report_error: str | None


def build_reports(
    results: Path,
    out: Path,
    *,
    tools: Path,
    html_report: bool = True,
    progress: Progress = lambda _message: None,
    now: datetime | None = None,
) -> Reports:
    """Read ``results``, build the Allure HTML report (when asked) and the sign-off summary.

    Raises:
        InputError: when ``results`` is missing, empty or malformed, or ``out`` unusable.
    """
    signoff = build_signoff(read_results(results), now or datetime.now(UTC))
    report: HtmlReport | None = None
    error: str | None = None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the report folder ({exc.strerror})") from None
    if html_report:
        try:
            report = build_allure_html(
                results, out / "allure-report", name=REPORT_NAME, tools=tools, progress=progress
            )
        except ReportToolError as exc:
            error = exc.message
    places = Places(
        out=out,
        results=results,
        report=report.index if report else None,
        report_kind=report.kind if report else "allure3",
    )
    markdown, page = out / "signoff.md", out / "signoff.html"
    markdown.write_text(render_markdown(signoff, places), encoding="utf-8")
    page.write_text(render_html(signoff, places), encoding="utf-8")
    return Reports(signoff, markdown, page, report, error)
