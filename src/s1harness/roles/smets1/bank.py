"""Every SMETS1 device of an inventory, emulated on demand: a device bank.

An estate of a million SMETS1 devices is a million inventory rows and four million S1SP slot
rows; a Python object per idle device would cost gigabytes. The bank builds a device's
emulator from its inventory row (type and cohort), its key (the commissioning seed, as its S1SP
derives it) and the state it was left in, when a frame reaches it; it writes the state back
after every frame the device sends (before the frames go), and keeps only the ``resident`` most
recently used emulators. A device never heard from starts from the state of a newly
commissioned device (no credential records, counters at 0).

States live in a :class:`~s1harness.roles.smets1.store.DeviceStore` when one is given (a data
folder), else in a dict of the devices that have been instructed.
"""

from __future__ import annotations

from collections import OrderedDict

from s1harness.registry.model import Cohort, DeviceType, Smets
from s1harness.registry.store import Registry
from s1harness.roles.smets1.codes import Cohort as FrameCohort
from s1harness.roles.smets1.commissioning import Smets1Commissioning
from s1harness.roles.smets1.device import Clock, DeviceState, Smets1Device
from s1harness.roles.smets1.esme import EsmeState
from s1harness.roles.smets1.store import DeviceStore
from s1harness.spec.identifiers import Eui64

RESIDENT = 1024
"""Emulators kept built (the most recently used)."""


class Smets1Bank:
    """The SMETS1 devices of ``registry`` not otherwise emulated (see the module docstring).

    Args:
        commissioning: Derives each device's key.
        registry: The inventory: which devices exist, their type and S1SP.
        clock: The time the devices read.
        store: Where states are kept (None: in memory).
        resident: How many emulators stay built.
    """

    def __init__(
        self,
        commissioning: Smets1Commissioning,
        registry: Registry,
        clock: Clock,
        store: DeviceStore | None = None,
        *,
        resident: int = RESIDENT,
    ) -> None:
        self._commissioning, self._registry, self._clock = commissioning, registry, clock
        self._store, self._resident = store, resident
        self._built: OrderedDict[Eui64, Smets1Device] = OrderedDict()
        self._states: dict[Eui64, DeviceState] = {}
        self.built = 0
        """How many emulators have been built (for status views and tests)."""

    def device(self, device_id: Eui64) -> Smets1Device | None:
        """The emulator of ``device_id``, built if need be; None when the inventory holds no
        SMETS1 device of that ID with an S1SP."""
        emulator = self.resident(device_id)
        if emulator is not None:
            return emulator
        row = self._registry.device(device_id)
        if row is None or row.generation is not Smets.SMETS1 or row.cohort is None:
            return None
        emulator = self.emulator(device_id, row.device_type, row.cohort, self._load(device_id))
        self._built[device_id] = emulator
        self.built += 1
        while len(self._built) > self._resident:
            self._built.popitem(last=False)
        return emulator

    def resident(self, device_id: Eui64) -> Smets1Device | None:
        """The emulator of ``device_id`` if it is built (nothing is built or read)."""
        emulator = self._built.get(device_id)
        if emulator is not None:
            self._built.move_to_end(device_id)
        return emulator

    def emulator(
        self, device_id: Eui64, device_type: DeviceType, cohort: Cohort, state: DeviceState | None
    ) -> Smets1Device:
        """A commissioned ESME or GPF of ``cohort`` holding ``state`` (None: a new one)."""
        frame_cohort = FrameCohort[str(cohort)]
        if device_type is DeviceType.ESME:
            esme = state if isinstance(state, EsmeState) else None
            return self._commissioning.esme(device_id, frame_cohort, self._clock, esme)
        return self._commissioning.gpf(device_id, frame_cohort, self._clock, state)

    def __len__(self) -> int:
        """How many emulators are built at the moment."""
        return len(self._built)

    def forget(self) -> None:
        """Drop every built emulator: each is built again from its kept state when next used
        (after a transaction that saved states rolled back)."""
        self._built.clear()

    def keep(self, device_id: Eui64, device: Smets1Device) -> None:
        """Write ``device``'s state back (after every frame it sends, before the frames go)."""
        if self._store is not None:
            self._store.save(device_id, device.state)
        else:
            self._states[device_id] = device.state

    def _load(self, device_id: Eui64) -> DeviceState | None:
        if self._store is not None:
            return self._store.load(device_id)
        return self._states.get(device_id)


__all__ = ["RESIDENT", "Smets1Bank"]
