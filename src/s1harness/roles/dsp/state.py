"""The DSP's own state on disk: each User's last accepted RequestID counter, the DCC's ACB
counter, and every request awaiting a CV 5, a device or an S1SP.

The DSP works on this state in memory (:class:`Tracked` tables remember which entries changed)
and :meth:`DspState.flush` writes the changes to its SQLite database — called by the role's bus
journal inside the transaction that records the message that changed them, so a DSP killed and
restarted carries on where the last handled message left it: a request answered I99 before a
restart is still answered by its device or S1SP after it, and a replayed RequestID is still
refused.

A request is kept as the User signed it (re-read on loading, not re-checked; a critical SR's
CV 4 beside its CV 5), with who acts
in which role on which device (looked up again in the registry), the pre-command and the
certificates it carries, and when it was routed.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from s1harness.duis import xml
from s1harness.duis.messages import parse_request
from s1harness.gbcs.frames import decode_general_signing
from s1harness.registry.store import Registry
from s1harness.roles.dsp.checks import Admitted
from s1harness.roles.dsp.relay import Pending
from s1harness.smki.certificate import parse_certificate
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.users import UserRole

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dsp_counter (originator TEXT PRIMARY KEY, counter INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dsp_value (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dsp_pending (
    tbl TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tbl, key)
);
"""


class Tracked(dict[K, V]):
    """A dict that remembers the keys set or removed since :meth:`changes` was last asked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._changed: set[K] = set()

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed.add(key)

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed.add(key)

    def pop(self, key: K, *default: Any) -> Any:
        if key in self:
            self._changed.add(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[K, V]:
        key, value = super().popitem()
        self._changed.add(key)
        return key, value

    def setdefault(self, key: K, default: V) -> V:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        self._changed.update(self)
        super().clear()

    def changes(self) -> list[tuple[K, V | None]]:
        """Each key changed since the last call, with its value now (None: removed)."""
        changed, self._changed = self._changed, set()
        return [(key, self.get(key)) for key in changed]


class DspState:
    """Where a DSP's state lives on disk (see the module docstring).

    Args:
        db: The DSP's database (autocommit mode).
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    @classmethod
    def open(cls, path: str) -> DspState:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives kill -9
        return cls(db)

    def clear(self) -> None:
        """Forget everything (a DSP loaded with another estate starts afresh)."""
        for table in ("dsp_counter", "dsp_value", "dsp_pending"):
            self.db.execute(f"DELETE FROM {table}")

    def counters(self) -> dict[Eui64, int]:
        rows = self.db.execute("SELECT originator, counter FROM dsp_counter")
        return {Eui64(originator): int(counter) for originator, counter in rows}

    def value(self, name: str, default: int) -> int:
        row = self.db.execute("SELECT value FROM dsp_value WHERE name = ?", (name,)).fetchone()
        return default if row is None else int(row[0])

    def pending(self, table: str, key: Callable[[Any], K], registry: Registry) -> dict[K, Pending]:
        """The requests kept in ``table``, their keys read back by ``key`` (from JSON), their
        parties and devices looked up in ``registry``."""
        rows = self.db.execute("SELECT key, value FROM dsp_pending WHERE tbl = ?", (table,))
        return {key(json.loads(k)): _pending(json.loads(v), registry) for k, v in rows}

    def write_counters(self, changes: Iterable[tuple[Eui64, int | None]]) -> None:
        for originator, counter in changes:
            if counter is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO dsp_counter VALUES (?, ?)", (str(originator), counter)
                )

    def write_value(self, name: str, value: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO dsp_value VALUES (?, ?)", (name, value))

    def write_pending(self, table: str, changes: Iterable[tuple[Any, Pending | None]]) -> None:
        for key, pending in changes:
            text = json.dumps(list(key) if isinstance(key, tuple) else key)
            if pending is None:
                self.db.execute("DELETE FROM dsp_pending WHERE tbl = ? AND key = ?", (table, text))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO dsp_pending VALUES (?, ?, ?)",
                    (table, text, json.dumps(_pending_document(pending))),
                )

    def close(self) -> None:
        self.db.close()


def _pending(document: dict[str, Any], registry: Registry) -> Pending:
    raw = _octets(document["raw"])
    read_from = document.get("read_from")
    request = _octets(read_from) if read_from is not None else raw
    party = registry.party(document["party"])
    device = registry.device(document["device"])
    if party is None or device is None:
        raise InputError(
            f"dsp.sqlite: a request kept in flight names {document['party']} and "
            f"{document['device']}, which the registry does not hold (a data folder of "
            "another estate?)"
        )
    precommand = document.get("precommand")
    routed_at = document.get("routed_at")
    return Pending(
        request=parse_request(xml.parse(request)),
        admitted=Admitted(party, UserRole(document["role"]), device),
        raw=raw,
        precommand=None if precommand is None else decode_general_signing(_octets(precommand)),
        certificates=[parse_certificate(_octets(c)) for c in document["certificates"]],
        routed_at=None if routed_at is None else datetime.fromisoformat(routed_at),
        read_from=None if read_from is None else request,
    )


def _pending_document(pending: Pending) -> dict[str, Any]:
    return {
        "raw": _text(pending.raw),
        "party": str(pending.admitted.party.user_id),
        "role": str(pending.admitted.acting_role),
        "device": str(pending.admitted.device.device_id),
        "precommand": None if pending.precommand is None else _text(pending.precommand.raw),
        "certificates": [_text(c.der) for c in pending.certificates],
        "routed_at": None if pending.routed_at is None else pending.routed_at.isoformat(),
        "read_from": None if pending.read_from is None else _text(pending.read_from),
    }


def _text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _octets(text: str) -> bytes:
    return base64.b64decode(text)


__all__ = ["DspState", "Tracked"]
