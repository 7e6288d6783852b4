"""A SMETS2 device's state kept and taken up again: a device rebuilt from its stored state
answers and ticks as the one that was never rebuilt; the bank lets idle devices go but keeps
those holding a future-dated command, and finds them again at start."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from s1harness.gbcs.payloads import ReplacementMode
from s1harness.roles.smets2 import SUPPLIER_DS, SUPPLIER_KA, Smets2Device
from s1harness.roles.smets2.bank import Smets2Bank
from s1harness.roles.smets2.store import Smets2Store
from s1harness.smki import TestPki
from s1harness.spec import RemotePartyRole
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from unit.roles.smets2_support import ManualClock, device, held, parties, rekeyed, signed_by, update

WHEN = datetime(2030, 1, 15, tzinfo=UTC)


def _supplier_update(pki: TestPki, target: Smets2Device, seq: int, when: datetime | None) -> bytes:
    known = parties(pki)
    new = rekeyed(pki, known.supplier)
    payload = update(pki, ReplacementMode.SUPPLIER_BY_SUPPLIER, seq,
                     [(new.ds, SUPPLIER_DS), (new.ka, SUPPLIER_KA)], execution=when)  # fmt: skip
    return signed_by(known.supplier, payload, target, known.acb)


def _store() -> Smets2Store:
    return Smets2Store(sqlite3.connect(":memory:", isolation_level=None))


def test_a_device_rebuilt_from_its_stored_state_carries_on_as_the_original(pki: TestPki) -> None:
    clock = ManualClock()
    original, rebuilt = device(pki, clock), device(pki, clock)
    store = _store()
    future = _supplier_update(pki, original, 1001, WHEN)
    original.receive(future)  # held until WHEN
    store.save(original.device_id, original.state)

    state = store.load(original.device_id)
    assert state is not None
    rebuilt.restore(state)
    assert rebuilt.state == original.state
    assert rebuilt.floors.floor(RemotePartyRole.SUPPLIER) == 1001
    assert [p.execute_at for p in rebuilt.pending] == [WHEN]
    assert rebuilt.receive(future) == [] and rebuilt.last_rejection is not None  # a replay
    clock.now = WHEN + timedelta(seconds=1)
    assert rebuilt.tick() == original.tick() != []  # the held command runs: the same alert
    assert rebuilt.state == original.state
    assert held(rebuilt, SUPPLIER_DS) == rekeyed(pki, parties(pki).supplier).ds.certificate
    assert store.holding_commands() == [original.device_id]  # as last saved


def test_a_stored_state_that_cannot_be_read_is_one_clear_error(pki: TestPki) -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    store = Smets2Store(db)
    esme = device(pki, ManualClock())
    store.save(esme.device_id, esme.state)
    db.execute("""UPDATE smets2_device SET state = '{"version": 1, "cells": 5}'""")
    with pytest.raises(InputError, match=f"SMETS2 device {esme.device_id}: its stored state"):
        store.load(esme.device_id)


def _bank(pki: TestPki, clock: ManualClock, store: Smets2Store | None, resident: int) -> Smets2Bank:
    ids = {Eui64(f"00DB20010000000{n}") for n in range(1, 5)}
    return Smets2Bank(
        lambda d: device(pki, clock, device_id=d) if d in ids else None, store, resident=resident
    )


@pytest.mark.parametrize("stored", [True, False], ids=["store", "memory"])
def test_the_bank_lets_idle_devices_go_and_builds_them_again_as_they_were(
    pki: TestPki, stored: bool
) -> None:
    clock = ManualClock()
    store = _store() if stored else None
    bank = _bank(pki, clock, store, resident=2)
    first, second, third = (Eui64(f"00DB20010000000{n}") for n in (1, 2, 3))
    assert bank.get(Eui64("00DB200100000009")) is None  # not a device of the estate
    esme = bank[first]
    esme.receive(_supplier_update(pki, esme, 1001, None))
    bank.keep(first)
    bank.get(second)
    bank.get(third)
    assert list(bank) == [second, third]  # the first, least recently used, was let go
    again = bank[first]
    assert again is not esme and again.state == esme.state
    assert bank.built == 4


def test_the_bank_keeps_a_device_holding_a_command_and_wakes_it_at_start(pki: TestPki) -> None:
    clock = ManualClock()
    store = _store()
    bank = _bank(pki, clock, store, resident=1)
    first, second = Eui64("00DB200100000001"), Eui64("00DB200100000002")
    esme = bank[first]
    esme.receive(_supplier_update(pki, esme, 1001, WHEN))
    bank.keep(first)
    bank.get(second)
    assert list(bank) == [first, second]  # over the limit, but the first holds a command
    restarted = _bank(pki, clock, store, resident=1)
    restarted.wake()
    assert list(restarted) == [first]
    assert restarted.due(WHEN - timedelta(seconds=1)) == []
    assert restarted.due(WHEN) == [(first, restarted[first])]
    clock.now = WHEN
    assert len(restarted[first].tick()) == 1
    assert restarted.due(WHEN) == []
