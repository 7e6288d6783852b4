"""Every SMETS2 device of an inventory, emulated from the first frame that reaches it.

An estate may list many more SMETS2 devices in its inventory than any run instructs. The bank
builds a device's emulator (``make``: commissioned as the estate commissions its devices) the
first time the device is asked for, and keeps it from then on: a SMETS2 emulator holds its
state (trust anchor cells, floors, held future-dated commands, alert counter) in memory, so a
device that has been instructed stays built, and a device never asked for costs nothing.
Memory grows with the devices a run instructs, not with the estate.

It answers like the dict of emulators it replaces, but iterating (``items``, ``values``,
``len``) covers the devices built so far only: those are the only ones with held commands to
tick or state to show.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, ValuesView

from s1harness.roles.smets2.device import Smets2Device
from s1harness.spec.identifiers import Eui64

Make = Callable[[Eui64], Smets2Device | None]
"""Builds a device's emulator from its inventory row; None when the inventory holds no SMETS2
device of that ID."""


class Smets2Bank:
    """The SMETS2 devices of an estate (see the module docstring).

    Args:
        make: Builds a device the bank does not hold yet.
    """

    def __init__(self, make: Make | None = None) -> None:
        self._make = make
        self._built: dict[Eui64, Smets2Device] = {}

    def add(self, device: Smets2Device) -> None:
        """Hold an emulator built beforehand (a device the estate's document lists)."""
        self._built[device.device_id] = device

    def get(self, device_id: Eui64) -> Smets2Device | None:
        """The emulator of ``device_id``, built if need be; None when there is no such device."""
        device = self._built.get(device_id)
        if device is None and self._make is not None:
            device = self._make(device_id)
            if device is not None:
                self._built[device_id] = device
        return device

    def __getitem__(self, device_id: Eui64) -> Smets2Device:
        device = self.get(device_id)
        if device is None:
            raise KeyError(device_id)
        return device

    def items(self) -> ItemsView[Eui64, Smets2Device]:
        """The devices built so far, in the order they were built."""
        return self._built.items()

    def values(self) -> ValuesView[Smets2Device]:
        """The emulators built so far."""
        return self._built.values()

    def __iter__(self) -> Iterator[Eui64]:
        return iter(self._built)

    def __len__(self) -> int:
        """How many devices are built."""
        return len(self._built)


__all__ = ["Make", "Smets2Bank"]
