"""``s1harness up``: the estate's emulators as long-lived services on a bus.

A live status view when attached to a terminal, plain log lines otherwise; one line on
standard output says where everything is once it is ready (``s1harness up: ready …``), so a
script can wait for it. Ctrl-C or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from s1harness.cli._output import estate_exit_status, warn
from s1harness.estate.errors import EstateError
from s1harness.estate.presets import resolve
from s1harness.services.loop import run as run_loop
from s1harness.services.mqtt import MqttBus
from s1harness.services.up import READY, ROLES, Running, UpConfig, serve
from s1harness.spec.bus import DEFAULT_RUN, run_id
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

RoleOption = Annotated[
    list[str] | None,
    typer.Option(help=f"A role: {', '.join(ROLES)}. Repeatable."),
]


def up(
    estate: Annotated[
        str, typer.Option("--estate", help="An estate file or folder, or a preset name.")
    ] = "small",
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker", help="mqtt[s]://HOST:PORT of an external broker (default: embedded)."
        ),
    ] = None,
    external: RoleOption = None,
    only: RoleOption = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Keep the databases here (else in memory).")
    ] = None,
    duis_port: Annotated[
        int | None,
        typer.Option("--duis-port", min=0, max=65535, help="Serve the DUIS web service here."),
    ] = None,
    receive_url: Annotated[
        list[str] | None,
        typer.Option("--receive-url", help="EUI=URL: where a User's async messages go."),
    ] = None,
    run: Annotated[
        str,
        typer.Option("--run", help="The run ID: topics sit under s1h/v3/RUN/ on the broker."),
    ] = DEFAULT_RUN,
) -> int:
    """Run the emulators as long-lived services until Ctrl-C or SIGTERM."""
    try:
        resolved = resolve(estate)
    except EstateError as exc:  # 2 for one that is not there, 1 for one that is invalid
        warn(f"error: {exc.message}")
        return estate_exit_status(exc)
    config = UpConfig(
        estate=resolved,
        broker=broker,
        external=frozenset(external or ()),
        only=frozenset(only or ()),
        data_dir=data_dir,
        duis_port=duis_port,
        receive_urls=_receive_urls(receive_url or []),
        run=run_id(run),
    )
    _logging(interactive=sys.stdout.isatty())
    run_loop(_main(config, interactive=sys.stdout.isatty()))
    return 0


def _receive_urls(pairs: list[str]) -> dict[Eui64, str]:
    """``EUI=URL`` pairs.

    Raises:
        InputError: for a pair without ``=``, a bad EUI-64 or a URL that is not http(s).
    """
    out: dict[Eui64, str] = {}
    for pair in pairs:
        eui, sep, url = pair.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise InputError(f"--receive-url {pair!r}: expected EUI=http(s)://…")
        out[Eui64(eui)] = url
    return out


async def _main(config: UpConfig, *, interactive: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    status: list[Running] = []

    async def ready(running: Running) -> None:
        status.append(running)
        print(f"{READY} — {_where(running)}", flush=True)

    watcher = asyncio.create_task(_watch(status, stop)) if interactive else None
    try:
        await serve(config, stop, on_ready=ready)
    finally:
        if watcher is not None:
            watcher.cancel()
        print("s1harness up: stopped", flush=True)


def _where(running: Running) -> str:
    roles = ", ".join(running.roles) or "no role"
    parts = [f"broker {running.bus.url}", f"run {running.config.run}", f"roles {roles}"]
    parts += [f"{k} {v}" for k, v in running.extra.items()]
    return "; ".join(parts)


async def _watch(status: list[Running], stop: asyncio.Event) -> None:
    console = Console()
    with Live(console=console, refresh_per_second=2, transient=True) as live:
        while not stop.is_set():
            if status:
                live.update(_table(status[0]))
            await asyncio.sleep(0.5)


def _table(running: Running) -> Table:
    table = Table(title=f"s1harness up — estate {running.config.estate.name}")
    table.add_column("what")
    table.add_column("state")
    table.add_row("broker", running.bus.url or "")
    transport = running.bus.transport
    if isinstance(transport, MqttBus):
        stats = transport.stats
        table.add_row("connection", "up" if transport.connected else "reconnecting")
        table.add_row(
            "messages",
            f"published {stats.published}, received {stats.received}, "
            f"resent {stats.resent}, repeats {stats.repeats}, dropped {stats.given_up}",
        )
    system = running.system
    if "dsp" in running.roles:
        table.add_row("dsp decisions", str(len(system.dsp.decisions)))
    for cohort, s1sp in system.s1sps.items():
        if f"s1sp:{cohort}" in running.roles:
            table.add_row(f"s1sp {cohort} decisions", str(len(s1sp.decisions)))
    if "devices" in running.roles:
        banked = len(system.bank) if system.bank is not None else 0
        table.add_row(
            "devices built",
            f"{len(system.smets1) + banked} SMETS1, {len(system.smets2)} SMETS2",
        )
    for key, value in running.extra.items():
        table.add_row(key, value)
    return table


def _logging(*, interactive: bool) -> None:
    """Log lines to standard error: ``time level logger: message`` (warnings only under the
    live view, everything from INFO otherwise)."""
    logging.basicConfig(
        level=logging.WARNING if interactive else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
