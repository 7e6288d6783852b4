"""Fuels, device types and generations (DUIS 5.4 ``DeviceType``; SMETS1 / SMETS2)."""

from __future__ import annotations

import enum


class Fuel(enum.StrEnum):
    """The fuel of a meter point: an MPAN is electricity, an MPRN gas."""

    ELECTRICITY = "electricity"
    GAS = "gas"


class DeviceType(enum.StrEnum):
    """The Smart Metering Inventory device types the harness models (DUIS ``DeviceType``)."""

    ESME = "ESME"
    GSME = "GSME"
    GPF = "GPF"
    CHF = "CHF"

    @property
    def fuel(self) -> Fuel | None:
        """The fuel of the meter point the device serves (None for a comms hub)."""
        return _FUELS.get(self)


_FUELS = {DeviceType.ESME: Fuel.ELECTRICITY, DeviceType.GSME: Fuel.GAS, DeviceType.GPF: Fuel.GAS}


class Smets(enum.StrEnum):
    """The device generation."""

    SMETS1 = "SMETS1"
    SMETS2 = "SMETS2"
