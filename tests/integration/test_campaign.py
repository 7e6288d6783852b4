"""The Requirement 1 campaign end to end: on a small ``fia`` estate every mismatched device is
corrected by its wrong NO's SRV 6.15.1 through the emulated DSP, S1SPs and devices, and the NO
slots end as Requirement 2's data update leaves a copy of the same estate; a campaign killed
with SIGKILL and run again ends the same way; at an S1SP without MP107 every device is named
with the code it was refused with."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from s1harness.cli import main
from s1harness.estate.document import dumps, load
from s1harness.registry.model import Cohort

pytestmark = [pytest.mark.vectors, pytest.mark.slow]

DEVICES, SHARE = 400, 0.3
"""A small fia estate: about 115 of its 400 SMETS1 devices hold another NO's certificates."""


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("campaign") / "fia"
    assert main(["estate", "init", "--preset", "fia", "--devices", str(DEVICES),
                 "--wrong-share", str(SHARE), "--out", str(folder)]) == 0  # fmt: skip
    return folder


def _copy(estate: Path, to: Path) -> Path:
    shutil.copytree(estate, to)
    return to


def _json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict[str, object]:
    capsys.readouterr()
    assert main([*args, "--json"]) == code
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def _no_slots(folder: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every S1SP's Network Operator slots: device, kind, the certificate and its owner."""
    out = {}
    for path in sorted(folder.glob("s1sp-*.sqlite")):
        with closing(sqlite3.connect(path)) as db:
            out[path.name] = db.execute(
                "SELECT device_id, kind, certificate, owner FROM slot "
                "WHERE role = 'network_operator' ORDER BY 1, 2"
            ).fetchall()
    return out


def _remediated(estate: Path, to: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    copy = _copy(estate, to)
    done = _json(capsys, "remediate", "--estate", str(copy), "--at", "2026-11-21T10:00:00Z")
    assert sum(sum(c.values()) for c in done["corrected"].values()) > 100  # type: ignore[attr-defined]
    return copy


def test_the_campaign_corrects_every_device_as_the_data_update_does(
    estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaigned = _copy(estate, tmp_path / "campaign")
    before = _no_slots(campaigned)
    report = _json(capsys, "campaign", "--estate", str(campaigned))
    totals = report["totals"]
    assert isinstance(totals, dict) and totals["corrected"] > 100
    assert totals == {"corrected": totals["corrected"], "refused": 0, "timed out": 0,
                      "not sent": 0}  # fmt: skip
    rows = report["by_s1sp"]
    assert isinstance(rows, list) and {r["s1sp"] for r in rows} == {"IOC", "MOC", "FOC"}
    assert all(r["remaining"] == 0 and r["outcomes"] == {"corrected": r["mismatched"]}
               for r in rows)  # fmt: skip
    after = _no_slots(campaigned)
    assert after != before
    assert after == _no_slots(_remediated(estate, tmp_path / "remediate", capsys))
    again = _json(capsys, "campaign", "--estate", str(campaigned))  # nothing left to do
    assert again["totals"] == {"corrected": 0, "refused": 0, "timed out": 0, "not sent": 0}


def test_a_campaign_killed_and_run_again_ends_as_an_uninterrupted_one(
    estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(estate, tmp_path / "killed")
    before = _no_slots(folder)
    argv = [sys.executable, "-m", "s1harness", "campaign", "--estate", str(folder),
            "--window", "2", "--json"]  # fmt: skip
    errors = tmp_path / "campaign.err"
    with (
        errors.open("wb") as err,
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err) as process,
    ):
        try:
            deadline = time.monotonic() + 120
            while _corrected(folder, before) < 10:  # part of the way: then SIGKILL
                assert process.poll() is None, errors.read_text()
                assert time.monotonic() < deadline, "the campaign made no progress"
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    part = _corrected(folder, before)
    assert 10 <= part < sum(len(rows) for rows in before.values())
    report = _json(capsys, "campaign", "--estate", str(folder))
    assert report["totals"] == {"corrected": report["totals"]["corrected"], "refused": 0,  # type: ignore[index]
                                "timed out": 0, "not sent": 0}  # fmt: skip
    assert all(r["remaining"] == 0 for r in report["by_s1sp"])  # type: ignore[attr-defined]
    assert _no_slots(folder) == _no_slots(_remediated(estate, tmp_path / "remediate", capsys))


def _corrected(folder: Path, before: dict[str, list[tuple[object, ...]]]) -> int:
    """NO slots changed since ``before`` (read while the campaign writes: WAL readers)."""
    now = _no_slots(folder)
    return sum(len(set(now[name]) - set(rows)) for name, rows in before.items())


def test_at_an_s1sp_without_mp107_every_device_is_named_with_its_refusal(
    estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(estate, tmp_path / "partial")
    document = load(folder / "estate.yaml")
    s1sps = tuple(
        dataclasses.replace(s, mp107=False) if s.cohort == Cohort.FOC else s for s in document.s1sps
    )
    (folder / "estate.yaml").write_text(
        dumps(dataclasses.replace(document, s1sps=s1sps)), encoding="utf-8"
    )
    report = _json(capsys, "campaign", "--estate", str(folder))
    rows = {r["s1sp"]: r for r in report["by_s1sp"] if r["device_type"] == "ESME"}  # type: ignore[attr-defined]
    assert rows["IOC"]["remaining"] == 0 and rows["MOC"]["remaining"] == 0
    assert rows["FOC"]["remaining"] == rows["FOC"]["mismatched"] > 0
    refused = [d for d in report["not_corrected"] if d["s1sp"] == "FOC"]  # type: ignore[attr-defined]
    foc = sum(r["mismatched"] for r in report["by_s1sp"] if r["s1sp"] == "FOC")  # type: ignore[attr-defined]
    assert len(refused) == foc
    assert {(d["outcome"], d["code"]) for d in refused} == {("refused", "S1VE4")}
    assert all(d["device"] and d["sender"] for d in refused)


@pytest.mark.mqtt
def test_with_the_dsp_in_a_process_of_its_own_the_campaign_ends_the_same(
    estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(estate, tmp_path / "two")
    report = _json(capsys, "campaign", "--estate", str(folder), "--bus", "mqtt", "--dsp-process")
    assert report["totals"] == {"corrected": report["totals"]["corrected"], "refused": 0,  # type: ignore[index]
                                "timed out": 0, "not sent": 0}  # fmt: skip
    assert all(r["remaining"] == 0 for r in report["by_s1sp"])  # type: ignore[attr-defined]
    assert _no_slots(folder) == _no_slots(_remediated(estate, tmp_path / "remediate", capsys))
    with closing(sqlite3.connect(folder / "dsp.sqlite")) as db:  # journaled by `up`'s DSP alone
        handled = db.execute("SELECT count(*) FROM bus_handled").fetchone()[0]
    assert handled >= 2 * report["totals"]["corrected"]  # type: ignore[index]


def test_a_role_that_fails_fails_the_campaign(
    estate: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in an emulated role (here the S1SPs raise on every message) is named among the
    report's role failures, its devices time out, and the campaign exits 1."""
    from s1harness.roles.s1sp.service import S1sp

    def broken(self: S1sp, envelope: object) -> list[object]:
        raise ValueError("a bug in a role")

    monkeypatch.setattr(S1sp, "handle", broken)
    folder = _copy(estate, tmp_path / "broken")
    report = _json(capsys, "campaign", "--estate", str(folder), "--limit", "2",
                   "--timeout", "1", code=1)  # fmt: skip
    assert report["totals"]["timed out"] == 2  # type: ignore[index]
    failures = report["role_failures"]
    assert failures and all("ValueError: a bug in a role" in f for f in failures)  # type: ignore[union-attr]


def test_a_dsp_process_needs_the_mqtt_bus(estate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["campaign", "--estate", str(estate), "--dsp-process"]) == 2
    assert capsys.readouterr().err.strip().endswith("--dsp-process needs the mqtt bus")


@pytest.mark.mqtt
def test_a_campaign_killed_takes_its_dsp_and_broker_processes_with_it(
    estate: Path, tmp_path: Path
) -> None:
    folder = _copy(estate, tmp_path / "orphans")
    before = _no_slots(folder)
    argv = [sys.executable, "-m", "s1harness", "campaign", "--estate", str(folder),
            "--bus", "mqtt", "--dsp-process", "--window", "2", "--json"]  # fmt: skip
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            deadline = time.monotonic() + 120
            while _corrected(folder, before) < 5:  # the DSP's process is up and working
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            children = _children(process.pid)
            assert len(children) == 2  # the broker and the DSP
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in children if _alive(pid)]
    for pid in left:  # the test leaves nothing running, whatever it finds
        os.kill(pid, signal.SIGKILL)
    assert not left


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    """Running, not a zombie awaiting its (gone) parent's wait."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


_FAILING_DSP = """
import logging, sys
from s1harness.cli.up import _logging
from s1harness.services.runner import HandlerFailure
from s1harness.services.up import _log_failures
from s1harness.spec.bus import Envelope

class Runner:
    failures = [HandlerFailure("dsp/requests", Envelope(topic="t", kind="duis-request",
                correlation_id=f"c{n}", payload=b""), ValueError(f"broken {n}"))
                for n in range(7)]

_logging(interactive=False)
logging.getLogger("s1harness.up").info("an ordinary line")
_log_failures(Runner)
"""


def test_the_dsp_process_handler_failures_reach_the_campaign_report() -> None:
    """What ``up`` logs of its handlers' failures, the campaign reads back from the DSP's
    standard error: the first ones whole, the rest counted, ordinary lines not."""
    from s1harness.campaign import _relay

    async def relayed() -> list[str]:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _FAILING_DSP,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        failures: list[str] = []
        await asyncio.wait_for(_relay(child, failures), 60)
        assert await child.wait() == 0
        return failures

    failures = asyncio.run(relayed())
    assert failures == [
        *(f"handler for dsp/requests failed on duis-request 'c{n}': ValueError: broken {n}"
          for n in range(5)),
        "2 more, not shown",
    ]  # fmt: skip
