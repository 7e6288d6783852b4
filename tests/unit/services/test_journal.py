"""The bus journal: a handled message, the role's writes and its outputs commit together or
not at all, and survive the connection (a restarted role reads them back)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from s1harness.services.inmemory import InMemoryBus
from s1harness.services.journal import ACKED_BATCH, Journal
from s1harness.services.runner import RoleRunner
from s1harness.spec.bus import Envelope, Kind


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS role (value INTEGER)")
    return db


def _envelope(n: int) -> Envelope:
    return Envelope("dsp/from-devices", Kind.GBCS_DEVICE_FRAME, bytes([n]), f"r{n}")


def test_a_handled_message_its_writes_and_outputs_commit_together(tmp_path: Path) -> None:
    db = _db(tmp_path / "role.sqlite")
    journal = Journal(lambda: db)
    with journal.unit():
        db.execute("INSERT INTO role VALUES (1)")
        ids = journal.record("m1", [_envelope(1), _envelope(2)])
    assert journal.handled("m1") and not journal.handled("m2")
    db.close()

    again = _db(tmp_path / "role.sqlite")  # a restarted role
    journal = Journal(lambda: again)
    assert journal.handled("m1")
    assert [(i, e.correlation_id) for i, e in journal.unsent()] == list(
        zip(ids, ["r1", "r2"], strict=True)
    )
    journal.sent(ids[0])
    assert [i for i, _ in journal.unsent()] == ids[1:]
    assert again.execute("SELECT value FROM role").fetchall() == [(1,)]


def test_a_failed_handler_leaves_nothing(tmp_path: Path) -> None:
    db = _db(tmp_path / "role.sqlite")
    journal = Journal(lambda: db)
    flushed: list[int] = []
    journal.before_commit(lambda: flushed.append(1))

    def failing() -> None:
        with journal.unit():
            db.execute("INSERT INTO role VALUES (1)")
            journal.record("m1", [_envelope(1)])
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        failing()
    assert not journal.handled("m1") and journal.unsent() == []
    assert db.execute("SELECT count(*) FROM role").fetchone() == (0,)
    assert flushed == []  # a role writes its memory only into a unit that commits
    with journal.unit(), journal.unit():  # joins the outer one
        journal.record("m1", [])
    assert journal.handled("m1") and flushed == [1]


def test_a_journal_needs_autocommit(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "role.sqlite")
    with pytest.raises(ValueError, match="autocommit"):
        Journal(lambda: db).handled("m1")


def test_a_rolled_back_unit_undoes_the_role_s_memory_and_a_failed_commit_rolls_back(
    tmp_path: Path,
) -> None:
    db = _db(tmp_path / "role.sqlite")
    db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE child (parent INTEGER REFERENCES parent(id) DEFERRABLE "
               "INITIALLY DEFERRED)")  # fmt: skip
    db.execute("PRAGMA foreign_keys = ON")
    journal = Journal(lambda: db)
    undone: list[int] = []
    journal.on_rollback(lambda: undone.append(1))

    def orphan() -> None:
        with journal.unit():
            db.execute("INSERT INTO child VALUES (7)")  # fails only at COMMIT
            journal.record("m1", [_envelope(1)])

    with pytest.raises(sqlite3.IntegrityError):
        orphan()
    assert undone == [1] and not db.in_transaction
    assert not journal.handled("m1") and journal.unsent() == []
    with journal.unit():  # the next unit commits on its own, joined to nothing
        journal.record("m2", [])
    assert journal.handled("m2") and not db.in_transaction


async def test_the_runner_handles_a_journaled_message_once_and_resends_the_outbox(
    tmp_path: Path,
) -> None:
    db = _db(tmp_path / "role.sqlite")
    journal = Journal(lambda: db)
    with journal.unit():  # produced before a restart, never acknowledged
        (left,) = journal.record("before", [_envelope(9)])
    calls: list[Envelope] = []

    def handler(envelope: Envelope) -> list[Envelope]:
        calls.append(envelope)
        return [_envelope(len(calls))]

    async with InMemoryBus() as bus:
        out = bus.subscribe("dsp/from-devices", handled=True)
        async with RoleRunner(bus, [("in/#", handler)], journals={"in/#": journal}) as runner:
            assert (await out.take(1)) == (_envelope(9), left)  # the outbox, same ID
            out.done()
            message = Envelope("in/x", Kind.GBCS_DEVICE_FRAME, b"\x01", "c")
            await bus.publish(message, message_id="m1")
            await bus.publish(message, message_id="m1")  # a copy: acknowledged, not handled
            await runner.settle()
    assert calls == [message]
    assert journal.handled("m1") and journal.unsent() == []  # delivered: out of the outbox


def _outbox(path: Path) -> list[str]:
    with sqlite3.connect(path) as other:  # what another connection (a restart) would see
        return [row[0] for row in other.execute("SELECT message_id FROM bus_outbox ORDER BY seq")]


def test_an_acknowledged_output_leaves_the_outbox_with_the_next_unit(tmp_path: Path) -> None:
    path = tmp_path / "role.sqlite"
    db = _db(path)
    journal = Journal(lambda: db)
    with journal.unit():
        first = journal.record("m1", [_envelope(1), _envelope(2)])
    journal.sent(first[0])
    assert [i for i, _ in journal.unsent()] == first[1:]  # gone for this journal at once
    assert _outbox(path) == first  # on disk until the next transaction
    with journal.unit():
        second = journal.record("m2", [_envelope(3)])
    assert _outbox(path) == [first[1], *second]


def test_a_rolled_back_unit_keeps_the_acknowledgements_it_took(tmp_path: Path) -> None:
    path = tmp_path / "role.sqlite"
    db = _db(path)
    journal = Journal(lambda: db)
    with journal.unit():
        ids = journal.record("m1", [_envelope(1)])
    journal.sent(ids[0])
    with pytest.raises(RuntimeError), journal.unit():
        raise RuntimeError("the handler failed")
    assert journal.unsent() == []
    with journal.unit():
        journal.record("m2", [])
    assert _outbox(path) == []


def test_acknowledgements_with_no_unit_to_take_them_leave_in_a_batch(tmp_path: Path) -> None:
    path = tmp_path / "role.sqlite"
    db = _db(path)
    journal = Journal(lambda: db)
    with journal.unit():
        ids = journal.record("m1", [_envelope(n % 256) for n in range(ACKED_BATCH + 1)])
    for message_id in ids[: ACKED_BATCH - 1]:
        journal.sent(message_id)
    assert len(_outbox(path)) == ACKED_BATCH + 1
    journal.sent(ids[ACKED_BATCH - 1])
    assert _outbox(path) == ids[ACKED_BATCH:]
