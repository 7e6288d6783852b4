"""What the named estates share (:mod:`s1harness.estate.presets`, :mod:`s1harness.estate.fia`):
when their clock starts, since when their meter points are registered, and how their devices
are numbered.

Device IDs are systematic, so a reader can tell a device from its ID: ``00DB`` · generation
(1/2) · cohort (1 IOC, 2 MOC, 3 FOC, 0 none) · type (1 ESME, 2 GSME, 3 GPF) · a nine-digit
serial.
"""

from __future__ import annotations

from datetime import UTC, datetime

from s1harness.registry.model import Cohort, DeviceType, Smets
from s1harness.spec.identifiers import Eui64

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
REGISTERED_SINCE = datetime(2020, 1, 1, tzinfo=UTC)

_COHORT_DIGIT = {Cohort.IOC: 1, Cohort.MOC: 2, Cohort.FOC: 3}
_TYPE_DIGIT = {DeviceType.ESME: 1, DeviceType.GSME: 2, DeviceType.GPF: 3}


def device_id(generation: Smets, cohort: Cohort | None, device_type: DeviceType, n: int) -> Eui64:
    """The systematic ID of the ``n``-th device of its kind (module docstring)."""
    gen = 1 if generation is Smets.SMETS1 else 2
    digit = _COHORT_DIGIT[cohort] if cohort else 0
    return Eui64(f"00DB{gen}{digit}{_TYPE_DIGIT[device_type]}{n:09d}")


__all__ = ["REGISTERED_SINCE", "START", "device_id"]
