"""An S1SP's virtual anchor slots in SQLite (docs/contract.md §2.3).

Per SMETS1 device the S1SP holds the four Notified Certificate IDs — Critical and Non-Critical,
for the Supplier and the Network Operator — with the certificates themselves (so it can verify
signatures and owners), and per remote party role the *execution counter* floor an originator
counter must exceed. Each S1SP has its own database; a replacement is one transaction, so a
reader never sees half a device updated.

The device link is durable too: the sequence of the last instruction sent to each device and
of the last frames accepted from it (a replayed device frame is dropped; one overtaken by a
later frame still passes, once), and every
instruction still awaiting its device's answer — an S1SP restarted between instruction and
answer completes the request when the answer arrives.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from s1harness.smki.certificate import SmkiCertificate, cached_certificate
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

SCHEMA_VERSION = 1
LINK_WINDOW = 64
"""How far below the last accepted frame a device frame not yet accepted still passes."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS slot (
    device_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('supplier', 'network_operator')),
    kind TEXT NOT NULL CHECK (kind IN ('critical', 'non_critical')),
    certificate BLOB NOT NULL,
    serial TEXT NOT NULL,
    issuer_cn TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (device_id, role, kind)
) STRICT;
CREATE TABLE IF NOT EXISTS floor (
    device_id TEXT NOT NULL,
    role TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (device_id, role)
) STRICT;
CREATE TABLE IF NOT EXISTS link (
    device_id TEXT PRIMARY KEY,
    outbound INTEGER NOT NULL,
    inbound INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS link_seen (
    device_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (device_id, sequence)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
    device_id TEXT NOT NULL,
    correlation INTEGER NOT NULL,
    sender_role TEXT NOT NULL,
    counter INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (device_id, correlation)
) STRICT;
CREATE INDEX IF NOT EXISTS slot_owner ON slot (role, owner);
"""


class SlotRole(enum.StrEnum):
    """The remote party role a slot is for, as the database spells it."""

    SUPPLIER = "supplier"
    NETWORK_OPERATOR = "network_operator"

    @property
    def remote_party_role(self) -> RemotePartyRole:
        return _REMOTE_PARTY_ROLES[self]

    @classmethod
    def of(cls, role: RemotePartyRole | int) -> SlotRole:
        """The slot of a remote party role: a SMETS1 device has the Network Operator's and,
        for every other role (the Supplier's, a Load Controller's, a number GBCS does not
        name), the Supplier's."""
        if role == RemotePartyRole.NETWORK_OPERATOR:
            return cls.NETWORK_OPERATOR
        return cls.SUPPLIER


_REMOTE_PARTY_ROLES = {
    SlotRole.SUPPLIER: RemotePartyRole.SUPPLIER,
    SlotRole.NETWORK_OPERATOR: RemotePartyRole.NETWORK_OPERATOR,
}


class SlotKind(enum.StrEnum):
    CRITICAL = "critical"
    """Digital Signing: authorises critical SRs."""
    NON_CRITICAL = "non_critical"
    """Key Agreement: non-critical SRs."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One Notified Certificate ID with its certificate."""

    device_id: Eui64
    role: SlotRole
    kind: SlotKind
    certificate: SmkiCertificate

    @property
    def owner(self) -> Eui64 | None:
        return self.certificate.eui


class SlotStore:
    """The slots and floors of one S1SP."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @property
    def connection(self) -> sqlite3.Connection:
        """The database connection (the S1SP's bus journal keeps its tables there)."""
        return self._db

    @classmethod
    def open(cls, path: str | Path) -> SlotStore:
        """Open (creating if need be) an S1SP database; ``":memory:"`` for tests."""
        try:
            connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            if str(path) != ":memory:":
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives kill -9
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise InputError(f"{path}: cannot open the S1SP database ({exc})") from None
        return cls(connection)

    def slot(self, device_id: Eui64 | str, role: SlotRole, kind: SlotKind) -> Slot | None:
        row = self._db.execute(
            "SELECT certificate FROM slot WHERE device_id=? AND role=? AND kind=?",
            (Eui64(device_id), role.value, kind.value),
        ).fetchone()
        return Slot(Eui64(device_id), role, kind, cached_certificate(row[0])) if row else None

    def floor(self, device_id: Eui64 | str, role: SlotRole) -> int:
        return self.named_floor(device_id, role.value)

    def named_floor(self, device_id: Eui64 | str, name: str) -> int:
        """A floor by its key: a slot role's Execution Counter, or another counter the S1SP
        keeps per device (a handover originator's); -1 when none yet."""
        row = self._db.execute(
            "SELECT value FROM floor WHERE device_id=? AND role=?", (Eui64(device_id), name)
        ).fetchone()
        return int(row[0]) if row else -1

    def replace(
        self,
        device_id: Eui64 | str,
        role: SlotRole,
        certificates: dict[SlotKind, SmkiCertificate],
        *,
        floor: int | None,
    ) -> None:
        """Overwrite the role's slots (and floor) in one transaction."""
        with _transaction(self._db):
            self._write(Eui64(device_id), role, certificates, floor)

    def _write(
        self,
        device: Eui64,
        role: SlotRole,
        certificates: dict[SlotKind, SmkiCertificate],
        floor: int | None,
    ) -> None:
        for kind, cert in certificates.items():
            self._db.execute(
                "INSERT OR REPLACE INTO slot VALUES (?, ?, ?, ?, ?, ?, ?)",
                slot_row(device, role, kind, cert),
            )
        if floor is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO floor VALUES (?, ?, ?)", (device, role.value, floor)
            )

    def fill(self, rows: Iterable[SlotRow]) -> None:
        """Write many slots in one transaction (estate generation: see :func:`slot_row`)."""
        with _transaction(self._db):
            self._db.executemany("INSERT OR REPLACE INTO slot VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def next_outbound(self, device_id: Eui64 | str) -> int:
        """Allocate the sequence of the next instruction to the device."""
        device = Eui64(device_id)
        with _transaction(self._db):
            self._db.execute(
                "INSERT INTO link VALUES (?, 1, -1) "
                "ON CONFLICT (device_id) DO UPDATE SET outbound = outbound + 1",
                (device,),
            )
            row = self._db.execute("SELECT outbound FROM link WHERE device_id=?", (device,))
            return int(row.fetchone()[0])

    def accept_inbound(self, device_id: Eui64 | str, sequence: int) -> bool:
        """Record a frame's sequence from the device; False (and no change) if not fresh.

        Fresh is above the last accepted — or, for a frame a later one overtook (a copy resent
        after a fault), within :data:`LINK_WINDOW` below it and not accepted yet. The
        sequences accepted within the window are kept (``link_seen``); its lowest row is the
        bottom, at or below which nothing passes (-1 for a device not heard from yet; the last
        accepted, for a link recorded before the window was kept).
        """
        device = Eui64(device_id)
        with _transaction(self._db):
            row = self._db.execute(
                "SELECT inbound FROM link WHERE device_id=?", (device,)
            ).fetchone()
            last = -1 if row is None else int(row[0])
            bottom = self._db.execute(
                "SELECT min(sequence) FROM link_seen WHERE device_id=?", (device,)
            ).fetchone()[0]
            if bottom is None:
                bottom = last
                self._db.execute("INSERT INTO link_seen VALUES (?, ?)", (device, bottom))
            if sequence <= bottom or sequence <= last - LINK_WINDOW:
                return False
            seen = self._db.execute(
                "SELECT 1 FROM link_seen WHERE device_id=? AND sequence=?", (device, sequence)
            ).fetchone()
            if seen is not None:
                return False
            self._db.execute("INSERT INTO link_seen VALUES (?, ?)", (device, sequence))
            if sequence > last:
                self._db.execute(
                    "INSERT INTO link VALUES (?, 0, ?) "
                    "ON CONFLICT (device_id) DO UPDATE SET inbound = excluded.inbound",
                    (device, sequence),
                )
                floor = sequence - LINK_WINDOW  # the window moves up: its new bottom
                if floor > bottom:
                    self._db.execute(
                        "DELETE FROM link_seen WHERE device_id=? AND sequence < ?", (device, floor)
                    )
                    self._db.execute(
                        "INSERT OR IGNORE INTO link_seen VALUES (?, ?)", (device, floor)
                    )
            return True

    def add_pending(
        self,
        device_id: Eui64 | str,
        correlation: int,
        *,
        sender_role: SlotRole,
        counter: int,
        record: str,
    ) -> None:
        """Remember an instruction awaiting its answer (``record`` is the caller's JSON)."""
        with _transaction(self._db):
            self._db.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
                (Eui64(device_id), correlation, sender_role.value, counter, record),
            )

    def pending(self, device_id: Eui64 | str, correlation: int) -> str | None:
        row = self._db.execute(
            "SELECT record FROM pending WHERE device_id=? AND correlation=?",
            (Eui64(device_id), correlation),
        ).fetchone()
        return str(row[0]) if row else None

    def pending_counter(self, device_id: Eui64 | str, sender_role: SlotRole) -> int:
        """The highest originator counter of the role's instructions still in flight."""
        row = self._db.execute(
            "SELECT max(counter) FROM pending WHERE device_id=? AND sender_role=?",
            (Eui64(device_id), sender_role.value),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    def complete(
        self,
        device_id: Eui64 | str,
        correlation: int,
        role: SlotRole,
        certificates: dict[SlotKind, SmkiCertificate] | None,
        *,
        floors: Mapping[SlotRole | str, int] | None = None,
    ) -> None:
        """Settle an instruction: replace the slots and set the floors (neither when the device
        refused it) and forget it, in one transaction."""
        device = Eui64(device_id)
        with _transaction(self._db):
            if certificates is not None:
                self._write(device, role, certificates, None)
            for floor_role, value in (floors or {}).items():
                self._db.execute(
                    "INSERT OR REPLACE INTO floor VALUES (?, ?, ?)",
                    (device, str(floor_role), value),
                )
            self._db.execute(
                "DELETE FROM pending WHERE device_id=? AND correlation=?", (device, correlation)
            )

    def set_floor(self, device_id: Eui64 | str, role: SlotRole, value: int) -> None:
        with _transaction(self._db):
            self._db.execute(
                "INSERT OR REPLACE INTO floor VALUES (?, ?, ?)",
                (Eui64(device_id), role.value, value),
            )

    def devices(self) -> list[Eui64]:
        rows = self._db.execute("SELECT DISTINCT device_id FROM slot ORDER BY device_id")
        return [Eui64(r[0]) for r in rows]

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, ordered: compare before and after a refused request."""
        return {
            "slot": self._db.execute(
                "SELECT device_id, role, kind, serial, issuer_cn, owner FROM slot ORDER BY 1, 2, 3"
            ).fetchall(),
            "floor": self._db.execute("SELECT * FROM floor ORDER BY 1, 2").fetchall(),
            "link": self._db.execute("SELECT * FROM link ORDER BY 1").fetchall(),
            "link_seen": self._db.execute("SELECT * FROM link_seen ORDER BY 1, 2").fetchall(),
            "pending": self._db.execute("SELECT * FROM pending ORDER BY 1, 2").fetchall(),
        }

    def close(self) -> None:
        self._db.close()


SlotRow = tuple[str, str, str, bytes, str, str, str]
"""A ``slot`` row: device, role, kind, certificate DER, serial, issuer CN, owner."""


def slot_row(device_id: str, role: SlotRole, kind: SlotKind, cert: SmkiCertificate) -> SlotRow:
    """The ``slot`` row holding ``cert`` (the serial and issuer make its Certificate ID)."""
    issuer = cert.issuer.get("2.5.4.3") or ""
    return (device_id, role.value, kind.value, cert.der, cert.serial_hex, issuer, cert.eui or "")


class _transaction:  # noqa: N801 - used as a context manager keyword-like
    """A transaction of its own, or a savepoint inside one already open (the S1SP's bus
    journal handles a message in one transaction: its writes here join it)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._nested = False

    def __enter__(self) -> None:
        self._nested = self._db.in_transaction
        self._db.execute("SAVEPOINT slot_store" if self._nested else "BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if not self._nested:
            self._db.execute("COMMIT" if kind is None else "ROLLBACK")
            return
        if kind is not None:
            self._db.execute("ROLLBACK TO slot_store")
        self._db.execute("RELEASE slot_store")
