"""The data update on a small generated estate: counts, corrections with audit rows,
idempotence, every skip reason, and a run interrupted between batches then resumed."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.estate.fia import distributor, population
from s1harness.estate.presets import START
from s1harness.registry.model import Cohort
from s1harness.registry.store import Registry
from s1harness.remediation import NoRegister, SkipReason, remediate, update
from s1harness.spec.errors import InputError

from .support import DEVICES, audit, databases, register, slots, table


@pytest.fixture(scope="module")
def published() -> NoRegister:
    return register()


def _run(estate: Path, published: NoRegister, **options: object):  # type: ignore[no-untyped-def]
    return remediate(databases(estate), estate / "registry.sqlite", published, at=START,
                     **options)  # type: ignore[arg-type]  # fmt: skip


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_dry_run_counts_the_generated_wrong_no_devices_and_writes_nothing(
    estate: Path, published: NoRegister
) -> None:
    expected = {str(c): {"ESME": 0, "GPF": 0} for c in Cohort}
    for kind in population(DEVICES, 0.2):
        expected[str(kind.cohort)][str(kind.device_type)] = kind.wrong
    before = slots(estate)
    report = _run(estate, published, dry_run=True)
    assert report.as_json()["mismatched"] == expected
    assert report.as_json()["would_correct"] == expected
    assert "corrected" not in report.as_json()  # a dry run corrects nothing
    assert not report.skipped and report.run_id is None
    assert slots(estate) == before and not any(audit(estate).values())


def test_a_run_corrects_every_device_with_one_audit_row_each(
    estate: Path, published: NoRegister
) -> None:
    found = _run(estate, published, dry_run=True).as_json()["mismatched"]
    report = _run(estate, published, batch=7, now=lambda: datetime(2027, 1, 1, tzinfo=UTC))
    assert report.as_json()["corrected"] == found
    rows = audit(estate)[Cohort.IOC]
    assert len(rows) == sum(found["IOC"].values())
    assert len({row[0] for row in rows}) == len(rows)  # one row per device
    device, _kind, before_owner, *ids = rows[0]
    assert before_owner != ids[4]  # after_owner: another NO's certificates replaced
    assert ids[:4] != ids[5:9]  # before and after Certificate IDs differ
    again = _run(estate, published, dry_run=True).as_json()
    assert again["mismatched"] == {str(c): {"ESME": 0, "GPF": 0} for c in Cohort}
    held = table(estate / "s1sp-IOC.sqlite",
                 f"SELECT DISTINCT owner FROM slot WHERE device_id = '{device}'"
                 " AND role = 'network_operator'")  # fmt: skip
    assert held == [(ids[4],)]


def test_a_second_run_changes_nothing(estate: Path, published: NoRegister) -> None:
    _run(estate, published)
    before = _files(estate)
    report = _run(estate, published)
    assert sum(o.corrected.total() for o in report.s1sps) == 0
    assert _files(estate) == before


def test_what_cannot_be_resolved_is_skipped_and_reported(
    estate: Path, published: NoRegister
) -> None:
    ioc = estate / "s1sp-IOC.sqlite"
    unpublished = NoRegister(e for e in published.entries if e.distributor_id != 13)
    rows = table(ioc, "SELECT DISTINCT device_id FROM slot WHERE device_id LIKE '00DB111%'"
                 " ORDER BY 1")  # fmt: skip
    with Registry.open(estate / "registry.sqlite") as registry:
        mpan = registry.device(str(rows[10][0])).mpan  # type: ignore[union-attr]
    db = sqlite3.connect(estate / "registry.sqlite", isolation_level=None)
    db.execute("DELETE FROM registration WHERE mpxn = ?", (mpan,))
    db.close()
    db = sqlite3.connect(ioc, isolation_level=None)
    db.execute("DELETE FROM slot WHERE device_id = ?", (rows[20][0],))
    db.execute("UPDATE slot SET device_id = '00DB999999999999' WHERE device_id = ?",
               (rows[30][0],))  # fmt: skip
    db.close()
    report = _run(estate, unpublished)
    reasons = Counter(d.reason for d in report.skipped if d.cohort is Cohort.IOC)
    assert reasons[SkipReason.UNKNOWN_MPXN] == 1
    assert reasons[SkipReason.NOT_AT_S1SP] == 2  # the emptied device and the renamed one
    assert reasons[SkipReason.NOT_IN_INVENTORY] == 1
    assert reasons[SkipReason.NO_PUBLISHED_CERTIFICATE] >= 1
    unknown = next(d for d in report.skipped if d.reason is SkipReason.NOT_IN_INVENTORY)
    assert unknown.device_id == "00DB999999999999" and unknown.device_type == "unknown"
    assert report.as_json()["skipped"]["IOC"]["unknown"] == 1
    csv = report.skipped_csv().splitlines()
    assert csv[0].startswith("s1sp,device_id,device_type,reason")
    assert len(csv) == 1 + len(report.skipped)
    for device in report.skipped:
        if device.reason is SkipReason.NO_PUBLISHED_CERTIFICATE:
            assert device.registered == distributor(13) != device.holds
            path = estate / f"s1sp-{device.cohort}.sqlite"
            owners = table(path, "SELECT DISTINCT owner FROM slot WHERE role = 'network_operator'"
                           f" AND device_id = '{device.device_id}'")  # fmt: skip
            assert owners == [(device.holds,)]  # left as it was


class _KilledError(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_state_of_an_uninterrupted_one(
    estate: Path, published: NoRegister, tmp_path: Path
) -> None:
    other = Path(shutil.copytree(estate, tmp_path / "other"))
    whole = _run(other, published)
    batches = 0

    def die(cohort: Cohort, n: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise _KilledError

    with pytest.raises(_KilledError):
        _run(estate, published, batch=5, progress=die)
    with pytest.raises(InputError, match="was interrupted: resume it"):
        _run(estate, published)
    resumed = _run(estate, published, resume=True, batch=5)
    assert resumed.as_json() == whole.as_json()
    assert slots(estate) == slots(other)
    assert audit(estate) == audit(other)
    with pytest.raises(InputError, match="no interrupted run"):
        _run(estate, published, resume=True)


def test_bad_arguments_are_one_line_errors(estate: Path, published: NoRegister) -> None:
    with pytest.raises(InputError, match="batch size"):
        _run(estate, published, batch=0)
    with pytest.raises(InputError, match="no S1SP database"):
        remediate({"IOC": estate / "nope.sqlite"}, estate / "registry.sqlite", published)
    with pytest.raises(InputError, match="no registry database"):
        remediate({"IOC": estate / "s1sp-IOC.sqlite"}, estate / "nope.sqlite", published)


def test_too_few_devices_for_the_fia_populations_is_refused() -> None:
    with pytest.raises(InputError, match="cannot hold 18,905 wrong-NO IOC GPFs"):
        population(50_000)
    kinds = population()
    assert sum(k.devices for k in kinds) == 100_000
    kind = kinds[0]
    assert sum(kind.is_wrong(n) for n in range(1, kind.devices + 1)) == kind.wrong


def test_a_run_killed_between_s1sps_resumes_as_one_run(
    estate: Path, published: NoRegister, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Path(shutil.copytree(estate, tmp_path / "other"))
    whole = _run(other, published)
    finish = update.finish

    def killed_after_the_first(db: sqlite3.Connection, run_id: str, now: str) -> None:
        finish(db, run_id, now)
        raise _KilledError  # the first S1SP is done, no other one has begun correcting

    monkeypatch.setattr(update, "finish", killed_after_the_first)
    with pytest.raises(_KilledError):
        _run(estate, published)
    monkeypatch.setattr(update, "finish", finish)
    with pytest.raises(InputError, match="was interrupted: resume it"):
        _run(estate, published)
    resumed = _run(estate, published, resume=True)
    assert resumed.as_json() == whole.as_json()
    assert slots(estate) == slots(other)
    assert audit(estate) == audit(other)
    assert {row[0] for c in Cohort for row in table(databases(estate)[c],
            "SELECT DISTINCT run_id FROM remediation_audit")} == {resumed.run_id}  # fmt: skip


_HOLDER = """
import sys, time
from pathlib import Path
from s1harness.estate.presets import START
from s1harness.remediation import NoRegister, remediate
folder, register, go = Path(sys.argv[1]), NoRegister.load(Path(sys.argv[2])), Path(sys.argv[3])
def wait(cohort, n):
    (folder / "started").touch()
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
dbs = {c: folder / f"s1sp-{c}.sqlite" for c in ("IOC", "MOC", "FOC")}
print(remediate(dbs, folder / "registry.sqlite", register, at=START, progress=wait).run_id)
"""


def test_a_second_run_while_one_is_running_is_refused_and_changes_nothing(
    estate: Path, published: NoRegister, tmp_path: Path
) -> None:
    register_file, go = tmp_path / "register.json", tmp_path / "go"
    register_file.write_text(published.dumps())
    first = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(estate), str(register_file), str(go)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (estate / "started").exists():
            assert first.poll() is None and time.monotonic() < deadline, "the first run ended"
            time.sleep(0.02)
        before = audit(estate)
        for second in ({"resume": False}, {"resume": True}, {"dry_run": True}):
            with pytest.raises(InputError, match=r"run \S+ is running on IOC's database"):
                _run(estate, published, **second)
        assert audit(estate) == before
    finally:
        go.touch()
        out, _ = first.communicate(timeout=120)
    assert first.returncode == 0
    assert {row[0] for c in Cohort for row in table(databases(estate)[c],
            "SELECT DISTINCT run_id FROM remediation_audit")} == {out.strip()}  # fmt: skip
    assert _run(estate, published, dry_run=True).as_json()["would_correct"] == {
        c: {"ESME": 0, "GPF": 0} for c in ("IOC", "MOC", "FOC")
    }
