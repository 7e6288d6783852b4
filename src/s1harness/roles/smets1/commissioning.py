"""Commissioning: the per-device key an S1SP and its SMETS1 device share, without I/O.

Both sides derive the key from a commissioning seed and the device ID
(docs/smets1-instruction-frame.md §4.3)::

    key = HMAC-SHA256(key=seed, msg="s1harness/smets1/device-key/v1" ‖ device EUI-64 octets)

An estate's commissioning seed is SHA-256 of its ``seed`` text (UTF-8), whatever its key source
(:func:`s1harness.estate.build.build`), so an S1SP emulator and a device emulator of the same
estate agree, and every device has its own key: one device's key reveals nothing about
another's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from s1harness.roles.smets1.codes import Cohort
from s1harness.roles.smets1.device import Clock, DeviceState
from s1harness.roles.smets1.esme import EsmeState, Smets1Esme
from s1harness.roles.smets1.gpf import Smets1Gpf
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

KEY_LABEL = b"s1harness/smets1/device-key/v1"
MIN_SEED_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Smets1Commissioning:
    """Derives device keys from a seed and builds devices that hold them.

    Args:
        seed: The estate's secret seed, at least 16 octets.
    """

    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) < MIN_SEED_LENGTH:
            raise InputError(f"a commissioning seed is at least 16 octets, got {len(self.seed)}")

    def device_key(self, device_id: Eui64 | str) -> bytes:
        """The 32-octet key for ``device_id``."""
        message = KEY_LABEL + Eui64(device_id).octets
        return hmac.new(self.seed, message, hashlib.sha256).digest()

    def esme(
        self,
        device_id: Eui64 | str,
        cohort: Cohort,
        clock: Clock,
        state: EsmeState | None = None,
        *,
        import_rate_kw: float = 0.0,
    ) -> Smets1Esme:
        """A commissioned ESME holding its derived key."""
        key = self.device_key(device_id)
        return Smets1Esme(device_id, cohort, key, clock, state, import_rate_kw=import_rate_kw)

    def gpf(
        self,
        device_id: Eui64 | str,
        cohort: Cohort,
        clock: Clock,
        state: DeviceState | None = None,
    ) -> Smets1Gpf:
        """A commissioned GPF holding its derived key."""
        return Smets1Gpf(device_id, cohort, self.device_key(device_id), clock, state)
