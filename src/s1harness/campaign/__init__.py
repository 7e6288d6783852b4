"""The Requirement 1 correction campaign (``s1harness campaign``): SECMP0107's alternative to
the one-off data update, device by device through the full emulated DCC.

For every SMETS1 device whose Network Operator slots hold another party's certificate than the
NO registered for its meter point (the survey of :mod:`s1harness.remediation.survey`, at the
campaign clock's start), the party whose certificate is there — the wrong NO — sends SRV 6.15.1
placing the registered NO's certificates: CV 4 to the DSP, the I0 with the pre-command, the
signed pre-command in CV 5, the DSP's countersigned request to the S1SP, the S1SP's instruction
to the device, the device's response, the S1SP's signed SMETS1 response and the DSP's to the
User. Every signature is made and checked; every device answers (the population's devices are
emulated on demand, :mod:`s1harness.roles.smets1.bank`).

The campaign keeps ``window`` devices in flight at once. Each device ends **corrected** (the
SMETS1 response, I0), **refused** with the DSP's error code or the S1SP's alert code (an S1SP's
refusal reaches the User as a DCC alert with response code I0), or **timed out** (no final
answer within ``timeout`` seconds); a device whose wrong certificate belongs to no party of the
estate cannot be asked and is **not sent**. The table's ``left`` column is the survey again at
the end: what is still mismatched, whatever the answers said.

On the mqtt bus the DSP may run in a process of its own (``dsp_process``): ``s1harness up
--only dsp`` on the same folder and broker, started and stopped by the campaign, so the DSP's
work and the other roles' run on two cores; it ends with the campaign's process, however that
ends (on Linux, where a process can ask for a signal when its parent dies). Its log goes to
the campaign's standard error, and its handler failures are among the report's
``role_failures`` too (``DSP process: …``).

It works on the estate folder's databases in place and is resumable: a run stopped at any
point (even ``kill -9``) is continued by running it again — a device corrected is no longer
mismatched, one in flight is asked again, and the Users' RequestID counters start above every
counter the DSP and the S1SPs have recorded, so nothing already seen is taken for a replay.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.bodies import Bodies
from s1harness.estate.build import System, build
from s1harness.estate.document import load
from s1harness.registry.model import Cohort
from s1harness.remediation import survey
from s1harness.remediation.register import NoRegister
from s1harness.roles.user import DccUser, Exchange, is_final, refusal
from s1harness.services.buses import OpenBus, open_bus
from s1harness.services.kept_clock import KeptClock
from s1harness.services.runner import RoleRunner
from s1harness.services.transport import Transport
from s1harness.services.up import FAILURE, READY
from s1harness.spec import codes
from s1harness.spec.bus import Envelope, user_inbox
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

DEFAULT_WINDOW = 32
DEFAULT_TIMEOUT = 180.0
"""Seconds a device may take to answer finally (the DSP answers E21 after 60 s itself)."""
CORRECTED, REFUSED, TIMED_OUT, NOT_SENT = "corrected", "refused", "timed out", "not sent"
OUTCOMES = (CORRECTED, REFUSED, TIMED_OUT, NOT_SENT)


@dataclass(frozen=True, slots=True)
class Target:
    """A mismatched device: whose certificate its NO slots hold, and whose they should."""

    cohort: Cohort
    device_id: Eui64
    device_type: str
    held_by: Eui64
    registered: Eui64


@dataclass(frozen=True, slots=True)
class DeviceOutcome:
    target: Target
    outcome: str
    code: str | None = None


@dataclass
class CampaignReport:
    """What a campaign did: per S1SP and device type, how many devices ended how."""

    bus: str
    started: datetime
    mismatched: Counter[tuple[str, str]] = field(default_factory=Counter)
    outcomes: list[DeviceOutcome] = field(default_factory=list)
    remaining: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Mismatched devices left when it ended (by S1SP and device type)."""
    seconds: float = 0.0
    role_failures: list[str] = field(default_factory=list)
    """Handlers of the emulated roles that raised (a bug in a role: never expected)."""

    def counts(self) -> dict[tuple[str, str], Counter[str]]:
        """(S1SP, device type) → outcome (``refused E42``…) → devices."""
        out: dict[tuple[str, str], Counter[str]] = {}
        for done in self.outcomes:
            key = (str(done.target.cohort), done.target.device_type)
            name = done.outcome if done.code is None else f"{done.outcome} {done.code}"
            out.setdefault(key, Counter())[name] += 1
        return out

    def total(self, outcome: str) -> int:
        return sum(1 for done in self.outcomes if done.outcome == outcome)

    @property
    def per_second(self) -> float:
        return self.total(CORRECTED) / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        kinds = sorted(set(self.mismatched) | set(self.counts()) | set(self.remaining))
        return {
            "bus": self.bus,
            "started": self.started.isoformat(),
            "seconds": round(self.seconds, 3),
            "corrected_per_second": round(self.per_second, 1),
            "totals": {name: self.total(name) for name in OUTCOMES},
            "by_s1sp": [
                {
                    "s1sp": cohort,
                    "device_type": device_type,
                    "mismatched": self.mismatched[(cohort, device_type)],
                    "outcomes": dict(sorted(self.counts().get((cohort, device_type), {}).items())),
                    "remaining": self.remaining[(cohort, device_type)],
                }
                for cohort, device_type in kinds
            ],
            "role_failures": self.role_failures,
            "not_corrected": [
                {
                    "s1sp": str(done.target.cohort),
                    "device": str(done.target.device_id),
                    "device_type": done.target.device_type,
                    "sender": str(done.target.held_by),
                    "outcome": done.outcome,
                    "code": done.code,
                }
                for done in self.outcomes
                if done.outcome != CORRECTED
            ],
        }


Progress = Callable[[int, int], None]
"""Told (devices finished, devices in all) as the campaign goes."""


def targets(system: System, folder: Path, at: datetime) -> list[Target]:
    """Every mismatched device of the folder's S1SP databases at ``at``, by S1SP and ID."""
    found: list[Target] = []
    for cohort in system.s1sps:
        path = folder / f"s1sp-{cohort}.sqlite"
        if not path.is_file():
            continue
        with closing(sqlite3.connect(path)) as db:
            survey.load(db, cohort, system.registry, NoRegister(), at)
            rows = db.execute(
                f"SELECT e.device_id, e.device_type, e.registered, {survey.HELD} FROM temp.expect e"
                f" WHERE e.registered IS NOT NULL AND {survey.MISMATCH} ORDER BY e.device_id"
            ).fetchall()
        found += [
            Target(cohort, Eui64(device), str(kind), Eui64(held), Eui64(registered))
            for device, kind, registered, held in rows
        ]
    return found


def counters_seen(folder: Path) -> int:
    """The highest RequestID counter the folder's DSP and S1SPs have recorded (0: none)."""
    queries = {
        "dsp.sqlite": ["SELECT max(counter) FROM dsp_counter"],
        "s1sp-*.sqlite": ["SELECT max(value) FROM floor", "SELECT max(counter) FROM pending"],
    }
    highest = 0
    for pattern, statements in queries.items():
        for path in folder.glob(pattern):
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                for statement in statements:
                    try:
                        value = db.execute(statement).fetchone()[0]
                    except sqlite3.OperationalError:
                        continue  # a table not there yet
                    highest = max(highest, int(value or 0))
    return highest


async def campaign(
    folder: Path,
    *,
    bus: str = "memory",
    broker: str | None = None,
    window: int = DEFAULT_WINDOW,
    timeout: float = DEFAULT_TIMEOUT,
    limit: int | None = None,
    progress: Progress | None = None,
    dsp_process: bool = False,
) -> CampaignReport:
    """Run the campaign on the estate in ``folder`` (see the module docstring).

    Args:
        bus: ``memory`` or ``mqtt`` (on ``broker``, else an embedded broker).
        window: Devices in flight at once.
        timeout: Seconds a device may take.
        limit: Ask at most this many devices (the first by S1SP and device ID).
        dsp_process: Run the DSP in a process of its own (mqtt bus only).

    Raises:
        InputError: for a folder that holds no estate, a bad bus or broker, or a DSP process
            on the in-memory bus or one that does not start.
    """
    if window < 1:
        raise InputError("--window must be at least 1")
    if dsp_process and bus != "mqtt":
        raise InputError("--dsp-process needs the mqtt bus")
    document = folder / "estate.yaml"
    if not document.is_file() or not (folder / "registry.sqlite").is_file():
        raise InputError(f"{folder}: not an estate folder (estate.yaml and registry.sqlite)")
    estate = load(document)
    highest = counters_seen(folder)
    # Its time runs on from the last run's on the folder, as the DSP process's does (both keep
    # it there every second): a resumed campaign's time goes back to its last tick at most.
    clock = KeptClock(estate.start, folder)
    system = build(estate, clock=clock, data_dir=folder)
    try:
        assert system.counters is not None
        system.counters.at_least(highest + 1)
        found = targets(system, folder, clock())
        chosen = found if limit is None else found[:limit]
        report = CampaignReport(bus, clock())
        report.mismatched.update((str(t.cohort), t.device_type) for t in found)
        run_id = secrets.token_hex(6) if bus == "mqtt" else "default"
        async with (
            open_bus(bus, broker=broker, run=run_id) as opened,
            _dsp(folder, opened, run_id) if dsp_process else _no_dsp() as dsp_failures,
        ):
            run = _Run(system, opened.transport, timeout, dsp_here=not dsp_process, clock=clock)
            async with run.runner() as runner:
                started = time.perf_counter()
                await run.all(chosen, window, report, progress)
                report.seconds = time.perf_counter() - started
                report.role_failures = [str(f) for f in runner.failures]
        report.role_failures += [f"DSP process: {failure}" for failure in dsp_failures]
        left = targets(system, folder, clock())
        report.remaining.update((str(t.cohort), t.device_type) for t in left)
        return report
    finally:
        system.close()
        with suppress(OSError):
            clock.keep()


class _Run:
    """The estate's roles on the bus, and the wrong NOs as Users."""

    def __init__(
        self,
        system: System,
        transport: Transport,
        timeout: float,
        *,
        dsp_here: bool = True,
        clock: KeptClock | None = None,
    ) -> None:
        self.system, self.transport, self.timeout = system, transport, timeout
        self.dsp_here, self.clock = dsp_here, clock
        self.bodies = Bodies(system)
        self._waiting: dict[str, asyncio.Future[None]] = {}

    def runner(self) -> RoleRunner:
        routes = self.system.routes(exclude=("users",) if self.dsp_here else ("users", "dsp"))
        routes += [(user_inbox(u), self._user(user)) for u, user in self.system.users.items()]
        if not self.dsp_here:
            return RoleRunner(self.transport, routes)  # the DSP's process ticks its own E21s
        return _Ticking(self.transport, routes, self.system, self.clock)

    def _user(self, user: DccUser) -> Callable[[Envelope], list[Envelope]]:
        def receive(envelope: Envelope) -> list[Envelope]:
            out = user.receive(envelope)
            user.unsolicited.clear()  # alerts to the NOs placed: not the campaign's concern
            exchange = user.exchanges.get(envelope.correlation_id)
            waiting = self._waiting.get(envelope.correlation_id)
            if (
                exchange is not None
                and waiting is not None
                and not waiting.done()
                and any(is_final(r) for r in exchange.received)
            ):
                waiting.set_result(None)
            return out

        return receive

    async def all(
        self,
        chosen: list[Target],
        window: int,
        report: CampaignReport,
        progress: Progress | None,
    ) -> None:
        queue: Iterator[Target] = iter(chosen)

        async def worker() -> None:
            for target in queue:
                report.outcomes.append(await self.one(target))
                if progress is not None:
                    progress(len(report.outcomes), len(chosen))

        await asyncio.gather(*(worker() for _ in range(min(window, len(chosen)) or 1)))

    async def one(self, target: Target) -> DeviceOutcome:
        user = self.system.users.get(target.held_by)
        if user is None or target.registered not in self.system.parties:
            return DeviceOutcome(target, NOT_SENT, "not a party of the estate")
        body = self.bodies.update_credentials(target.registered)
        envelope = user.request(target.device_id, "6.15.1", body)
        key = envelope.correlation_id
        finished = asyncio.get_running_loop().create_future()
        self._waiting[key] = finished
        try:
            await self.transport.publish(envelope)
            await asyncio.wait_for(finished, self.timeout)
        except TimeoutError:
            return DeviceOutcome(target, TIMED_OUT)
        finally:
            del self._waiting[key]
            exchange: Exchange | None = user.exchanges.pop(key, None)
        final = next(r for r in exchange.received if is_final(r)) if exchange else None
        if final is None:
            return DeviceOutcome(target, REFUSED)
        code = refusal(final)  # an S1SP's refusal comes as a DCC alert, response code I0
        if (
            code is None
            and final.header.response_code == codes.I0.code
            and isinstance(final.body, SMETS1ResponseMessage)
        ):
            return DeviceOutcome(target, CORRECTED)
        return DeviceOutcome(target, REFUSED, code or final.header.response_code)


_DSP_WAIT = 60.0
"""Seconds the DSP's process may take to be ready, and to stop (a loaded machine starts Python
slowly)."""


@asynccontextmanager
async def _dsp(folder: Path, opened: OpenBus, run: str) -> AsyncIterator[list[str]]:
    """``s1harness up --only dsp`` on ``folder`` and the campaign's broker and run, until the
    block ends. On the embedded broker it logs in as ``dsp``; on another broker with the
    environment's login. Yields the list its handler failures are added to (complete once
    the block has ended).

    Raises:
        InputError: when it does not say it is ready within a minute.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory(prefix="s1harness-campaign-") as scratch:
        if opened.broker is not None:
            logins = opened.broker.write_logins(Path(scratch) / "logins")
            env |= {
                "S1HARNESS_BROKER_USERNAME": "dsp",
                "S1HARNESS_BROKER_PASSWORD_FILE": str(logins / "dsp"),
            }
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "s1harness", "up", "--estate", str(folder),
            "--data-dir", str(folder), "--only", "dsp", "--broker", str(opened.url),
            "--run", run,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            preexec_fn=_end_with_the_campaign,
        )  # fmt: skip
        assert child.stdout is not None
        drain: asyncio.Task[None] | None = None
        failures: list[str] = []
        try:
            try:
                line = await asyncio.wait_for(child.stdout.readline(), _DSP_WAIT)
            except TimeoutError:
                line = b""
            if not line.decode(errors="replace").startswith(READY):
                if child.returncode is None:
                    child.kill()
                _, errors = await child.communicate()
                why = (errors.decode(errors="replace").strip().splitlines() or ["no answer"])[-1]
                raise InputError(f"the DSP's process did not start: {why}")
            drain = asyncio.create_task(_relay(child, failures))
            yield failures
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(child.wait(), _DSP_WAIT)
                except TimeoutError:
                    child.kill()
                    await child.wait()
            if drain is not None:
                await drain


@asynccontextmanager
async def _no_dsp() -> AsyncIterator[list[str]]:
    """The DSP runs in the campaign's process: its failures are the runner's."""
    yield []


def _end_with_the_campaign() -> None:
    """In the DSP's process before it runs: SIGTERM when the campaign's process ends, however it
    ends (kill -9 too), so no DSP outlives its campaign (Linux; elsewhere a no-op). It only
    calls a function of the C library loaded here beforehand: between fork and exec nothing
    may load a library or take a lock another thread might hold."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1
try:
    _PRCTL: Callable[..., int] | None = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _PRCTL = None  # not Linux


async def _relay(child: asyncio.subprocess.Process, failures: list[str]) -> None:
    """Read the DSP process's output as it comes (a full pipe would stop it): its log lines go
    to this process's standard error, its status lines nowhere; what its handler failure lines
    say (:data:`~s1harness.services.up.FAILURE`) is added to ``failures``."""
    assert child.stdout is not None
    assert child.stderr is not None

    async def copy(stream: asyncio.StreamReader, shown: bool) -> None:
        while line := await stream.readline():
            if shown:
                text = line.decode(errors="replace")
                sys.stderr.write(text)
                _, found, failure = text.partition(FAILURE)
                if found:
                    failures.append(failure.rstrip("\n"))

    await asyncio.gather(copy(child.stdout, False), copy(child.stderr, True))


class _Ticking(RoleRunner):
    """The role runner, and every second the DSP's E21 for requests nobody answered and the
    clock kept in the folder (so a run killed with -9 resumes from about where it stood)."""

    def __init__(
        self, transport: Transport, routes: Any, system: System, clock: KeptClock | None
    ) -> None:
        super().__init__(transport, routes)
        self._system, self._clock = system, clock
        self._ticker: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Ticking:
        await super().__aenter__()
        self._ticker = asyncio.create_task(self._tick(), name="campaign DSP tick")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await super().__aexit__(*exc)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for envelope in self._system.dsp.tick():
                await self._transport.publish(envelope)
            if self._clock is not None:
                with suppress(OSError):  # a folder it cannot write: the clock runs on unkept
                    self._clock.keep()


__all__ = [
    "CORRECTED",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WINDOW",
    "NOT_SENT",
    "REFUSED",
    "TIMED_OUT",
    "CampaignReport",
    "DeviceOutcome",
    "Target",
    "campaign",
    "counters_seen",
    "targets",
]
