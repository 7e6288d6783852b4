"""The registry store: parties, registration data and the Smart Metering Inventory in SQLite.

One :class:`Registry` owns one synchronous ``sqlite3`` connection (SQLite lives at the edges;
this *is* the edge for registration data). Each write is one short ``BEGIN
IMMEDIATE`` transaction: a write that is refused — by a record's own validation, by a rule
here (overlapping registration, unknown party, duplicate device) or by SQLite — changes
nothing. The eligibility rule itself is pure and lives in :mod:`s1harness.registry.rdp`.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType

from s1harness.registry import _schema, rdp
from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Party,
    RegistrationPeriod,
    SmiStatus,
    member,
    utc,
)
from s1harness.spec.errors import HarnessError, InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.users import UserRole

MEMORY = ":memory:"
"""The path of a private in-memory database (tests)."""
_KEPT = 4096
"""Parties and inventory entries kept from their last look-up (the most recently used)."""


class Registry:
    """Registration data and inventory over one SQLite connection.

    Create it with :meth:`open`; use it as a context manager or call :meth:`close`.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        # Look-ups every message makes, kept until the next write through this registry.
        self._party = functools.lru_cache(maxsize=_KEPT)(self._read_party)
        self._device = functools.lru_cache(maxsize=_KEPT)(self._read_device)

    @classmethod
    def open(cls, path: str | Path) -> Registry:
        """Open (creating if needed) the registry at ``path``; ``":memory:"`` for a private one.

        File databases use WAL journaling; foreign keys are on for every database.

        Raises:
            InputError: if the file cannot be opened or is not a registry of this version.
        """
        target = str(path)
        try:
            connection = sqlite3.connect(target, isolation_level=None)
        except sqlite3.Error as error:
            raise InputError(f"cannot open registry {target}: {error}") from None
        try:
            _configure(connection, file=target != MEMORY)
            _migrate(connection, target)
        except sqlite3.Error as error:
            connection.close()
            raise InputError(f"cannot open registry {target}: {error}") from None
        except InputError:
            connection.close()
            raise
        return cls(connection)

    def close(self) -> None:
        """Close the connection (committed data is already on disk)."""
        self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the look-up caches are emptied before and after it."""
        self._forget()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise HarnessError(f"registry write failed: {error}", code="REGISTRY") from None
        try:
            yield self._db
        except sqlite3.IntegrityError as error:
            self._rollback()
            raise InputError(f"registry refused the write: {error}") from None
        except BaseException:
            self._rollback()
            raise
        finally:
            self._forget()
        self._db.execute("COMMIT")

    def _forget(self) -> None:
        self._party.cache_clear()
        self._device.cache_clear()

    def _rollback(self) -> None:
        if self._db.in_transaction:  # SQLite may already have rolled back on some errors
            self._db.execute("ROLLBACK")

    # -- parties ---------------------------------------------------------------------------

    def add_parties(self, parties: Iterable[Party]) -> None:
        """Register several DCC Users in one transaction (all or none).

        Raises:
            InputError: if a party with one of their User IDs exists.
        """
        with self._write() as db:
            for party in parties:
                if self.party(party.user_id) is not None:
                    raise InputError(f"party {party.user_id} is already registered")
                db.execute("INSERT INTO party VALUES (?, ?, ?, ?)", _schema.party_row(party))
                roles = sorted(role.value for role in party.roles)
                db.executemany(
                    "INSERT INTO party_role VALUES (?, ?)", [(party.user_id, r) for r in roles]
                )

    def party(self, user_id: Eui64 | str) -> Party | None:
        """The party with that User ID, or ``None``."""
        return self._party(Eui64(user_id))

    def _read_party(self, user_id: Eui64) -> Party | None:
        row = self._db.execute(
            f"SELECT {_schema.PARTY_COLUMNS} FROM party WHERE user_id = ?", (user_id,)
        ).fetchone()
        return None if row is None else self._party_from(row)

    def _party_from(self, row: _schema.Row) -> Party:
        roles = self._db.execute("SELECT role FROM party_role WHERE user_id = ?", (row[0],))
        return _schema.party_from(row, (role for (role,) in roles))

    def parties_with_role(self, role: UserRole) -> list[Party]:
        """Every party holding ``role``, by User ID."""
        rows = self._db.execute(
            f"SELECT {_schema.PARTY_COLUMNS} FROM party JOIN party_role USING (user_id)"
            " WHERE role = ? ORDER BY user_id",
            (member(UserRole, role, "user role"),),
        ).fetchall()
        return [self._party_from(row) for row in rows]

    def parties_for_distributor(self, distributor_id: int) -> list[Party]:
        """The Electricity Distributor parties recorded for a distributor ID, by User ID."""
        rows = self._db.execute(
            f"SELECT {_schema.PARTY_COLUMNS} FROM party WHERE distributor_id = ? ORDER BY user_id",
            (distributor_id,),
        ).fetchall()
        return [self._party_from(row) for row in rows]

    # -- registration data -----------------------------------------------------------------

    def add_period(self, period: RegistrationPeriod) -> None:
        """Record who is registered for an MPAN/MPRN over a period.

        Raises:
            InputError: if the supplier or network operator is not a party holding the role
                for the fuel (IS/ED, GS/GT), or the period overlaps one of the same MPxN.
        """
        self.add_periods([period])

    def add_periods(self, periods: Iterable[RegistrationPeriod]) -> None:
        """Record several periods in one transaction (all or none); see :meth:`add_period`."""
        with self._write() as db:
            for period in periods:
                self._check_period(period)
                db.execute(
                    "INSERT INTO registration VALUES (?, ?, ?, ?, ?, ?)", _schema.period_row(period)
                )

    def _check_period(self, period: RegistrationPeriod) -> None:
        self._require_role(period, period.supplier, period.supplier_role)
        self._require_role(period, period.network_operator, period.network_role)
        clash = next((p for p in self.periods(period.mpxn) if p.overlaps(period)), None)
        if clash is not None:
            raise InputError(
                f"registration of {period.mpxn} from {_span(period)} overlaps the one"
                f" from {_span(clash)}"
            )

    def _require_role(self, period: RegistrationPeriod, user_id: Eui64, role: UserRole) -> None:
        party = self.party(user_id)
        if party is None or role not in party.roles:
            held = "is not a registered party" if party is None else f"does not hold {role}"
            raise InputError(f"registration of {period.mpxn}: {role} {user_id} {held}")

    def periods(self, mpxn: str) -> list[RegistrationPeriod]:
        """Every registration period of an MPAN/MPRN, earliest first."""
        rows = self._db.execute(
            f"SELECT {_schema.PERIOD_COLUMNS} FROM registration WHERE mpxn = ?"
            " ORDER BY effective_from",
            (str(mpxn),),
        ).fetchall()
        return [_schema.period_from(row) for row in rows]

    def registered(self, mpxn: str, at: datetime) -> RegistrationPeriod | None:
        """The registration of an MPAN/MPRN in force at ``at``, or ``None``."""
        return rdp.period_at(self.periods(mpxn), utc(at, "at"))

    def eligible(
        self, user_id: Eui64 | str, device_id: Eui64 | str, role: UserRole, at: datetime
    ) -> bool:
        """SRPD 6.1(f) at one instant: is the user the eligible user in ``role`` for the device?

        ``False`` for an unknown device, a device with no MPAN/MPRN (CHF, unlinked meter), or a
        role registration data never makes eligible (ES, OU, RSA).
        """
        periods = self._linked_periods(device_id)
        return rdp.eligible_at(periods, Eui64(user_id), _role(role), utc(at, "at"))

    def eligible_over(
        self,
        user_id: Eui64 | str,
        device_id: Eui64 | str,
        role: UserRole,
        start: datetime,
        end: datetime,
    ) -> bool:
        """SRPD 6.1(f) over a date range: eligible at every instant of ``[start, end]``.

        Raises:
            InputError: if ``start`` is after ``end``.
        """
        start, end = utc(start, "start"), utc(end, "end")
        if start > end:
            raise InputError(f"date range starts {start.isoformat()} after it ends")
        periods = self._linked_periods(device_id)
        return rdp.eligible_throughout(periods, Eui64(user_id), _role(role), start, end)

    def _linked_periods(self, device_id: Eui64 | str) -> list[RegistrationPeriod]:
        device = self.device(device_id)
        link = None if device is None else device.linked_mpxn
        return [] if link is None else self.periods(link[0])

    # -- Smart Metering Inventory ----------------------------------------------------------

    def add_device(self, device: Device) -> None:
        """Add a device to the inventory.

        Raises:
            InputError: if the Device ID is already in the inventory.
        """
        self.add_devices([device])

    def add_devices(self, devices: Iterable[Device]) -> None:
        """Add several devices in one transaction (all or none)."""
        with self._write() as db:
            for device in devices:
                if self.device(device.device_id) is not None:
                    raise InputError(f"device {device.device_id} is already in the inventory")
                db.execute(
                    "INSERT INTO device VALUES (?, ?, ?, ?, ?, ?, ?)", _schema.device_row(device)
                )

    def device(self, device_id: Eui64 | str) -> Device | None:
        """The inventory entry of a device, or ``None``."""
        return self._device(Eui64(device_id))

    def _read_device(self, device_id: Eui64) -> Device | None:
        row = self._db.execute(
            f"SELECT {_schema.DEVICE_COLUMNS} FROM device WHERE device_id = ?", (device_id,)
        ).fetchone()
        return None if row is None else _schema.device_from(row)

    def devices(
        self, *, cohort: Cohort | None = None, device_type: DeviceType | None = None
    ) -> list[Device]:
        """Inventory entries, optionally of one cohort and/or device type, by Device ID."""
        query = f"SELECT {_schema.DEVICE_COLUMNS} FROM device WHERE 1"
        args: list[str] = []
        for column, value in (("cohort", cohort), ("device_type", device_type)):
            if value is not None:
                query += f" AND {column} = ?"
                args.append(str(value))
        rows = self._db.execute(query + " ORDER BY device_id", args).fetchall()
        return [_schema.device_from(row) for row in rows]

    def counts_by_kind(self) -> dict[tuple[str, str | None, str], int]:
        """How many devices the inventory holds per (generation, cohort or None, type)."""
        rows = self._db.execute(
            "SELECT generation, cohort, device_type, count(*) FROM device GROUP BY 1, 2, 3"
        )
        return {(str(g), None if c is None else str(c), str(t)): int(n) for g, c, t, n in rows}

    def update_status(self, device_id: Eui64 | str, status: SmiStatus) -> Device:
        """Set a device's SMI status; returns the updated entry.

        Raises:
            InputError: for an unknown device or status.
        """
        device_id = Eui64(device_id)
        value = member(SmiStatus, status, f"device {device_id} status")
        with self._write() as db:
            device = self.device(device_id)
            if device is None:
                raise InputError(f"device {device_id} is not in the inventory")
            db.execute("UPDATE device SET status = ? WHERE device_id = ?", (value, device_id))
        return replace(device, status=value)

    # -- bulk ------------------------------------------------------------------------------

    def import_rows(self, periods: Iterable[_schema.Row], devices: Iterable[_schema.Row]) -> None:
        """Load generated registration and inventory rows in one transaction, unchecked.

        For estate generation at scale (a million devices): the rows are written as given
        (in the ``registration`` and ``device`` column order of :mod:`._schema`), without the
        per-record checks of :meth:`add_periods` and :meth:`add_devices` — the generator
        vouches for them. SQLite's own constraints (keys, foreign keys) still apply.
        """
        with self._write() as db:
            db.executemany("INSERT INTO registration VALUES (?, ?, ?, ?, ?, ?)", periods)
            db.executemany("INSERT INTO device VALUES (?, ?, ?, ?, ?, ?, ?)", devices)

    def network_operators_at(
        self, cohort: Cohort, at: datetime
    ) -> Iterator[tuple[str, str, str | None, str | None]]:
        """Every SMETS1 device of ``cohort`` with its meter point and the network operator
        registered for it at ``at`` (``None`` for no meter point or no registration then):
        ``(device_id, device_type, mpxn, network_operator)`` rows, by Device ID, streamed."""
        rows = self._db.execute(
            "SELECT d.device_id, d.device_type, coalesce(d.mpan, d.mprn), r.network_operator"
            " FROM device d LEFT JOIN registration r ON r.mpxn = coalesce(d.mpan, d.mprn)"
            " AND r.effective_from <= :at AND (r.effective_to IS NULL OR r.effective_to > :at)"
            " WHERE d.generation = 'SMETS1' AND d.cohort = :cohort ORDER BY d.device_id",
            {"at": _schema.to_text(at), "cohort": member(Cohort, cohort, "cohort").value},
        )
        # The columns are TEXT (STRICT tables): the rows stream as SQLite gives them.
        return iter(rows)

    # -- inspection ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, list[dict[str, object]]]:
        """Every table's rows as JSON-friendly dicts, each table sorted by all its columns.

        Two snapshots compare equal exactly when the stored data is the same, so a test can
        show that a refused write changed nothing.
        """
        names = self._db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        return {name: self._rows(name) for (name,) in names}

    def _rows(self, table: str) -> list[dict[str, object]]:
        columns = [row[1] for row in self._db.execute(f'PRAGMA table_info("{table}")')]
        order = ", ".join(str(i) for i in range(1, len(columns) + 1))
        rows = self._db.execute(f'SELECT * FROM "{table}" ORDER BY {order}')
        return [dict(zip(columns, row, strict=True)) for row in rows]


def _configure(connection: sqlite3.Connection, *, file: bool) -> None:
    connection.execute("PRAGMA foreign_keys = ON")
    if file:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")  # WAL-safe, one fsync per checkpoint


def _migrate(connection: sqlite3.Connection, target: str) -> None:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version == _schema.SCHEMA_VERSION:
        return
    (tables,) = connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    if version != 0 or tables:
        raise InputError(
            f"{target} is not a registry database of schema version {_schema.SCHEMA_VERSION}"
            f" (user_version {version}, {tables} schema objects)"
        )
    _schema.create(connection)


def _role(role: UserRole | str) -> UserRole:
    return member(UserRole, role, "user role")


def _span(period: RegistrationPeriod) -> str:
    end = "open-ended" if period.effective_to is None else period.effective_to.isoformat()
    return f"{period.effective_from.isoformat()} to {end}"
