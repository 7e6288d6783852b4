"""Requirement 2 end to end: the FIA's counts on the ``fia`` estate, the corrected devices
answering the right NO and refusing the wrong one through the Harness, ``kill -9`` and
``--resume`` against an uninterrupted run, and S1SP requests served while the update runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from s1harness.cli import main
from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.fia import generate
from s1harness.estate.model import DeviceSpec
from s1harness.registry.model import Cohort
from s1harness.remediation import NoRegister, Report, remediate
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole
from s1harness.testing import Harness
from s1harness.testing.harness import refusal

pytestmark = pytest.mark.vectors  # the Harness validates DUIS against the shared XSD

FIA = {"IOC": {"ESME": 9024, "GPF": 18905}, "MOC": {"ESME": 125, "GPF": 1226}}
"""The DCC Full Impact Assessment's wrong-NO devices (IOC and MOC; FOC's figure is unknown)."""
NONE = {"ESME": 0, "GPF": 0}


@pytest.fixture(scope="module")
def fia_estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fia") / "estate"
    assert main(["estate", "init", "--preset", "fia", "--out", str(folder)]) == 0
    return folder


def _remediate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, object]]:
    capsys.readouterr()
    assert main(["remediate", *args, "--json"]) == 0
    out: dict[str, dict[str, object]] = json.loads(capsys.readouterr().out)
    return out


def test_the_dry_run_finds_exactly_the_fia_figures(
    fia_estate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _remediate(capsys, "--estate", str(fia_estate), "--dry-run")
    assert {c: found["mismatched"][c] for c in FIA} == FIA
    assert found["skipped"] == dict.fromkeys(("IOC", "MOC", "FOC"), NONE)


async def test_after_the_update_the_right_no_is_answered_and_the_wrong_one_refused(
    fia_estate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = _remediate(capsys, "--estate", str(fia_estate))
    assert {c: done["corrected"][c] for c in FIA} == FIA
    again = _remediate(capsys, "--estate", str(fia_estate), "--dry-run")
    assert again["mismatched"] == dict.fromkeys(("IOC", "MOC", "FOC"), NONE)
    async with Harness.start(fia_estate, data_dir=fia_estate) as h:
        for cohort, kind in (("IOC", "ESME"), ("MOC", "GPF"), ("FOC", "ESME")):
            device = h.device(smets=1, cohort=cohort, device_type=kind, wrong_no=True)
            spec = next(s for s in h.estate.devices if s.device_id == device)
            right, wrong = _network_operators(h, spec)
            assert h.slot_owner(device) == right
            sent = await h.send(right, device, "6.15.1", h.bodies.update_credentials(right))
            outcome = await h.outcome(sent, timeout=20)
            assert isinstance(outcome.body, SMETS1ResponseMessage), refusal(outcome)
            sent = await h.send(wrong, device, "6.15.1", h.bodies.update_credentials(wrong))
            assert refusal(await h.outcome(sent, timeout=20)) == "S1VE64"


def _network_operators(h: Harness, spec: DeviceSpec) -> tuple[Eui64, Eui64]:
    """The registered NO and the one whose certificates the estate placed instead."""
    link = spec.device.linked_mpxn
    assert link is not None
    period = h.registration(link[0])
    wrong = h.estate.holder(spec, RemotePartyRole.NETWORK_OPERATOR)
    assert period is not None and wrong is not None and wrong != period.network_operator
    return period.network_operator, wrong


def _tables(folder: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every S1SP's slots, and audit rows but for their run ID and time."""
    out = {}
    for cohort in Cohort:
        db = sqlite3.connect(folder / f"s1sp-{cohort}.sqlite")
        out[f"slot {cohort}"] = db.execute("SELECT * FROM slot ORDER BY 1, 2, 3").fetchall()
        audit = db.execute("SELECT * FROM remediation_audit ORDER BY device_id").fetchall()
        out[f"audit {cohort}"] = [row[1:-1] for row in audit]
        db.close()
    return out


def _audited(folder: Path) -> int:
    db = sqlite3.connect(folder / "s1sp-IOC.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM remediation_audit").fetchone()[0])
    except sqlite3.OperationalError:  # the run has not created its tables yet
        return 0
    finally:
        db.close()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "s1harness", "remediate", *args, "--json"]


def test_kill_9_then_resume_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    generate(killed, devices=20_000, wrong=0.5)
    whole = Path(shutil.copytree(killed, tmp_path / "whole"))
    register = killed / "no-register.json"
    assert main(["estate", "register", "--estate", "fia", "--out", str(register)]) == 0
    shutil.copy(register, whole / "no-register.json")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(_cli("--estate", str(killed), "--batch", "5"), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        while _audited(killed) == 0:
            assert process.poll() is None, process.communicate()
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    refused = subprocess.run(_cli("--estate", str(killed)), env=env, capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert refused.returncode == 2 and "was interrupted: resume it" in refused.stderr
    resumed = subprocess.run(_cli("--estate", str(killed), "--resume"), env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
    uninterrupted = subprocess.run(_cli("--estate", str(whole)), env=env, capture_output=True,
                                   text=True, check=True)  # fmt: skip
    assert json.loads(resumed.stdout) == json.loads(uninterrupted.stdout)
    assert json.loads(resumed.stdout)["corrected"]["IOC"]["GPF"] > 0
    assert _tables(killed) == _tables(whole)


async def test_the_s1sps_keep_serving_while_the_update_runs(tmp_path: Path) -> None:
    generate(tmp_path, devices=20_000, wrong=0.5)
    loop = asyncio.get_running_loop()
    started, requests_done = asyncio.Event(), threading.Event()
    batches = 0

    def progress(cohort: Cohort, n: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 1:
            loop.call_soon_threadsafe(started.set)
        if batches == 200:  # still mid-run: wait here until every request has been answered
            assert requests_done.wait(60)

    async with Harness.start(tmp_path, data_dir=tmp_path) as h:
        register = NoRegister.of_system(h.system)
        update = asyncio.create_task(asyncio.to_thread(
            remediate, {c: tmp_path / f"s1sp-{c}.sqlite" for c in Cohort},
            tmp_path / "registry.sqlite", register, at=h.clock(), batch=20, progress=progress,
        ))  # fmt: skip
        await asyncio.wait_for(started.wait(), 30)
        answered = await _requests(h)
        finished_early = update.done()
        requests_done.set()
        report: Report = await update
    assert not finished_early and batches > 200
    assert answered == [True] * len(answered) and len(answered) == 12
    assert report.as_json()["corrected"]["IOC"]["ESME"] > 1000


async def _requests(h: Harness) -> list[bool]:
    """The registered NO's and supplier's 6.15.1 on each correctly-set emulated device."""
    answered = []
    for spec in h.estate.devices:
        if h.estate.wrong_network_operator(spec):
            continue
        link = spec.device.linked_mpxn
        period = h.registration(link[0]) if link else None
        assert period is not None
        for sender, role in ((period.network_operator, "NetworkOperator"),
                             (period.supplier, "Supplier")):  # fmt: skip
            body = h.bodies.update_credentials(sender, role=role)
            outcome = await h.outcome(await h.send(sender, spec.device_id, "6.15.1", body), 20)
            answered.append(isinstance(outcome.body, SMETS1ResponseMessage))
    return answered


async def test_the_data_update_on_a_running_small_estate(tmp_path: Path) -> None:
    """The flow the Gherkin feature drives: a supplier's 6.21 places a wrong NO; the update on
    the running Harness's databases puts the registered NO back."""
    async with Harness.start("small", data_dir=tmp_path) as h:
        device = h.device(smets=1, cohort="MOC", device_type="GPF")
        spec = next(s for s in h.estate.devices if s.device_id == device)
        link = spec.device.linked_mpxn
        period = h.registration(link[0]) if link else None
        assert period is not None
        wrong = next(s for s in h.estate.devices if h.estate.wrong_network_operator(s)
                     and s.device.device_type is spec.device.device_type)  # fmt: skip
        other = h.estate.holder(wrong, RemotePartyRole.NETWORK_OPERATOR)
        assert other is not None
        sent = await h.send(period.supplier, device, "6.21", h.bodies.handover(other))
        assert isinstance((await h.outcome(sent)).body, SMETS1ResponseMessage)
        assert h.slot_owner(device) == other
        register = NoRegister.of_system(h.system)
        report = await asyncio.to_thread(
            remediate, {c: tmp_path / f"s1sp-{c}.sqlite" for c in Cohort},
            tmp_path / "registry.sqlite", register, at=h.clock(),
        )  # fmt: skip
        assert report.as_json()["corrected"]["MOC"] == {"ESME": 1, "GPF": 2}
        assert h.slot_owner(device) == period.network_operator
        right = period.network_operator
        sent = await h.send(right, device, "6.15.1", h.bodies.update_credentials(right))
        assert isinstance((await h.outcome(sent)).body, SMETS1ResponseMessage)
        sent = await h.send(other, device, "6.15.1", h.bodies.update_credentials(other))
        assert refusal(await h.outcome(sent)) == "S1VE64"
