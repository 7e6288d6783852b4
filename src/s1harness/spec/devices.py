"""Device types and generations (DUIS 5.4 ``DeviceType``; SMETS1 / SMETS2)."""

from __future__ import annotations

import enum


class DeviceType(enum.StrEnum):
    """The Smart Metering Inventory device types the harness models (DUIS ``DeviceType``)."""

    ESME = "ESME"
    GSME = "GSME"
    GPF = "GPF"
    CHF = "CHF"


class Smets(enum.StrEnum):
    """The device generation."""

    SMETS1 = "SMETS1"
    SMETS2 = "SMETS2"
