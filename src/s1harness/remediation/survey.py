"""Finding the mismatched devices of one S1SP database (SECMP0107 Requirement 2).

A device is **mismatched** when a certificate in one of its Network Operator slots (critical
or non-critical) is owned by someone other than the NO registered for its MPAN (an ESME: the
Electricity Distributor) or MPRN (a GPF: the Gas Transporter) at the run's instant.

The S1SP's connection gets three temporary tables (private to it, so the S1SP serving on
the same database never sees them):

* ``expect`` — per SMETS1 device the inventory gives this S1SP: its type, meter point and
  registered NO (NULL when unknown), read once from the registry at the run's instant;
* ``correct`` — per NO with published certificates (the register, matched to the registry's
  parties by distributor ID or gas network): the DER, serial and issuer of its DS and KA
  certificates;
* ``batch`` — the devices of the transaction in hand (:mod:`.update`).

Everything after loading them is set-based SQL, so a million devices cost a few scans.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from s1harness.registry.model import Cohort
from s1harness.registry.store import Registry
from s1harness.remediation.register import NoRegister
from s1harness.remediation.report import UNKNOWN_TYPE, S1spOutcome, SkippedDevice, SkipReason
from s1harness.roles.s1sp.store import SlotKind, SlotRole, slot_row
from s1harness.spec.users import ROLES_BY_FUEL

_TEMP = """
DROP TABLE IF EXISTS temp.expect;
DROP TABLE IF EXISTS temp.correct;
DROP TABLE IF EXISTS temp.batch;
CREATE TEMP TABLE expect (
    device_id TEXT PRIMARY KEY, device_type TEXT NOT NULL, mpxn TEXT, registered TEXT
) WITHOUT ROWID;
CREATE TEMP TABLE correct (
    network_operator TEXT PRIMARY KEY,
    ds BLOB NOT NULL, ds_serial TEXT NOT NULL, ds_issuer TEXT NOT NULL,
    ka BLOB NOT NULL, ka_serial TEXT NOT NULL, ka_issuer TEXT NOT NULL
);
CREATE TEMP TABLE batch (
    device_id TEXT PRIMARY KEY, device_type TEXT NOT NULL, registered TEXT NOT NULL
) WITHOUT ROWID;
"""

NO_SLOTS = (
    "SELECT 1 FROM main.slot s WHERE s.device_id = e.device_id AND s.role = 'network_operator'"
)
MISMATCH = f"EXISTS ({NO_SLOTS} AND s.owner != e.registered)"
"""True for an ``expect`` row ``e`` whose NO slots hold someone else's certificate."""
HELD = (
    "(SELECT min(s.owner) FROM main.slot s WHERE s.device_id = e.device_id"
    " AND +s.role = 'network_operator' AND s.owner IS NOT e.registered)"
)
"""Whose certificate an ``expect`` row ``e``'s NO slots hold instead. The unary ``+`` keeps
SQLite on the slot table's primary key (device first): by the ``(role, owner)`` index the
look-up scans every NO slot of the database, once per skipped device."""
_STATE = f"""
SELECT e.device_id, e.device_type, e.mpxn, e.registered, CASE
    WHEN NOT EXISTS ({NO_SLOTS}) THEN 'not_at_s1sp'
    WHEN e.registered IS NULL THEN 'unknown_mpxn'
    WHEN NOT {MISMATCH} THEN 'ok'
    WHEN e.registered IN (SELECT network_operator FROM temp.correct) THEN 'mismatched'
    ELSE 'no_published_certificate' END AS state
FROM temp.expect e
"""
_NOT_IN_INVENTORY = """
SELECT device_id, min(owner) FROM main.slot
WHERE +role = 'network_operator' AND device_id NOT IN (SELECT device_id FROM temp.expect)
GROUP BY device_id ORDER BY device_id
"""
"""Devices with NO slots the inventory does not list. The ``+`` again keeps SQLite on the
primary key, which it reads in device order, testing role and Device ID before it fetches a
row: by the ``(role, owner)`` index it would fetch every NO slot's row and then sort."""


def load(
    db: sqlite3.Connection, cohort: Cohort, registry: Registry, register: NoRegister, at: datetime
) -> None:
    """Fill ``expect`` and ``correct`` for ``cohort`` at ``at`` (module docstring)."""
    db.executescript(_TEMP)
    db.execute("BEGIN")
    db.executemany("INSERT INTO temp.expect VALUES (?, ?, ?, ?)",
                   registry.network_operators_at(cohort, at))  # fmt: skip
    db.executemany("INSERT INTO temp.correct VALUES (?, ?, ?, ?, ?, ?, ?)",
                   _published(registry, register))  # fmt: skip
    db.execute("COMMIT")


def _published(registry: Registry, register: NoRegister) -> Iterable[tuple[object, ...]]:
    seen = set()
    for role in (roles.network_operator for roles in ROLES_BY_FUEL.values()):
        for party in registry.parties_with_role(role):
            entry = register.for_party(party)
            # A register entry that is another party's certificates publishes nothing for this one.
            if entry is None or entry.network_operator != party.user_id or party.user_id in seen:
                continue
            seen.add(party.user_id)
            ds = slot_row("", SlotRole.NETWORK_OPERATOR, SlotKind.CRITICAL, entry.ds)
            ka = slot_row("", SlotRole.NETWORK_OPERATOR, SlotKind.NON_CRITICAL, entry.ka)
            yield (str(party.user_id), *ds[3:6], *ka[3:6])


def survey(db: sqlite3.Connection, cohort: Cohort) -> S1spOutcome:
    """The mismatched counts (by device type), and every skipped device, as things stand.
    ``corrected`` is what an update would correct now: the mismatched less the unpublished."""
    outcome = S1spOutcome(cohort)
    counts = db.execute(
        f"SELECT device_type, state, count(*) FROM ({_STATE}) WHERE state != 'ok' GROUP BY 1, 2"
    ).fetchall()
    for device_type, state, n in counts:
        if state in ("mismatched", SkipReason.NO_PUBLISHED_CERTIFICATE):
            outcome.mismatched[device_type] += n
        if state == "mismatched":
            outcome.corrected[device_type] += n
    if any(state not in ("ok", "mismatched") for _, state, _ in counts):
        outcome.skipped.extend(_skipped(db, cohort))
    outcome.skipped.extend(
        SkippedDevice(cohort, device, UNKNOWN_TYPE, SkipReason.NOT_IN_INVENTORY, holds=held)
        for device, held in db.execute(_NOT_IN_INVENTORY)
    )
    return outcome


def _skipped(db: sqlite3.Connection, cohort: Cohort) -> Iterable[SkippedDevice]:
    rows = db.execute(
        f"SELECT device_id, device_type, mpxn, registered, state, {HELD} FROM ({_STATE}) e"
        " WHERE state NOT IN ('ok', 'mismatched') ORDER BY device_id"
    )
    for device_id, device_type, mpxn, registered, state, held in rows:
        yield SkippedDevice(
            cohort, device_id, device_type, SkipReason(state), mpxn, held, registered
        )


def remaining(db: sqlite3.Connection) -> Counter[str]:
    """How many correctable mismatched devices are left, by type (zero after a full run)."""
    rows = db.execute(
        f"SELECT device_type, count(*) FROM ({_STATE}) WHERE state = 'mismatched' GROUP BY 1"
    )
    return Counter({str(kind): int(n) for kind, n in rows})


__all__ = ["HELD", "MISMATCH", "load", "remaining", "survey"]
