"""SMETS1 devices' protocol state kept in SQLite, so a restarted devices role carries on.

A device's state — its instruction floor and outbound sequence counter, the credential records
per slot role, a power outage in progress and, for an ESME, the load switch and the import
register — is written after every frame it handles, before its answer is sent. Rebuilt from
here, a device never numbers an answer at or below one its S1SP already took (the S1SP would
drop it as a replay), and never takes an instruction again that it already took.

One row per device: ``smets1_device(device_id, state)``, the state as JSON (``version`` 1).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from s1harness.roles.smets1.bodies import CertificateId
from s1harness.roles.smets1.codes import SupplyState
from s1harness.roles.smets1.device import CredentialRecord, DeviceState
from s1harness.roles.smets1.esme import EsmeState
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

_SCHEMA = """
CREATE TABLE IF NOT EXISTS smets1_device (
    device_id TEXT PRIMARY KEY, state TEXT NOT NULL
) WITHOUT ROWID;
"""
_VERSION = 1


class DeviceStore:
    """The devices' states in one SQLite database (WAL; every save is committed)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)

    @property
    def connection(self) -> sqlite3.Connection:
        """The database connection (the devices' bus journal keeps its tables there)."""
        return self._db

    @classmethod
    def open(cls, path: Path | str) -> DeviceStore:
        """Open (creating if need be) the store at ``path`` (``:memory:`` for none on disk).

        Raises:
            InputError: when ``path`` is not a database this store can use.
        """
        try:
            db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            if str(path) != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives kill -9
            return cls(db)
        except sqlite3.Error as exc:
            raise InputError(f"{path}: not a SMETS1 device store ({exc})") from None

    def save(self, device_id: Eui64, state: DeviceState) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO smets1_device VALUES (?, ?)",
            (str(device_id), json.dumps(_encode(state), sort_keys=True)),
        )

    def load(self, device_id: Eui64) -> DeviceState | None:
        """The device's last saved state (an :class:`EsmeState` for an ESME), or None."""
        try:
            row = self._db.execute(
                "SELECT state FROM smets1_device WHERE device_id = ?", (str(device_id),)
            ).fetchone()
            if row is None:
                return None
            return _decode(json.loads(row[0]))
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, sqlite3.Error) as exc:
            why = f"device {device_id}: its stored state cannot be read ({exc})"
            raise InputError(why) from None

    def close(self) -> None:
        self._db.close()


def _encode(state: DeviceState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": _VERSION,
        "instruction_floor": state.instruction_floor,
        "sequence": state.sequence,
        "credentials": {
            str(int(role)): {
                "generation": record.generation,
                "critical": _certificate_id(record.critical),
                "non_critical": _certificate_id(record.non_critical),
            }
            for role, record in state.credentials.items()
        },
        "outage_start": None if state.outage_start is None else state.outage_start.isoformat(),
    }
    if isinstance(state, EsmeState):
        out["esme"] = {"supply": int(state.supply), "import_register_wh": state.import_register_wh}
    return out


def _decode(data: dict[str, Any]) -> DeviceState:
    if data.get("version") != _VERSION:
        raise ValueError(f"version {data.get('version')!r}, expected {_VERSION}")
    outage = data["outage_start"]
    base = DeviceState(
        int(data["instruction_floor"]),
        int(data["sequence"]),
        {
            RemotePartyRole(int(role)): CredentialRecord(
                int(record["generation"]),
                _read_certificate_id(record["critical"]),
                _read_certificate_id(record["non_critical"]),
            )
            for role, record in data["credentials"].items()
        },
        None if outage is None else datetime.fromisoformat(outage),
    )
    esme = data.get("esme")
    if esme is None:
        return base
    return EsmeState(
        base.instruction_floor,
        base.sequence,
        base.credentials,
        base.outage_start,
        SupplyState(int(esme["supply"])),
        int(esme["import_register_wh"]),
    )


def _certificate_id(certificate: CertificateId | None) -> list[object] | None:
    return None if certificate is None else [certificate.serial, certificate.issuer_cn]


def _read_certificate_id(data: list[Any] | None) -> CertificateId | None:
    return None if data is None else CertificateId(int(data[0]), str(data[1]))


__all__ = ["DeviceStore"]
