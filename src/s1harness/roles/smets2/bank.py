"""Every SMETS2 device of an estate, emulated on demand: a device bank.

An estate may list many more SMETS2 devices in its inventory than any run instructs. The bank
builds a device's emulator (``make``: commissioned as the estate commissions it) when the device
is first asked for, gives it the state it was left in (:mod:`.store`), keeps it up to date
(:meth:`Smets2Bank.keep`, after every frame the device sends, before the frames go) and keeps
only the ``resident`` most recently used emulators built — but never lets go of one holding a
future-dated command, which a tick must find. A device never heard from starts as commissioned.

States live in a :class:`~s1harness.roles.smets2.store.Smets2Store` when one is given (a data
folder), else in a dict of the devices that have sent a frame.

It answers like the dict of emulators it replaces, but iterating (``items``, ``values``,
``len``) covers the devices built at the moment only: those are the ones with held commands to
tick.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, ItemsView, Iterator, ValuesView
from datetime import datetime

from s1harness.roles.smets2.device import Smets2Device, Smets2State
from s1harness.roles.smets2.store import Smets2Store
from s1harness.spec.identifiers import Eui64

RESIDENT = 1024
"""Emulators kept built (the most recently used, and any holding a future-dated command)."""

Make = Callable[[Eui64], Smets2Device | None]
"""Builds a device's emulator as commissioned; None when the estate holds no SMETS2 device of
that ID."""


class Smets2Bank:
    """The SMETS2 devices of an estate (see the module docstring).

    Args:
        make: Builds a device the bank has not built (None: a bank of no device).
        store: Where states are kept (None: in memory).
        resident: How many emulators stay built.
    """

    def __init__(
        self,
        make: Make | None = None,
        store: Smets2Store | None = None,
        *,
        resident: int = RESIDENT,
    ) -> None:
        self._make, self._store, self._resident = make, store, resident
        self._built: OrderedDict[Eui64, Smets2Device] = OrderedDict()
        self._states: dict[Eui64, Smets2State] = {}
        self.built = 0
        """How many emulators have been built (for tests)."""

    def get(self, device_id: Eui64) -> Smets2Device | None:
        """The emulator of ``device_id``, built if need be; None when there is no such device."""
        device = self._built.get(device_id)
        if device is not None:
            self._built.move_to_end(device_id)
            return device
        device = self._make(device_id) if self._make is not None else None
        if device is None:
            return None
        state = self._load(device_id)
        if state is not None:
            device.restore(state)
        self._built[device_id] = device
        self.built += 1
        self._let_go()
        return device

    def __getitem__(self, device_id: Eui64) -> Smets2Device:
        device = self.get(device_id)
        if device is None:
            raise KeyError(device_id)
        return device

    def keep(self, device_id: Eui64) -> None:
        """Write a built device's state back (after every frame it sends, before they go)."""
        device = self._built.get(device_id)
        if device is None:
            return
        if self._store is not None:
            self._store.save(device_id, device.state)
        else:
            self._states[device_id] = device.state

    def forget(self) -> None:
        """Drop every built emulator (after a transaction that saved states rolled back: what
        they hold is ahead of their kept state): each is built again from it when next asked
        for, those holding a command at once (:meth:`wake`)."""
        self._built.clear()
        self.wake()

    def wake(self) -> None:
        """Build every device whose kept state holds a future-dated command (at start, so the
        ticks execute them)."""
        held = (
            self._store.holding_commands()
            if self._store is not None
            else [d for d, state in self._states.items() if state.pending]
        )
        for device_id in held:
            self.get(device_id)

    def due(self, now: datetime) -> list[tuple[Eui64, Smets2Device]]:
        """The devices holding a command due at ``now`` (a list: ticking them may build others)."""
        return [
            (device_id, device)
            for device_id, device in self._built.items()
            if any(held.execute_at <= now for held in device.pending)
        ]

    def items(self) -> ItemsView[Eui64, Smets2Device]:
        """The devices built at the moment, least recently used first."""
        return self._built.items()

    def values(self) -> ValuesView[Smets2Device]:
        return self._built.values()

    def __iter__(self) -> Iterator[Eui64]:
        return iter(self._built)

    def __len__(self) -> int:
        """How many devices are built at the moment."""
        return len(self._built)

    def _let_go(self) -> None:
        """Drop the least recently used emulators holding no command, down to ``resident`` (the
        one just built stays)."""
        excess = len(self._built) - self._resident
        if excess <= 0:
            return
        older = list(self._built.items())[:-1]
        idle = [d for d, device in older if not device.pending][:excess]
        for device_id in idle:
            del self._built[device_id]

    def _load(self, device_id: Eui64) -> Smets2State | None:
        if self._store is not None:
            return self._store.load(device_id)
        return self._states.get(device_id)


__all__ = ["RESIDENT", "Make", "Smets2Bank"]
