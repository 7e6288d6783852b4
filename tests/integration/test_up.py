"""``s1harness up`` as the build under test: one long-running process plays a role (with a
fresh database, started once) and the feature suite runs against it with that role external —
every scenario of its cohort passes, the build told over its control channel to load each
scenario's estate — and what ``up`` says when it cannot start."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from brokers import login_env
from feature_runs import run_features_async
from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.presets import NETWORK_OPERATOR, WRONG_NETWORK_OPERATOR
from s1harness.services.broker import EmbeddedBroker
from s1harness.testing import Harness, alert_code, refusal
from s1harness.testing.expectations import estate
from up_process import up_process

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]

COHORT_SCENARIOS = 23
"""The feature suite's scenarios on the devices of one S1SP (``-k IOC`` and so on)."""
ALL_SCENARIOS = 77


@pytest.mark.slow
@pytest.mark.parametrize("cohort", ["IOC", "MOC", "FOC"])
async def test_every_scenario_of_a_cohort_against_its_s1sp_in_one_process(
    tmp_path: Path, cohort: str
) -> None:
    role = f"s1sp:{cohort}"
    data = tmp_path / "up"
    async with up_process("--only", role, "--data-dir", str(data)) as build:
        assert build.roles == [role]
        done = await run_features_async(
            tmp_path,
            "-k",
            cohort,
            "--s1h-broker",
            build.broker,
            "--s1h-external",
            role,
            env=build.env(),
        )
    done.expect_all_passed(COHORT_SCENARIOS)


@pytest.mark.slow
async def test_every_scenario_against_the_dsp_in_one_process(tmp_path: Path) -> None:
    async with up_process("--only", "dsp") as build:
        assert build.roles == ["dsp"]
        done = await run_features_async(
            tmp_path, "--s1h-broker", build.broker, "--s1h-external", "dsp", env=build.env()
        )
    done.expect_all_passed(ALL_SCENARIOS)


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


@pytest.mark.slow
async def test_a_build_that_connects_after_the_request_still_completes_it(tmp_path: Path) -> None:
    """Nobody takes the countersigned request from the DSP's outbox until the S1SP's build is
    there: the run's own recorder only observes. The build connects 3 s after the request
    (holding the same estate, so no provisioning is needed) and completes it."""
    async with (
        EmbeddedBroker() as broker,
        Harness.start(
            "small", bus="mqtt", broker=broker.url, access=broker.access(),
            external=["s1sp:IOC"], record=True,
            provision=False, timeout=60,
        ) as h,
    ):  # fmt: skip
        device = h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=True)
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        sent = await h.send(WRONG_NETWORK_OPERATOR, device, "6.15.1", body)
        await asyncio.sleep(3)
        assert sent.codes == ["I0", "I99"]  # accepted by the DSP, nobody has answered for IOC
        # The build logs in as its role: the access list for an S1SP build is all it needs.
        build = login_env(broker, "s1sp-IOC")
        async with up_process("--only", "s1sp:IOC", "--broker", broker.url, env=build):
            outcome = await h.outcome(sent)
        assert isinstance(outcome.body, SMETS1ResponseMessage), refusal(outcome)
        assert sent.codes == ["I0", "I99", "I0"]


async def test_up_with_a_login_that_may_not_read_its_role_s_topics_stops_in_one_line() -> None:
    """A build of the MOC S1SP logged in as the DSP: the broker refuses it the S1SP's topics,
    and ``up`` says so at once instead of saying it is ready and never answering."""
    async with EmbeddedBroker() as broker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "s1harness", "up", "--only", "s1sp:MOC", "--broker", broker.url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **login_env(broker, "dsp")},
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, out.decode() + err.decode()
    assert "ready" not in out.decode()
    said = err.decode().strip().splitlines()[-1]
    assert said.startswith("s1harness: error: MQTT broker at mqtt://127.0.0.1:")
    assert re.search(r"refused 'dsp' a subscription to (control/)?s1sp/MOC\b", said), said


@pytest.mark.slow
async def test_a_future_dated_command_held_by_a_smets2_device_outlives_a_kill_9_of_its_build(
    tmp_path: Path,
) -> None:
    """The devices' build holds a future-dated 6.15.1 for a SMETS2 ESME; its clock is set to
    10 s before the execution time and at once it is killed with SIGKILL. Started again on its
    data folder, with no clock request of its own (a copy of the last one, if the broker sends
    it again, is not applied twice), its time runs on from the time it kept: the device
    executes the command once, and the Supplier gets the 8F66 execution alert and the DSP's
    N42 (judged from the messages it receives, the build being another process). A build that
    keeps no held command, or starts its clock again at the estate's start, fails it."""
    data = tmp_path / "devices"
    async with (
        EmbeddedBroker() as broker,
        Harness.start(
            "small", bus="mqtt", broker=broker.url, access=broker.access(),
            external=["devices"], timeout=60,
        ) as h,
    ):  # fmt: skip
        device = h.device(smets=2, device_type="ESME")
        row = h.system.registry.device(device)
        assert row is not None and row.mpan is not None
        registered = h.registration(row.mpan)
        assert registered is not None
        supplier = registered.supplier
        when = h.clock() + timedelta(hours=1)
        body = dataclasses.replace(
            h.bodies.update_credentials(supplier, role="Supplier"), execution_date_time=when
        )
        args = ("--only", "devices", "--broker", broker.url, "--data-dir", str(data))
        build = login_env(broker, "devices")
        async with up_process(*args, env=build) as first:
            sent = await h.send(supplier, device, "6.15.1", body)
            held = await h.outcome(sent)
            assert held.header.response_code == "I0" and alert_code(held) is None, refusal(held)
            seen = len(h.inbox(supplier))
            moment = (when - timedelta(seconds=10)).isoformat().replace("+00:00", "Z")
            await h.controller.ask("devices", "clock", h.timeout, now=moment)
            await first.kill()  # the request handled (kept, journaled), maybe not acknowledged
        async with up_process(*args, env=build):
            executed = await h.alert(supplier, code="8F66", after=seen)
            await h.alert(supplier, code="N42", after=seen)
            await asyncio.sleep(2)  # two of the build's ticks: the command runs only once
            await h.settle()
        codes = [alert_code(r) for r in h.inbox(supplier)[seen:]]
        assert sorted(c for c in codes if c) == ["8F66", "N42"], codes
        assert executed.header.request_id == sent.request_id


async def test_up_refuses_a_kept_clock_that_is_not_a_time_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "clock").write_text("yesterday\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "s1harness", "up", "--only", "devices",
        "--data-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert err.decode().strip() == (
        f"s1harness: error: {tmp_path / 'clock'}: not the time a build kept (ISO 8601 UTC); "
        "remove it to start the clock at the estate's start"
    )
