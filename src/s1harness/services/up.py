"""The estate's emulators as long-lived services on a bus (``s1harness up``).

:func:`serve` builds an estate, opens the bus (the embedded broker unless a broker URL is
given), runs the chosen roles — all but those another build plays (``external``), or only
the named ones (``only``, so one role can run as its own process) — and keeps time moving: every
second the DSP answers E21 for requests nobody answered and SMETS2 devices run the
future-dated commands that fall due. It returns when ``stop`` is set. With a data dir, its
clock is kept there (:mod:`s1harness.services.kept_clock`): started again, it runs on from
there.

Each role it plays also answers its control channel (:mod:`s1harness.services.control`): a
test run can have it load another estate's provisioning document before each scenario, so one
long-running ``up`` serves a whole run of scenarios.

On its embedded broker every client logs in: ``up`` writes the password of each login the
broker generated to ``<data dir>/broker-logins/<login>`` (a temporary folder without a data
dir, removed on exit) and names the folder on its ready line ("broker logins …").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from s1harness.estate.build import System, build
from s1harness.estate.model import Estate
from s1harness.roles.smets2.device import Smets2Device
from s1harness.services.buses import OpenBus, open_bus
from s1harness.services.control import RoleHost
from s1harness.services.duis_http import DuisEndpoint
from s1harness.services.journal import Journal
from s1harness.services.kept_clock import KeptClock
from s1harness.services.runner import RoleRunner
from s1harness.smki import Keystore, KeystoreEntry
from s1harness.spec.bus import DEFAULT_RUN, Envelope
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

log = logging.getLogger("s1harness.up")
ROLES = ("dsp", "s1sp:IOC", "s1sp:MOC", "s1sp:FOC", "devices")
READY = "s1harness up: ready"
"""How the command's line on standard output begins once it serves (what follows says where)."""
TICK_SECONDS = 1.0
FAILURE = "handler failure: "
"""How the log message of a role's handler failure begins (a process that runs ``up`` as a
child, as the campaign does, finds them by it on its standard error)."""
FAILURES_SHOWN = 5
"""Handler failures logged one by one each tick; the rest are counted on one line."""


@dataclass(frozen=True)
class UpConfig:
    """What to run.

    Attributes:
        estate: The estate.
        broker: An external broker's URL; None starts the embedded broker.
        external: Roles another build plays: not run here.
        only: When given, run just these roles.
        data_dir: Where the registry and S1SP databases live (else in memory).
        client_id: The MQTT client identifier (default: derived from the roles).
        duis_port: Serve the DCC Boxed DUIS web service on this port (0: a free one).
        receive_urls: Users' receive URLs, over the estate's own.
        run: The run ID its topics sit under on the broker (a test run with external roles
            uses :data:`~s1harness.spec.bus.DEFAULT_RUN` unless told otherwise).
    """

    estate: Estate
    broker: str | None = None
    external: frozenset[str] = field(default_factory=frozenset)
    only: frozenset[str] = field(default_factory=frozenset)
    data_dir: Path | None = None
    client_id: str | None = None
    duis_port: int | None = None
    receive_urls: Mapping[Eui64, str] = field(default_factory=dict)
    run: str = DEFAULT_RUN

    def roles(self, deployed: Iterable[str]) -> list[str]:
        """The roles to run, in :data:`ROLES` order.

        Raises:
            InputError: for an unknown role, or a role both external and only.
        """
        for name in sorted(self.external | self.only):
            if name not in ROLES:
                raise InputError(f"unknown role {name!r} (roles: {', '.join(ROLES)})")
        both = sorted(self.external & self.only)
        if both:
            raise InputError(f"role {both[0]} cannot be both --external and --only")
        chosen = [r for r in ROLES if r in set(deployed) and r not in self.external]
        return [r for r in chosen if r in self.only] if self.only else chosen


@dataclass
class Running:
    """A running estate: what a status view shows."""

    config: UpConfig
    system: System
    bus: OpenBus
    roles: list[str]
    runner: RoleRunner
    host: RoleHost
    extra: dict[str, str] = field(default_factory=dict)
    """Further things to show (e.g. the DUIS endpoint's URL)."""


Hook = Callable[[Running], Awaitable[None]]


async def serve(config: UpConfig, stop: asyncio.Event, *, on_ready: Hook | None = None) -> None:
    """Run the estate until ``stop`` is set (see the module docstring).

    Raises:
        InputError: for a bad role list, a bad broker URL or an unreachable broker.
    """
    if config.data_dir is not None:
        try:
            config.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise InputError(
                f"--data-dir {config.data_dir}: not a folder it can use ({why})"
            ) from None
    clock = KeptClock(config.estate.start, config.data_dir)
    system = build(config.estate, clock=clock, data_dir=config.data_dir)
    try:
        roles = config.roles(system.roles())
        if "dsp" in roles:
            _ = system.dsp.schema  # a missing DUIS XSD is a one-line error before anything runs
        host = RoleHost(system, roles, clock=clock, data_dir=config.data_dir)
        client_id = config.client_id or _client_id(roles)
        async with (
            contextlib.AsyncExitStack() as cleanup,
            open_bus("mqtt", broker=config.broker, client_id=client_id, run=config.run) as bus,
            RoleRunner(bus.transport, host.routes(), journals=host.journals()) as runner,
            _endpoint(config, bus, system) as endpoint,
        ):
            running = Running(config, system, bus, roles, runner, host)
            if bus.broker is not None:
                running.extra["broker logins"] = str(_logins(config, bus, cleanup))
            if endpoint is not None:
                running.extra["DUIS endpoint"] = endpoint.url
            if on_ready is not None:
                await on_ready(running)
            log.info("running %s on %s", ", ".join(roles) or "no role", bus.url)
            try:
                await _tick_until(running, stop, clock)
            finally:
                _log_failures(running.runner)
    finally:
        system.close()


def _logins(config: UpConfig, bus: OpenBus, cleanup: contextlib.AsyncExitStack) -> Path:
    """Where the embedded broker's logins are written for other processes."""
    assert bus.broker is not None
    if config.data_dir is not None:
        return bus.broker.write_logins(config.data_dir / "broker-logins")
    folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="s1harness-logins-"))
    return bus.broker.write_logins(Path(folder))


async def _tick_until(running: Running, stop: asyncio.Event, clock: KeptClock) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), TICK_SECONDS)
        for role, tick in (("dsp", _expire), ("devices", _run_due)):
            if role not in running.roles:
                continue
            try:  # a failed tick (its unit rolled back) is logged: the next one tries again
                await tick(running)
            except Exception as error:  # noqa: BLE001
                log.error("%s%s tick: %s: %s", FAILURE, role, type(error).__name__, error)
        try:
            clock.keep()  # with a data dir: the time a build started again on it runs on from
        except OSError as error:
            log.error("%sclock: %s", FAILURE, error)
        _log_failures(running.runner)


def _log_failures(runner: RoleRunner) -> None:
    """Log the handler failures since the last call: the first few whole, the rest counted."""
    failures, shown = runner.failures, FAILURES_SHOWN
    for failure in failures[:shown]:
        log.error("%s%s", FAILURE, failure)
    if len(failures) > shown:
        log.error("%s%d more, not shown", FAILURE, len(failures) - shown)
    failures.clear()


async def _run_due(running: Running) -> None:
    """SMETS2 devices execute the held commands that fall due and send their alerts: each
    device's new state and its alerts one unit of the devices' journal (:func:`_produce`)."""
    system, journal = running.system, running.host.journal("devices")
    for device_id, device in system.smets2.due(system.clock()):
        await _produce(running, journal, partial(_alerts, system, device_id, device))


def _alerts(system: System, device_id: Eui64, device: Smets2Device) -> list[Envelope]:
    return system.smets2_frames(device_id, device.tick(), "tick")


async def _expire(running: Running) -> None:
    """The DSP's E21 for requests nobody answered, in one unit with the requests leaving its
    table (:func:`_produce`)."""
    await _produce(running, running.host.journal("dsp"), running.system.dsp.tick)


async def _produce(
    running: Running, journal: Journal | None, produce: Callable[[], list[Envelope]]
) -> None:
    """Publish what ``produce`` makes — with a data dir, made in one transaction of the role's
    ``journal`` with the state it changes, and sent from its outbox."""
    transport = running.bus.transport
    if journal is None:
        for envelope in produce():
            await transport.publish(envelope)
        return
    with journal.unit():
        produced = produce()
        ids = journal.record(None, produced)
    for envelope, message_id in zip(produced, ids, strict=True):
        await transport.publish(envelope, message_id=message_id, on_acked=journal.sent)


@asynccontextmanager
async def _endpoint(
    config: UpConfig, bus: OpenBus, system: System
) -> AsyncIterator[DuisEndpoint | None]:
    """The DUIS web service when a port is given (receive URLs: the command line's over the
    estate's)."""
    if config.duis_port is None:
        yield None
        return
    urls = dict(config.estate.receive_urls) | dict(config.receive_urls)
    dsp = (Keystore([KeystoreEntry(system.dsp.credentials.xml_certificate)]), config.estate.dcc_id)
    async with DuisEndpoint(
        bus.transport, port=config.duis_port, receive_urls=urls, dsp=dsp
    ) as endpoint:
        yield endpoint


def _client_id(roles: list[str]) -> str:
    name = "-".join(r.replace(":", "") for r in roles) if len(roles) < len(ROLES) else "all"
    return f"s1h-up-{name}-{secrets.token_hex(12)}"  # unguessable: no one connects in its place


__all__ = ["FAILURE", "READY", "ROLES", "Running", "UpConfig", "serve"]
