"""SMETS2 devices' state kept in SQLite, so a device rebuilt (by the bank, or after a restart)
carries on where it was.

A device's state (:class:`~s1harness.roles.smets2.device.Smets2State`) is written after every
frame it sends, before the frame goes, in the devices' database (``devices.sqlite``, beside the
SMETS1 devices' table and the devices' bus journal). One row per device that has sent a frame:
``smets2_device(device_id, pending, state)``, the state as JSON (``version`` 1):

* ``cells``: every cell but the root as ``[role, key usage, cell usage, DER base64 or null]``
  (the root key is the one the device was commissioned with: no command replaces it);
* ``floors``: ``[[role, value], …]``; ``specialist``: ``[[role, usage, value], …]``;
* ``next_alert_counter``;
* ``pending``: the future-dated commands held, each its General-Signing APDU as received
  (base64) and when it executes (ISO 8601). It was checked when it arrived; read back, it is
  decoded again, not checked again.

``pending`` counts the held commands, so the devices with commands still to execute are found
when a devices role starts.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import datetime
from types import MappingProxyType
from typing import Any

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.frames import decode_general_signing
from s1harness.gbcs.payloads import TrustAnchorCell
from s1harness.roles.smets2.cells import normalise
from s1harness.roles.smets2.checks import accepted_again
from s1harness.roles.smets2.device import PendingCommand, Smets2State
from s1harness.roles.smets2.floors import FloorSeqNumbers
from s1harness.roles.smets2.rejection import RefusalError
from s1harness.smki import SmkiCertificate, parse_certificate
from s1harness.smki.errors import SmkiError
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS smets2_device (
    device_id TEXT PRIMARY KEY, pending INTEGER NOT NULL, state TEXT NOT NULL
) WITHOUT ROWID;
"""
_VERSION = 1


class Smets2Store:
    """The SMETS2 devices' states, in a connection another store may share (autocommit: a save
    outside a transaction is committed at once, one inside the devices' journal unit with it).
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)

    def save(self, device_id: Eui64, state: Smets2State) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO smets2_device VALUES (?, ?, ?)",
            (str(device_id), len(state.pending), json.dumps(_encode(state), sort_keys=True)),
        )

    def load(self, device_id: Eui64) -> Smets2State | None:
        """The device's last saved state, or None.

        Raises:
            InputError: for a stored state that cannot be read.
        """
        row = self._db.execute(
            "SELECT state FROM smets2_device WHERE device_id = ?", (str(device_id),)
        ).fetchone()
        if row is None:
            return None
        try:
            return _decode(json.loads(row[0]))
        except (ValueError, KeyError, TypeError, IndexError, GbcsCodecError, RefusalError,
                SmkiError) as exc:  # fmt: skip
            raise InputError(
                f"SMETS2 device {device_id}: its stored state cannot be read ({exc})"
            ) from None

    def holding_commands(self) -> list[Eui64]:
        """The devices whose saved state holds future-dated commands."""
        rows = self._db.execute(
            "SELECT device_id FROM smets2_device WHERE pending > 0 ORDER BY device_id"
        )
        return [Eui64(device_id) for (device_id,) in rows]


def _encode(state: Smets2State) -> dict[str, Any]:
    return {
        "version": _VERSION,
        "cells": [
            [int(cell.role), cell.key_usage.value, int(cell.cell_usage), _der(certificate)]
            for cell, certificate in state.cells.items()
        ],
        "floors": sorted([role, value] for role, value in state.floors.floors.items()),
        "specialist": sorted([*key, value] for key, value in state.floors.specialist.items()),
        "next_alert_counter": state.next_alert_counter,
        "pending": [
            {
                "apdu": base64.b64encode(held.accepted.apdu.raw).decode(),
                "execute_at": held.execute_at.isoformat(),
            }
            for held in state.pending
        ],
    }


def _der(certificate: SmkiCertificate | None) -> str | None:
    return None if certificate is None else base64.b64encode(certificate.der).decode()


def _decode(data: dict[str, Any]) -> Smets2State:
    if data["version"] != _VERSION:
        raise ValueError(f"state version {data['version']!r}, expected {_VERSION}")
    cells: dict[TrustAnchorCell, SmkiCertificate | None] = {}
    for role, usage, cell_usage, der in data["cells"]:
        cell = normalise(TrustAnchorCell(int(role), KeyUsage(usage), int(cell_usage)))
        cells[cell] = None if der is None else parse_certificate(base64.b64decode(der))
    floors = FloorSeqNumbers(
        MappingProxyType({int(role): int(value) for role, value in data["floors"]}),
        MappingProxyType(
            {(int(role), int(usage)): int(value) for role, usage, value in data["specialist"]}
        ),
    )
    pending = tuple(
        PendingCommand(
            accepted_again(decode_general_signing(base64.b64decode(held["apdu"]))),
            datetime.fromisoformat(held["execute_at"]),
        )
        for held in data["pending"]
    )
    return Smets2State(cells, floors, int(data["next_alert_counter"]), pending)


__all__ = ["Smets2Store"]
