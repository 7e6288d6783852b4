"""The registry's SQLite schema and the mapping between rows and records.

Versioned with ``PRAGMA user_version``: 0 is an empty database (the schema is created), any
other value but :data:`SCHEMA_VERSION` is refused. Datetimes are stored as ISO 8601 text in UTC
with microseconds, one fixed width, so text order is time order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Smets,
    SmiStatus,
    utc,
)
from s1harness.spec.identifiers import Eui64
from s1harness.spec.mpxn import Mpan, Mprn
from s1harness.spec.users import UserRole

_T = TypeVar("_T")

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE party (
    user_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    distributor_id INTEGER,
    gas_transporter TEXT
) STRICT;
CREATE TABLE party_role (
    user_id TEXT NOT NULL REFERENCES party (user_id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) STRICT;
CREATE INDEX party_role_by_role ON party_role (role);
CREATE TABLE registration (
    mpxn TEXT NOT NULL,
    fuel TEXT NOT NULL,
    supplier TEXT NOT NULL REFERENCES party (user_id),
    network_operator TEXT NOT NULL REFERENCES party (user_id),
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    PRIMARY KEY (mpxn, effective_from)
) STRICT;
CREATE TABLE device (
    device_id TEXT PRIMARY KEY,
    device_type TEXT NOT NULL,
    generation TEXT NOT NULL,
    cohort TEXT,
    status TEXT NOT NULL,
    mpan TEXT,
    mprn TEXT
) STRICT;
"""

PARTY_COLUMNS = "user_id, name, distributor_id, gas_transporter"
PERIOD_COLUMNS = "mpxn, fuel, supplier, network_operator, effective_from, effective_to"
DEVICE_COLUMNS = "device_id, device_type, generation, cohort, status, mpan, mprn"

Row = tuple[object, ...]


def create(connection: sqlite3.Connection) -> None:
    """Create the schema in an empty database and stamp its version (one transaction)."""
    connection.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")


def to_text(value: datetime) -> str:
    """The stored form of a datetime: UTC ISO 8601 with microseconds."""
    return utc(value, "datetime").isoformat(timespec="microseconds")


def from_text(text: object) -> datetime:
    """A stored datetime read back (always UTC)."""
    return datetime.fromisoformat(str(text)).astimezone(UTC)


def party_row(party: Party) -> Row:
    """The ``party`` row of a record (its roles go to ``party_role``)."""
    return (party.user_id, party.name, party.distributor_id, party.gas_transporter)


def party_from(row: Row, roles: Iterable[object]) -> Party:
    """A :class:`Party` from its row and its roles."""
    user_id, name, distributor_id, gas_transporter = row
    return Party(
        Eui64(str(user_id)),
        str(name),
        frozenset(UserRole(str(role)) for role in roles),
        distributor_id if isinstance(distributor_id, int) else None,
        _optional(gas_transporter, str),
    )


def _optional(value: object, kind: Callable[[str], _T]) -> _T | None:
    return None if value is None else kind(str(value))


def period_row(period: RegistrationPeriod) -> Row:
    """The ``registration`` row of a record."""
    end = None if period.effective_to is None else to_text(period.effective_to)
    return (
        period.mpxn,
        period.fuel.value,
        period.supplier,
        period.network_operator,
        to_text(period.effective_from),
        end,
    )


def period_from(row: Row) -> RegistrationPeriod:
    """A :class:`RegistrationPeriod` from its row."""
    mpxn, fuel, supplier, network_operator, start = (str(value) for value in row[:5])
    return RegistrationPeriod(
        mpxn,
        Fuel(fuel),
        Eui64(supplier),
        Eui64(network_operator),
        from_text(start),
        _optional(row[5], from_text),
    )


def device_row(device: Device) -> Row:
    """The ``device`` row of a record."""
    cohort = None if device.cohort is None else device.cohort.value
    return (
        device.device_id,
        device.device_type.value,
        device.generation.value,
        cohort,
        device.status.value,
        device.mpan,
        device.mprn,
    )


def device_from(row: Row) -> Device:
    """A :class:`Device` from its row (the record re-validates every field)."""
    device_id, device_type, generation, cohort, status, mpan, mprn = row
    return Device(
        Eui64(str(device_id)),
        DeviceType(str(device_type)),
        Smets(str(generation)),
        _optional(cohort, Cohort),
        SmiStatus(str(status)),
        _optional(mpan, Mpan),
        _optional(mprn, Mprn),
    )
