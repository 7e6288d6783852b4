"""Registration data and the Smart Metering Inventory (SRPD 6.1(f)).

* :mod:`~s1harness.registry.model` — the records: :class:`Party`, :class:`RegistrationPeriod`,
  :class:`Device` and their enums.
* :mod:`~s1harness.registry.rdp` — SRPD 6.1(f) eligibility as pure functions.
* :mod:`~s1harness.registry.store` — :class:`Registry`, the SQLite store.
"""

from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Smets,
    SmiStatus,
)
from s1harness.registry.store import MEMORY, Registry

__all__ = [
    "MEMORY",
    "Cohort",
    "Device",
    "DeviceType",
    "Fuel",
    "Party",
    "RegistrationPeriod",
    "Registry",
    "Smets",
    "SmiStatus",
]
