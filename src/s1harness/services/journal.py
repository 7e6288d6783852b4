"""A role's bus journal: what it has handled and what it has still to send, in the role's own
SQLite database, committed in one transaction with the effects of handling.

Exactly once across a kill -9 needs three things to change together or not at all: the role's
state, the ID of the message that changed it, and the messages it produced. A role that keeps
its state in SQLite hands its connection to a :class:`Journal`; the role runner then handles
each message of that role inside :meth:`Journal.unit`:

1. a message whose ID the journal holds was handled before a restart: it is acknowledged
   again and not handled;
2. otherwise the handler runs, and its writes, the message's ID and what it produced (each with
   the message ID it will carry for ever, :meth:`Journal.record`) commit together;
3. only then are the outputs published and the message acknowledged. An output stays in the
   journal's outbox until its consumer acknowledges it (:meth:`Journal.sent`); a restarted role
   sends what is left there again (:meth:`Journal.unsent`), under the same IDs, so its consumer
   recognises a copy it already handled. An acknowledged output leaves the outbox in the next
   unit's transaction (or with up to :data:`ACKED_BATCH` others when no unit comes): a
   transaction of its own per output cost the DSP a tenth of its time. So a restart may send
   again a few outputs already acknowledged, which their consumers acknowledge as copies.

A kill -9 anywhere therefore leaves either nothing of the message (it is resent by its producer
and handled then) or all of it (the copy is acknowledged; the outputs go out from the outbox).
State a role keeps in memory joins the transaction through :meth:`Journal.before_commit`, and
is taken from the database again when a unit rolls back (:meth:`Journal.on_rollback`).
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from s1harness.spec.bus import Envelope
from s1harness.spec.wire import Delivery, decode, encode

log = logging.getLogger("s1harness.bus")
HANDLED_LIMIT = 200_000
"""How many handled message IDs a journal keeps (the oldest go first)."""
ACKED_BATCH = 64
"""Acknowledged outputs that leave the outbox together when no unit takes them first."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_handled (
    message_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bus_outbox (
    message_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    topic TEXT NOT NULL,
    data BLOB NOT NULL
);
"""


class Journal:
    """The journal of the role whose database ``connection()`` gives (autocommit mode:
    ``isolation_level`` None, the role's own writes committing on their own outside a unit).
    It is asked for each time, so a role whose database is replaced (a provisioned S1SP)
    keeps its journal with its state.

    Args:
        connection: The role's SQLite connection now.
    """

    def __init__(self, connection: Callable[[], sqlite3.Connection]) -> None:
        self._connection = connection
        self._opened: sqlite3.Connection | None = None
        self._seq = 0
        self._flushes: list[Callable[[], None]] = []
        self._undos: list[Callable[[], None]] = []
        self._depth = 0
        self._acked: list[str] = []
        """Outputs acknowledged and still in the outbox (deleted by the next transaction)."""
        self.handled_count = 0

    @property
    def _db(self) -> sqlite3.Connection:
        db = self._connection()
        if db is not self._opened:
            if db.isolation_level is not None:
                raise ValueError("a journal needs a connection in autocommit mode")
            db.executescript(_SCHEMA)
            self._seq = (
                db.execute(
                    "SELECT max(s) FROM (SELECT max(seq) AS s FROM bus_handled "
                    "UNION ALL SELECT max(seq) FROM bus_outbox)"
                ).fetchone()[0]
                or 0
            )
            self._opened = db
        return db

    def before_commit(self, flush: Callable[[], None]) -> None:
        """Run ``flush`` inside every unit, just before it commits: a role writes there what it
        keeps in memory and changed."""
        self._flushes.append(flush)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` after a unit rolled back: a role takes what it keeps in memory from its
        database again (the state of the last unit that committed)."""
        self._undos.append(undo)

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One transaction (``BEGIN IMMEDIATE``): committed when the block ends; when the block,
        a flush or the commit raises, rolled back and the role's memory undone. A unit inside a
        unit joins it."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        db = self._db
        if db.in_transaction:  # left open by someone else: never joined silently
            log.error("a transaction was left open on a role's database; rolling it back")
            db.execute("ROLLBACK")
        db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        acked, self._acked = self._acked, []
        try:
            self._forget(db, acked)
            yield
            for flush in self._flushes:
                flush()
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            self._acked = acked + self._acked  # still in the outbox
            for undo in self._undos:
                undo()
            raise
        finally:
            self._depth = 0

    def handled(self, message_id: str) -> bool:
        """Whether the message ``message_id`` was handled (its effects committed)."""
        found = self._db.execute(
            "SELECT 1 FROM bus_handled WHERE message_id = ?", (message_id,)
        ).fetchone()
        return found is not None

    def record(self, message_id: str | None, outputs: Sequence[Envelope]) -> list[str]:
        """Inside a unit: the message ``message_id`` (None: a role's own timer) was handled and
        produced ``outputs``; returns the message ID each output carries."""
        if message_id is not None:
            self._seq += 1
            self._db.execute(
                "INSERT OR IGNORE INTO bus_handled VALUES (?, ?)", (message_id, self._seq)
            )
            self.handled_count += 1
            if self.handled_count % 1000 == 0:  # keep the newest HANDLED_LIMIT
                self._db.execute(
                    "DELETE FROM bus_handled WHERE seq < (SELECT seq FROM bus_handled "
                    "ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                    (HANDLED_LIMIT - 1,),
                )
        ids = []
        for envelope in outputs:
            output_id = uuid.uuid4().hex
            self._seq += 1
            self._db.execute(
                "INSERT INTO bus_outbox VALUES (?, ?, ?, ?)",
                (output_id, self._seq, envelope.topic, encode(Delivery(envelope, output_id))),
            )
            ids.append(output_id)
        return ids

    def unsent(self) -> list[tuple[str, Envelope]]:
        """What was produced and not yet acknowledged by its consumer, oldest first."""
        rows = self._db.execute("SELECT message_id, topic, data FROM bus_outbox ORDER BY seq")
        acked = set(self._acked)
        return [
            (message_id, decode(topic, data).envelope)
            for message_id, topic, data in rows
            if message_id not in acked
        ]

    def sent(self, message_id: str) -> None:
        """Its consumer acknowledged the output ``message_id``: it leaves the outbox with the
        next unit, or with :data:`ACKED_BATCH` others (a database that cannot be written then
        keeps them, and they are sent again after a restart: their consumers know them)."""
        self._acked.append(message_id)
        if self._depth or len(self._acked) < ACKED_BATCH:
            return
        acked, self._acked = self._acked, []
        try:
            db = self._db
            with db:  # commits the transaction BEGIN opens (rolls it back on an error)
                db.execute("BEGIN IMMEDIATE")
                self._forget(db, acked)
        except sqlite3.Error as exc:
            log.warning("kept %d acknowledged messages in the outbox: %s", len(acked), exc)

    @staticmethod
    def _forget(db: sqlite3.Connection, acked: list[str]) -> None:
        if acked:
            db.executemany(
                "DELETE FROM bus_outbox WHERE message_id = ?", [(each,) for each in acked]
            )


__all__ = ["ACKED_BATCH", "HANDLED_LIMIT", "Journal"]
