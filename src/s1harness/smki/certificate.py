"""SMKI certificates as typed values (SMKI Organisation and Device Certificate Profiles).

:func:`parse_certificate` reads any certificate of the SMKI hierarchies — organisation, device
or CA — into a :class:`SmkiCertificate`. ``cryptography`` parses first; certificates it refuses
(the Z99-issued MDR certificates carry explicit NULL algorithm parameters) are read by the
lenient asn1crypto path in :mod:`s1harness.smki._lenient`. Both paths produce the same
:class:`RawCertificate`, which :func:`interpret` turns into an SMKI value:

* organisation: subject OU = remote party role as two hex digits (the decimal ``137`` of the
  pre-1.4.1 DSP certificate is tolerated and flagged), EUI-64 in ``x500UniqueIdentifier``
  (2.5.4.45) as a 64-bit BIT STRING;
* device: empty subject, EUI-64 in the SAN ``hardwareModuleName`` hwSerialNum;
* CA: basicConstraints cA=TRUE; no EUI and no role.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from s1harness.smki import _der, _fast, _lenient
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.keys import PublicKey, key_from_point
from s1harness.smki.names import DistinguishedName
from s1harness.smki.oids import ORGANIZATIONAL_UNIT, X500_UNIQUE_IDENTIFIER
from s1harness.smki.raw import RawCertificate
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole


class CertificateKind(enum.StrEnum):
    """The three kinds of certificate in the SMKI hierarchies."""

    ORGANISATION = "organisation"
    DEVICE = "device"
    CA = "ca"


class Anomaly(enum.StrEnum):
    """Departures from the SMKI profile that real test certificates show (ZAZ1, RTDS)."""

    DECIMAL_ROLE_OU = "decimal-role-ou"
    """OU ``137`` in decimal instead of ``89`` (pre-1.4.1 DSP XML-signing certificate)."""
    EXPLICIT_NULL_PARAMETERS = "explicit-null-algorithm-parameters"
    """ecdsa-with-SHA256 with a NULL parameter (Z99-issued MDR certificates)."""
    MISSING_AKI = "missing-authority-key-identifier"
    """No authorityKeyIdentifier on a certificate that is not self-signed (2018 self-made)."""


@dataclass(frozen=True, eq=False)  # no slots: public_key() is cached in __dict__
class SmkiCertificate:
    """A parsed SMKI certificate. Equality and hashing are by DER bytes.

    Attributes:
        der: The certificate exactly as received.
        kind: Organisation, device or CA.
        eui: The Entity Identifier (organisation and device certificates).
        role: The remote party role (organisation certificates only).
        key_usages: Every keyUsage bit set.
        issuer / subject: Distinguished names.
        serial: The serial number.
        not_before / not_after: Validity, timezone-aware UTC.
        ski / aki: Subject and authority key identifiers.
        policy_oids: certificatePolicies identifiers.
        public_point: The 65-octet uncompressed P-256 point.
        anomalies: Tolerated departures from the profile.
    """

    raw: RawCertificate = field(repr=False)
    kind: CertificateKind
    eui: Eui64 | None
    role: RemotePartyRole | None
    anomalies: tuple[Anomaly, ...] = ()
    source: str | None = None

    @property
    def der(self) -> bytes:
        return self.raw.der

    @property
    def key_usages(self) -> frozenset[KeyUsage]:
        return self.raw.key_usages

    @property
    def key_usage(self) -> KeyUsage | None:
        """The one usage that matters: DS or KA for end entities, keyCertSign for CAs."""
        for usage in _USAGE_PRIORITY:
            if usage in self.raw.key_usages:
                return usage
        return None

    @property
    def issuer(self) -> DistinguishedName:
        return self.raw.issuer

    @property
    def subject(self) -> DistinguishedName:
        return self.raw.subject

    @property
    def serial(self) -> int:
        return self.raw.serial

    @property
    def serial_hex(self) -> str:
        """The serial as lower-case hex, as SMKI documents print it."""
        return f"{self.raw.serial:x}"

    @property
    def not_before(self) -> datetime:
        return self.raw.not_before

    @property
    def not_after(self) -> datetime:
        return self.raw.not_after

    @property
    def ski(self) -> bytes | None:
        return self.raw.ski

    @property
    def aki(self) -> bytes | None:
        return self.raw.aki

    @property
    def policy_oids(self) -> tuple[str, ...]:
        return self.raw.policy_oids

    @property
    def public_point(self) -> bytes:
        return self.raw.public_point

    @property
    def role_name(self) -> str | None:
        return self.role.spec_name if self.role is not None else None

    @property
    def common_name(self) -> str | None:
        return self.raw.subject.get("2.5.4.3")

    @property
    def is_self_issued(self) -> bool:
        return self.raw.issuer == self.raw.subject

    @cached_property
    def _public_key(self) -> PublicKey:
        return key_from_point(self.raw.public_point)

    def public_key(self) -> PublicKey:
        """The subject public key as a ``cryptography`` P-256 key (built once)."""
        return self._public_key

    def with_source(self, source: str) -> SmkiCertificate:
        """The same certificate, labelled with where it was read from."""
        return SmkiCertificate(self.raw, self.kind, self.eui, self.role, self.anomalies, source)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SmkiCertificate) and other.raw.der == self.raw.der

    def __hash__(self) -> int:
        return hash(self.raw.der)

    def __repr__(self) -> str:
        who = self.eui or self.subject
        role = f" {self.role_name}" if self.role is not None else ""
        usage = self.key_usage.value if self.key_usage else "-"
        return f"<SmkiCertificate {self.kind.value} {who}{role} {usage} serial={self.serial_hex}>"


_USAGE_PRIORITY = (
    KeyUsage.DIGITAL_SIGNATURE,
    KeyUsage.KEY_AGREEMENT,
    KeyUsage.KEY_CERT_SIGN,
    KeyUsage.NON_REPUDIATION,
    KeyUsage.CRL_SIGN,
)


def parse_certificate(der: bytes, *, source: str | None = None) -> SmkiCertificate:
    """Parse one DER certificate of any SMKI kind.

    Raises:
        CertificateParseError: if the bytes are not an X.509 certificate, or the certificate
            does not identify its subject the SMKI way (no role/EUI, unknown role code).
    """
    try:
        raw = _fast.extract(der)
    except CertificateParseError:
        raw = _lenient.extract(der)
    cert = interpret(raw)
    return cert.with_source(source) if source is not None else cert


PARSED_CACHE_SIZE = 1024
"""Certificates :func:`cached_certificate` keeps (a few hundred octets each)."""


def cached_certificate(der: bytes) -> SmkiCertificate:
    """:func:`parse_certificate`, remembered by the DER octets (without a source label).

    The roles meet the same few certificates on every request — the slot certificates an S1SP
    reads back from its database, the replacement and path certificates a command carries to
    the DSP and on to the S1SP — and parsing each again was a tenth of a round trip. The key is
    the whole DER, so only identical octets share a result, and a :class:`SmkiCertificate` is
    immutable (its public key is built once, from the same octets), so sharing it changes
    nothing a caller can see. Failures are not remembered: bad octets are parsed, and refused,
    every time. At most :data:`PARSED_CACHE_SIZE` certificates are kept, least recently used
    first out.

    Raises:
        CertificateParseError: as :func:`parse_certificate`.
    """
    return _remembered(bytes(der))


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def _remembered(der: bytes) -> SmkiCertificate:
    return parse_certificate(der)


def interpret(raw: RawCertificate) -> SmkiCertificate:
    """Give a raw certificate its SMKI meaning (kind, EUI, role, anomalies)."""
    anomalies: list[Anomaly] = []
    if raw.null_parameters:
        anomalies.append(Anomaly.EXPLICIT_NULL_PARAMETERS)
    if raw.aki is None and raw.issuer != raw.subject:
        anomalies.append(Anomaly.MISSING_AKI)
    if raw.is_ca:
        return SmkiCertificate(raw, CertificateKind.CA, None, None, tuple(anomalies))
    if raw.hardware_module_name is not None:
        eui = _device_eui(raw.hardware_module_name)
        return SmkiCertificate(raw, CertificateKind.DEVICE, eui, None, tuple(anomalies))
    role, decimal = _organisation_role(raw.subject)
    if decimal:
        anomalies.append(Anomaly.DECIMAL_ROLE_OU)
    eui = _organisation_eui(raw.subject)
    return SmkiCertificate(raw, CertificateKind.ORGANISATION, eui, role, tuple(anomalies))


def _organisation_role(subject: DistinguishedName) -> tuple[RemotePartyRole, bool]:
    ou = subject.get(ORGANIZATIONAL_UNIT)
    if ou is None:
        raise CertificateParseError("not an SMKI organisation certificate: subject has no OU role")
    role = _ROLE_BY_OU.get(ou.upper())
    if role is not None:
        return role, False
    if len(ou) == 3 and ou.isdigit() and int(ou) in _ROLE_BY_NUMBER:
        return _ROLE_BY_NUMBER[int(ou)], True
    raise CertificateParseError(f"unknown remote party role code {ou!r} in subject OU")


_ROLE_BY_OU = {role.ou: role for role in RemotePartyRole}
_ROLE_BY_NUMBER = {role.value: role for role in RemotePartyRole}


def _organisation_eui(subject: DistinguishedName) -> Eui64:
    value = subject.get(X500_UNIQUE_IDENTIFIER)
    if value is None:
        raise CertificateParseError(
            "not an SMKI organisation certificate: subject has no x500UniqueIdentifier"
        )
    # "#" + DER of the BIT STRING: 03 09 00 <8 octets>, i.e. 0 unused bits and 64 bits of EUI.
    encoded = bytes.fromhex(value[1:]) if value.startswith("#") else b""
    if len(encoded) != 11 or encoded[:3] != b"\x03\x09\x00":
        raise CertificateParseError(
            "x500UniqueIdentifier is not a 64-bit BIT STRING (SMKI EUI-64 entity identifier)"
        )
    return Eui64(encoded[3:])


def _device_eui(hardware_module_name: bytes) -> Eui64:
    outer = _der.read_tlv(hardware_module_name)
    parts = _der.children(hardware_module_name, outer)
    if outer.tag != 0x30 or len(parts) != 2 or parts[0].tag != 0x06 or parts[1].tag != 0x04:
        raise CertificateParseError("hardwareModuleName is not SEQUENCE { hwType, hwSerialNum }")
    serial = parts[1].value(hardware_module_name)
    if len(serial) != 8:
        raise CertificateParseError(f"hwSerialNum is {len(serial)} octets, an EUI-64 is 8")
    return Eui64(serial)


__all__ = [
    "Anomaly",
    "CertificateKind",
    "RawCertificate",
    "SmkiCertificate",
    "cached_certificate",
    "interpret",
    "parse_certificate",
]
