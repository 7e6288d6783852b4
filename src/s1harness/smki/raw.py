"""The fields of a certificate as either parsing back end extracts them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from s1harness.smki.names import DistinguishedName
from s1harness.spec.roles import KeyUsage


@dataclass(slots=True)
class RawCertificate:
    """What either parsing back end extracts from the DER, before SMKI interpretation.

    Treat it as immutable. It is not a frozen dataclass only because freezing costs about
    3 µs per certificate, a tenth of the issuing path (see ``s1harness bench smki``).
    """

    der: bytes
    tbs: bytes
    signature: bytes
    signature_oid: str
    null_parameters: bool
    serial: int
    issuer: DistinguishedName
    subject: DistinguishedName
    not_before: datetime
    not_after: datetime
    public_point: bytes
    key_usages: frozenset[KeyUsage]
    ski: bytes | None
    aki: bytes | None
    policy_oids: tuple[str, ...]
    is_ca: bool
    path_length: int | None
    hardware_module_name: bytes | None
    """DER of the SAN otherName hardwareModuleName SEQUENCE, when present."""
    extensions: tuple[tuple[str, bool], ...]
    """``(oid, critical)`` in certificate order."""


def extension_defaults() -> dict[str, Any]:
    """The extension-derived fields of a :class:`RawCertificate` with no extensions present."""
    return {
        "key_usages": frozenset(),
        "ski": None,
        "aki": None,
        "policy_oids": (),
        "is_ca": False,
        "path_length": None,
        "hardware_module_name": None,
    }
