"""``s1harness campaign``: the Requirement 1 correction campaign on an estate folder.

Every wrong Network Operator sends SRV 6.15.1 for each device holding its certificate where
another NO is registered, through the full emulated DSP, S1SPs and devices
(:mod:`s1harness.campaign`). Prints a table per S1SP × device type (or, with ``--json``, one
object); exits 1 when a device timed out or an emulated role failed, else 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.table import Table

from s1harness.campaign import (
    CORRECTED,
    DEFAULT_TIMEOUT,
    DEFAULT_WINDOW,
    TIMED_OUT,
    CampaignReport,
    campaign,
)
from s1harness.cli._output import emit, estate_exit_status, progress_bar, warn
from s1harness.estate.errors import EstateError
from s1harness.services.loop import run as run_loop


def campaign_command(
    estate: Annotated[
        Path, typer.Option("--estate", help="The estate folder (estate.yaml and its databases).")
    ],
    bus: Annotated[str, typer.Option("--bus", help="memory or mqtt.")] = "memory",
    broker: Annotated[
        str | None,
        typer.Option("--broker", help="mqtt://HOST:PORT of an external broker (mqtt bus)."),
    ] = None,
    window: Annotated[
        int, typer.Option("--window", min=1, help="Devices in flight at once.")
    ] = DEFAULT_WINDOW,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1.0, help="Seconds a device may take.")
    ] = DEFAULT_TIMEOUT,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Ask at most this many devices.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    dsp_process: Annotated[
        bool,
        typer.Option(
            "--dsp-process", help="Run the DSP in a process of its own (mqtt bus: two cores)."
        ),
    ] = False,
) -> int:
    """Correct every wrong NO certificate by SRV 6.15.1 from the wrong NO, device by device.

    Works on the folder's databases in place; run it again to resume after an interruption.
    """
    with progress_bar(
        "{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        quiet=as_json,
    ) as bar:  # fmt: skip
        task = bar.add_task("6.15.1 campaign", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = run_loop(
                campaign(
                    estate, bus=bus, broker=broker, window=window, timeout=timeout,
                    limit=limit, progress=advance, dsp_process=dsp_process,
                )
            )  # fmt: skip
        except EstateError as exc:  # its estate.yaml read and found invalid: 1, as estate show
            warn(f"error: {exc.message}")
            return estate_exit_status(exc)
    if as_json:
        emit(report.as_json())
    else:
        _print(report)
    for failure in report.role_failures[:5]:
        warn(f"an emulated role failed: {failure}")
    return 1 if report.role_failures or report.total(TIMED_OUT) else 0


def _print(report: CampaignReport) -> None:
    console = Console()
    summary = report.as_json()
    table = Table(
        "S1SP", "device type", "mismatched", "corrected", "not corrected", "left",
        title=f"6.15.1 campaign on the {report.bus} bus: {summary['totals'][CORRECTED]} "
        f"corrected in {report.seconds:.1f} s ({report.per_second:.1f}/s)",
    )  # fmt: skip
    for row in summary["by_s1sp"]:
        others = ", ".join(
            f"{name} {n}" for name, n in row["outcomes"].items() if name != CORRECTED
        )
        table.add_row(
            row["s1sp"], row["device_type"], str(row["mismatched"]),
            str(row["outcomes"].get(CORRECTED, 0)), others or "0", str(row["remaining"]),
        )  # fmt: skip
    console.print(table)
    for device in summary["not_corrected"][:20]:
        code = f" {device['code']}" if device["code"] else ""
        console.print(
            f"{device['s1sp']} {device['device_type']} {device['device']}: "
            f"{device['outcome']}{code} (sent by {device['sender']})"
        )
    hidden = len(summary["not_corrected"]) - 20
    if hidden > 0:
        console.print(f"… and {hidden} more (--json lists them all)")


__all__ = ["campaign_command"]
