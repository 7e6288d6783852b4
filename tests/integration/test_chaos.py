"""Exactly once across kill -9: the DSP, the IOC S1SP, the devices and the broker each run as
a process of their own (``s1harness up --only … --data-dir …`` and Mosquitto on 127.0.0.1),
and while Users send SRV 6.21 requests each process is killed with SIGKILL at random moments
and started again. Every request must get exactly one final answer, and every database must
end as it does after the same requests with no fault: a request executed twice moves the S1SP's
instruction sequence and the device's counters past the unfaulted run's; one lost never ends.

The Users send one request at a time. A User's RequestID counters must rise in the order the
DSP accepts them (E42 otherwise, as at the DCC), and after a fault the bus may deliver two
messages of one producer in another order than it sent them; a User that keeps several
requests in flight can therefore see E42 for the older one after a fault, as a User of the
DCC's web service would.

Bounded: 120 requests, a kill 0.1-0.6 s after the last killed process is ready again, until
they are answered; each process is given a minute to be ready; everything on 127.0.0.1,
stopped at the end whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from brokers import _binary, free_port, wait_for
from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.presets import SUPPLIER, WRONG_NETWORK_OPERATOR
from s1harness.roles.s1sp.store import SlotStore
from s1harness.testing import Harness, refusal
from s1harness.testing.harness import EXTERNAL_ROLES, is_final

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors, pytest.mark.slow]

REQUESTS = 120
ROLES = ("dsp", "s1sp:IOC", "devices")
RUN = "chaos"
READY = "s1harness up: ready"
WAIT = 60.0
QUIET = 4.0
"""Seconds to wait after the last answer for a second answer that should never come."""


class _Broker:
    """Mosquitto on a fixed port, killed and started again on it."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._config = folder / "mosquitto.conf"
        self._config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nset_tcp_nodelay true\n"
        )
        self._log = folder / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [_binary("mosquitto"), "-c", str(self._config)], stdout=log, stderr=log
            )
        await asyncio.to_thread(wait_for, self.port, self._process)

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    async def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            await asyncio.to_thread(self._process.wait)


class _Role:
    """``s1harness up --only ROLE`` with its own data folder, killed and started again."""

    def __init__(self, role: str, broker: str, folder: Path) -> None:
        self.role, self.folder = role, folder / role.replace(":", "-")
        self.folder.mkdir()
        self._argv = [
            sys.executable, "-m", "s1harness", "up", "--only", role, "--broker", broker,
            "--run", RUN, "--data-dir", str(self.folder),
        ]  # fmt: skip
        self._process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        log = (self.folder / "up.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            *self._argv, stdout=asyncio.subprocess.PIPE, stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        log.close()
        self._process, self.starts = process, self.starts + 1
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), WAIT)).decode()
        assert line.startswith(READY), f"{self.role} not ready: {line!r}"
        self._drain = asyncio.create_task(process.stdout.read())  # never blocks on a full pipe

    async def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)
            await self._process.wait()

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), WAIT)
            except TimeoutError:
                await self.kill()


@asynccontextmanager
async def _estate(folder: Path) -> AsyncIterator[tuple[_Broker, list[_Role]]]:
    broker = _Broker(folder)
    roles = [_Role(role, broker.url, folder) for role in ROLES]
    try:
        await broker.start()
        for role in roles:
            await role.start()
        yield broker, roles
    finally:
        for role in roles:
            await role.stop()
        await broker.stop()


async def _chaos(broker: _Broker, roles: list[_Role], seed: int, until: asyncio.Event) -> list[str]:
    """Kill one process at a time with SIGKILL, at random, and start it again, until ``until``;
    every process at least once. Returns what was killed, in order."""
    chance = random.Random(seed)
    killed: list[str] = []
    targets: list[str] = []
    while not until.is_set() or len(set(killed)) < len(ROLES) + 1:
        if not targets:
            targets = [*ROLES, "broker"]
            chance.shuffle(targets)
        target = targets.pop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), chance.uniform(0.1, 0.6))
        if target == "broker":
            broker.kill()
            await asyncio.sleep(chance.uniform(0.0, 0.5))
            await broker.start()
        else:
            role = next(r for r in roles if r.role == target)
            await role.kill()
            await role.start()
        killed.append(target)
    return killed


async def _requests(folder: Path, seed: int | None) -> tuple[dict[str, object], list[str]]:
    """Send the requests (with chaos when ``seed`` is given); returns every database's state
    once the processes have stopped — each device's execution counter floor as the RequestID
    counter of the last request sent to it: a run's two devices interleave as they will — and
    what was killed."""
    killed: list[str] = []
    async with _estate(folder) as (broker, roles), Harness.start(
        "small", bus="mqtt", broker=broker.url, external=EXTERNAL_ROLES, provision=False,
        run=RUN, timeout=120,
    ) as h:  # fmt: skip
        devices = [
            h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=wrong)
            for wrong in (False, True)
        ]
        answered = asyncio.Event()
        chaos = (
            asyncio.create_task(_chaos(broker, roles, seed, answered)) if seed is not None else None
        )
        exchanges = []
        try:
            for index in range(REQUESTS):  # one at a time: see the module docstring
                device = devices[index % len(devices)]
                body = h.bodies.handover(WRONG_NETWORK_OPERATOR)
                exchange = await h.send(SUPPLIER, device, "6.21", body)
                exchanges.append(exchange)
                outcome = await h.outcome(exchange)
                why = f"seed {seed}: {exchange.request_id} ended {refusal(outcome)}"
                assert isinstance(outcome.body, SMETS1ResponseMessage), why
        finally:
            answered.set()
            if chaos is not None:
                killed = await chaos
        await asyncio.sleep(QUIET)
        finals = {str(e.request_id): sum(map(is_final, e.received)) for e in exchanges}
        assert len(finals) == REQUESTS
        twice = {rid: n for rid, n in finals.items() if n != 1}
        assert twice == {}, f"seed {seed}: requests answered other than once: {twice}"
        last = {str(e.request_id.target): e.request_id.counter for e in exchanges}
    state = _state(folder)
    floors = state["floor"]
    assert isinstance(floors, list)
    state["floor"] = [
        (device, name, value == last[device] if device in last else value)
        for device, name, value in floors
    ]
    return state, killed


def _state(folder: Path) -> dict[str, object]:
    """What each role's database holds of its protocol state."""
    s1sp = SlotStore.open(folder / "s1sp-IOC" / "s1sp-IOC.sqlite")
    try:
        state: dict[str, object] = dict(s1sp.snapshot())
    finally:
        s1sp.close()
    with _read(folder / "devices" / "devices.sqlite") as db:
        state["devices"] = db.execute("SELECT * FROM smets1_device ORDER BY 1").fetchall()
    with _read(folder / "dsp" / "dsp.sqlite") as db:
        state["dsp_counter"] = db.execute("SELECT * FROM dsp_counter ORDER BY 1").fetchall()
        state["dsp_pending"] = db.execute("SELECT tbl, key FROM dsp_pending").fetchall()
    return state


@contextmanager
def _read(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(path)
    try:
        yield db
    finally:
        db.close()


async def test_requests_are_answered_and_executed_exactly_once_across_kill_9(
    tmp_path: Path,
) -> None:
    seed = random.randrange(1 << 32)
    (tmp_path / "calm").mkdir()
    (tmp_path / "chaos").mkdir()
    calm, _ = await _requests(tmp_path / "calm", None)
    faulted, killed = await _requests(tmp_path / "chaos", seed)
    assert set(killed) == {*ROLES, "broker"}, f"seed {seed}: killed {killed}"
    assert faulted["pending"] == [] and faulted["dsp_pending"] == [], f"seed {seed}"
    for table in ("slot", "floor", "link", "link_seen", "devices", "dsp_counter"):
        assert faulted[table] == calm[table], f"seed {seed}, {table} (killed {killed})"
