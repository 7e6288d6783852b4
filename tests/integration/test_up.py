"""``s1harness up``: one S1SP as its own OS process while the feature suite plays the rest —
every scenario on a device of the IOC S1SP passes with that S1SP in a process of its own
(``--s1h-up s1sp:IOC``), started afresh for each scenario and stopped cleanly after it — and
what it says when it cannot start."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import pytest

from feature_runs import run_features
from s1harness.testing.expectations import estate

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]

IOC_SCENARIOS = 17
"""The feature suite's scenarios on a device of the IOC S1SP (``-k IOC``)."""


@pytest.mark.slow
def test_the_ioc_scenarios_with_the_s1sp_in_its_own_process(tmp_path: Path) -> None:
    """Each scenario starts ``s1harness up --only s1sp:IOC`` with its own estate (the IOC
    S1SP's MP107 switch as its Given steps set it) and databases: the process keeps a device's
    slots and counters, so scenarios cannot share one."""
    done = run_features(tmp_path, "-k", "IOC", "--s1h-up", "s1sp:IOC")
    done.expect_all_passed(IOC_SCENARIOS)


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
