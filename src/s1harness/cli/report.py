"""``s1harness report``: the Allure HTML report and the sign-off summary from allure-results.

Exit status 0 when everything asked for was written (whatever the scenarios' outcome: ``run``
is the command that fails on a failed scenario); 1 when the sign-off summary was written but
the HTML report could not be built; 2 for bad input (no results folder, no results, malformed
result files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from s1harness.cli._output import warn
from s1harness.reporting import allure_html, build_reports, tools_folder
from s1harness.reporting.wording import suite_line

DEFAULT_RESULTS = Path("reports/allure-results")
DEFAULT_OUT = Path("reports")


def report(
    results: Annotated[
        Path, typer.Option("--results", help="The allure-results folder to read.")
    ] = DEFAULT_RESULTS,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write allure-report/ and signoff.md/.html.")
    ] = DEFAULT_OUT,
    no_html: Annotated[
        bool, typer.Option("--no-html", help="Write only the sign-off summary.")
    ] = False,
    install_tools: Annotated[
        bool,
        typer.Option(
            "--install-tools",
            help="Only install the report generators into $S1HARNESS_TOOLS (default ./.tools), "
            "for CI to cache; exit 1 if none could be.",
        ),
    ] = False,
) -> int:
    """Build the Allure HTML report and the sign-off summary from allure-results."""
    if install_tools:
        return _install()
    built = build_reports(
        results,
        out,
        tools=tools_folder(),
        html_report=not no_html,
        progress=typer.echo,
    )
    typer.echo(f"suite: {suite_line(built.signoff)}")
    typer.echo(f"sign-off summary: {built.markdown}  {built.html}")
    if built.report is not None:
        typer.echo(f"Allure report ({built.report.kind}): {built.report.index}")
    if built.report_error is not None:
        warn(f"error: {built.report_error}")
        return 1
    return 0


def _install() -> int:
    tools = tools_folder()
    results = allure_html.install_tools(tools, progress=typer.echo)
    for package, outcome in results:
        typer.echo(f"{package}: {outcome}")
    if not any(isinstance(outcome, Path) for _, outcome in results):
        warn(f"error: no report generator could be installed into {tools}")
        return 1
    typer.echo(f"report generators in {tools} (set S1HARNESS_TOOLS to use them from elsewhere)")
    return 0
