"""The device bank: a SMETS1 device of the inventory is built when a frame reaches it, with
the key its S1SP derives and the state it was left in, and dropped again past ``resident``
without losing that state; an ID the inventory does not hold as a SMETS1 device is no device."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.registry.model import Cohort, Device, DeviceType, Smets, SmiStatus
from s1harness.registry.store import Registry
from s1harness.roles.smets1.bank import Smets1Bank
from s1harness.roles.smets1.commissioning import Smets1Commissioning
from s1harness.roles.smets1.esme import Smets1Esme
from s1harness.roles.smets1.gpf import Smets1Gpf
from s1harness.roles.smets1.store import DeviceStore
from s1harness.spec.identifiers import Eui64

SEED = Smets1Commissioning(b"s" * 32)
ESME, GPF, SMETS2 = Eui64("00DB111000000101"), Eui64("00DB111000000102"), Eui64("00DB2000000001A1")


def _clock() -> datetime:
    return datetime(2026, 11, 21, 10, tzinfo=UTC)


@pytest.fixture
def registry() -> Iterator[Registry]:
    registry = Registry.open(":memory:")
    registry.add_devices([
        Device(ESME, DeviceType.ESME, Smets.SMETS1, Cohort.IOC, SmiStatus.COMMISSIONED),
        Device(GPF, DeviceType.GPF, Smets.SMETS1, Cohort.MOC, SmiStatus.COMMISSIONED),
        Device(SMETS2, DeviceType.ESME, Smets.SMETS2, None, SmiStatus.COMMISSIONED),
    ])  # fmt: skip
    yield registry
    registry.close()


@pytest.mark.parametrize("on_disk", [False, True], ids=["in memory", "in a store"])
def test_a_device_is_built_on_demand_and_keeps_its_state_when_dropped(
    registry: Registry, tmp_path: Path, on_disk: bool
) -> None:
    store = DeviceStore.open(tmp_path / "devices.sqlite") if on_disk else None
    bank = Smets1Bank(SEED, registry, _clock, store, resident=1)
    esme = bank.device(ESME)
    assert isinstance(esme, Smets1Esme)
    assert (esme.state.instruction_floor, esme.state.sequence, dict(esme.state.credentials)) == (
        0,
        0,
        {},
    )  # newly commissioned
    assert bank.device(ESME) is esme and bank.built == 1  # resident: not built again
    moved = Smets1Esme(ESME, esme.cohort, SEED.device_key(ESME), _clock,
                       type(esme.state)(instruction_floor=7, sequence=3))  # fmt: skip
    bank.keep(ESME, moved)
    assert isinstance(bank.device(GPF), Smets1Gpf)  # one resident: the ESME is dropped
    again = bank.device(ESME)
    assert again is not esme and bank.built == 3
    assert again is not None and (again.state.instruction_floor, again.state.sequence) == (7, 3)


def test_what_the_inventory_does_not_hold_as_smets1_is_no_device(registry: Registry) -> None:
    bank = Smets1Bank(SEED, registry, _clock)
    assert bank.device(SMETS2) is None
    assert bank.device(Eui64("00DB111000000999")) is None
    assert bank.built == 0
