"""Correcting one S1SP database in batched transactions, with an audit row per device.

Each batch is one short ``BEGIN IMMEDIATE`` transaction on the S1SP's own database (WAL): the
devices are chosen beforehand by a read (no lock held), then inside the transaction re-checked
(a 6.15.1 the S1SP executed meanwhile may have corrected one already), audited (before and
after Certificate IDs, time, run ID) and both NO slots replaced with the registered NO's
published certificates. A kill leaves every device either untouched or corrected, with its
audit row; the S1SP serving on the same database waits at most one batch for its own writes
(its connection has a busy timeout) and never sees a half-updated device.

The execution counter floor of the NO role is left as it is: the S1SP's anti-replay for the
role carries on, and a replayed old request stays refused.

A run is recorded in ``remediation_run`` (per S1SP database) when it starts and finished when
no correctable device is left; a run that never finished is resumed under the same run ID and
registration instant. A run with nothing to correct writes nothing at all, so a second run
changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from s1harness.remediation.survey import MISMATCH

SCHEMA = """
CREATE TABLE IF NOT EXISTS remediation_run (
    run_id TEXT PRIMARY KEY,
    registered_at TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    mismatched TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS remediation_audit (
    run_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_type TEXT NOT NULL,
    before_owner TEXT,
    before_critical_serial TEXT,
    before_critical_issuer TEXT,
    before_non_critical_serial TEXT,
    before_non_critical_issuer TEXT,
    after_owner TEXT NOT NULL,
    after_critical_serial TEXT NOT NULL,
    after_critical_issuer TEXT NOT NULL,
    after_non_critical_serial TEXT NOT NULL,
    after_non_critical_issuer TEXT NOT NULL,
    corrected_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS remediation_audit_run ON remediation_audit (run_id, device_id);
"""

_CANDIDATES = f"""
INSERT INTO temp.batch
SELECT e.device_id, e.device_type, e.registered FROM temp.expect e
WHERE e.device_id > ? AND e.registered IN (SELECT network_operator FROM temp.correct)
  AND {MISMATCH}
ORDER BY e.device_id LIMIT ?
"""
_AUDIT = """
INSERT INTO remediation_audit
SELECT :run, b.device_id, b.device_type, coalesce(sc.owner, sn.owner),
    sc.serial, sc.issuer_cn, sn.serial, sn.issuer_cn,
    c.network_operator, c.ds_serial, c.ds_issuer, c.ka_serial, c.ka_issuer, :now
FROM temp.batch b JOIN temp.correct c ON c.network_operator = b.registered
LEFT JOIN main.slot sc
    ON sc.device_id = b.device_id AND sc.role = 'network_operator' AND sc.kind = 'critical'
LEFT JOIN main.slot sn
    ON sn.device_id = b.device_id AND sn.role = 'network_operator' AND sn.kind = 'non_critical'
"""
_REPLACE = """
INSERT INTO main.slot (device_id, role, kind, certificate, serial, issuer_cn, owner)
SELECT b.device_id, 'network_operator', '{kind}', c.{key}, c.{key}_serial, c.{key}_issuer,
    c.network_operator
FROM temp.batch b JOIN temp.correct c ON c.network_operator = b.registered WHERE true
ON CONFLICT (device_id, role, kind) DO UPDATE SET certificate = excluded.certificate,
    serial = excluded.serial, issuer_cn = excluded.issuer_cn, owner = excluded.owner
"""

_UPDATE = (
    "UPDATE main.slot SET certificate = ?, serial = ?, issuer_cn = ?, owner = ?"
    " WHERE device_id = ? AND role = 'network_operator' AND kind = ?"
)

Progress = Callable[[int], None]
"""Called with how many devices a committed batch corrected."""


@dataclass(frozen=True, slots=True)
class Run:
    """A run as its S1SP database records it."""

    run_id: str
    registered_at: str
    finished: bool
    mismatched: dict[str, int]


def runs(db: sqlite3.Connection) -> list[Run]:
    """Every run the database records (none if it never had one), oldest first."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'remediation_run'"
    ).fetchone()
    if not exists:
        return []
    rows = db.execute(
        "SELECT run_id, registered_at, finished, mismatched FROM remediation_run ORDER BY started"
    )
    return [Run(r[0], r[1], r[2] is not None, json.loads(r[3])) for r in rows]


def start(db: sqlite3.Connection, run_id: str, at: str, now: str, mismatched: Counter[str]) -> None:
    """Record a run starting (creating the audit tables on first use)."""
    db.executescript(SCHEMA)
    db.execute(
        "INSERT INTO remediation_run VALUES (?, ?, ?, NULL, ?)",
        (run_id, at, now, json.dumps(dict(sorted(mismatched.items())))),
    )


def finish(db: sqlite3.Connection, run_id: str, now: str) -> None:
    db.execute("UPDATE remediation_run SET finished = ? WHERE run_id = ?", (now, run_id))


def corrected(db: sqlite3.Connection, run_id: str) -> Counter[str]:
    """Devices the run has corrected so far, by type (its audit rows)."""
    rows = db.execute(
        "SELECT device_type, count(DISTINCT device_id) FROM remediation_audit WHERE run_id = ?"
        " GROUP BY 1",
        (run_id,),
    )
    return Counter({str(kind): int(n) for kind, n in rows})


def correct(
    db: sqlite3.Connection,
    run_id: str,
    *,
    batch: int,
    now: Callable[[], str],
    progress: Progress | None = None,
) -> None:
    """Correct every correctable mismatched device, ``batch`` devices per transaction."""
    published = _Published(db)
    last: str | None = ""
    while last is not None:
        db.execute("BEGIN IMMEDIATE")
        try:
            last, done = _batch(db, published, run_id, last, size=batch, now=now())
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if progress is not None and done:
            progress(done)


class _Published:
    """The ``correct`` table in memory: per NO, the slot-row values of its DS and KA."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._rows = {
            str(no): ((ds, ds_serial, ds_issuer), (ka, ka_serial, ka_issuer))
            for no, ds, ds_serial, ds_issuer, ka, ka_serial, ka_issuer in db.execute(
                "SELECT * FROM temp.correct"
            )
        }

    def updates(self, devices: list[tuple[str, str]]) -> list[tuple[object, ...]]:
        """``_UPDATE`` parameters setting both NO slots of each (device, NO)."""
        return [
            (*self._rows[no][index], no, device, kind)
            for device, no in devices
            for index, kind in enumerate(("critical", "non_critical"))
        ]


def _batch(
    db: sqlite3.Connection, published: _Published, run_id: str, after: str, *, size: int, now: str
) -> tuple[str | None, int]:
    """Inside one transaction: choose the next devices still mismatched (so one a 6.15.1 has
    corrected meanwhile is left alone), audit and correct them. Returns the last Device ID
    (None when no device was left) and how many were corrected."""
    db.execute("DELETE FROM temp.batch")
    db.execute(_CANDIDATES, (after, size))
    devices = db.execute("SELECT device_id, registered FROM temp.batch").fetchall()
    if not devices:
        return None, 0
    done = db.execute(_AUDIT, {"run": run_id, "now": now}).rowcount
    # Both slots of a device are there but in rare data: update by key, as fast as SQLite
    # goes, and fill in a missing slot only when some row was not there to update.
    updated = db.executemany(_UPDATE, published.updates(devices)).rowcount
    if updated < 2 * len(devices):
        for kind, key in (("critical", "ds"), ("non_critical", "ka")):
            db.execute(_REPLACE.format(kind=kind, key=key))
    return str(devices[-1][0]), done


__all__ = ["SCHEMA", "Run", "correct", "corrected", "finish", "runs", "start"]
