"""``s1harness up``: one S1SP as its own OS process while the Harness plays the rest with
``external s1sp:IOC`` on the same broker — the IOC scenarios pass — and a clean stop."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from s1harness.estate import Estate, dumps
from s1harness.services.broker import EmbeddedBroker
from s1harness.testing import Harness
from s1harness.testing.scenarios import (
    Case,
    estate,
    negative_roles,
    partial_rollout,
    positive_no_handover,
    switch_off_deadlock,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]
IOC = [Case("IOC", "ESME"), Case("IOC", "GPF")]


@asynccontextmanager
async def _up(folder: Path, chosen: Estate, broker: str, *args: str) -> AsyncIterator[str]:
    """``s1harness up`` in its own process, until the block ends; yields its ready line."""
    (folder / "estate.yaml").write_text(dumps(chosen))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "s1harness", "up", "--estate", str(folder), "--broker", broker,
        "--data-dir", str(folder), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("s1harness up: ready"), line + (await process.stderr.read()).decode()
        yield line
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest = (await asyncio.wait_for(process.stdout.read(), 30)).decode()
        errors = (await process.stderr.read()).decode()
        assert await process.wait() == 0, errors
        assert "s1harness up: stopped" in rest
        assert "Traceback" not in errors


@asynccontextmanager
async def _harness_with_ioc_outside(folder: Path, chosen: Estate) -> AsyncIterator[Harness]:
    async with (
        EmbeddedBroker() as broker,
        _up(folder, chosen, broker.url, "--only", "s1sp:IOC") as ready,
    ):
        assert "roles s1sp:IOC" in ready
        async with Harness.start(
            chosen, bus="mqtt", broker=broker.url, external=["s1sp:IOC"], data_dir=folder
        ) as h:
            yield h


async def test_the_ioc_scenarios_with_the_s1sp_in_its_own_process(tmp_path: Path) -> None:
    async with _harness_with_ioc_outside(tmp_path, estate()) as h:
        for case in IOC:
            await negative_roles(h, case)
            await positive_no_handover(h, case)


async def test_partial_rollout_with_the_not_updated_s1sp_in_its_own_process(tmp_path: Path) -> None:
    async with _harness_with_ioc_outside(tmp_path, estate(not_updated="IOC")) as h:
        for case in IOC:
            await partial_rollout(h, case)


async def test_the_deadlock_with_the_s1sp_in_its_own_process(tmp_path: Path) -> None:
    async with _harness_with_ioc_outside(tmp_path, estate(dsp_mp107=False)) as h:
        for case in IOC:
            await switch_off_deadlock(h, case)


async def test_up_refuses_a_bad_role_in_one_line(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "s1harness", "up", "--only", "s1sp:XYZ",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    assert process.returncode == 2
    assert err.decode().strip() == (
        "s1harness: error: unknown role 's1sp:XYZ' "
        "(roles: dsp, s1sp:IOC, s1sp:MOC, s1sp:FOC, devices)"
    )


async def test_up_says_when_the_broker_cannot_be_reached(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "s1harness", "up", "--broker", "mqtt://127.0.0.1:1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert (
        err.decode()
        .splitlines()[-1]
        .startswith("s1harness: error: cannot reach the MQTT broker at mqtt://127.0.0.1:1")
    )


def test_a_scenario_estate_differs_only_in_its_switches() -> None:
    assert dataclasses.replace(estate(not_updated="IOC"), s1sps=estate().s1sps) == estate()
