"""The encoding profile of a certificate: everything about its shape, nothing about its values.

Two certificates have the same profile when they use the same extensions in the same order with
the same criticality, the same string and time types, the same field lengths and the same
algorithm encodings. The test PKI is checked against real ZAZ1
and RTDS certificates with it; ``s1harness smki inspect --profile`` prints it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from asn1crypto import core as asn1_core

from s1harness.smki import _der
from s1harness.smki.errors import CertificateParseError

_CONSTRUCTED = {0x30, 0x31, 0xA0, 0xA1, 0xA2, 0xA3}
_TAG_NAMES = {
    0x03: "BIT STRING",
    0x04: "OCTET STRING",
    0x0C: "UTF8String",
    0x13: "PrintableString",
    0x16: "IA5String",
    0x17: "UTCTime",
    0x18: "GeneralizedTime",
}


@dataclass(frozen=True, slots=True)
class CertificateProfile:
    """The shape of one certificate; compare two with ``==``."""

    skeleton: tuple[tuple[int, int], ...]
    """``(depth, tag)`` of every element, pre-order, into extension values too."""
    serial_octets: int
    signature_algorithm: str
    issuer: tuple[tuple[str, str], ...]
    subject: tuple[tuple[str, str], ...]
    validity: tuple[str, str]
    public_key: str
    extensions: tuple[tuple[str, bool], ...]
    key_identifier_octets: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the skeleton as hex tags with depth)."""
        out = asdict(self)
        out["skeleton"] = [f"{depth}:{tag:02X}" for depth, tag in self.skeleton]
        return out


def describe_profile(der: bytes) -> CertificateProfile:
    """The profile of a DER certificate.

    Raises:
        CertificateParseError: if the DER is not a certificate's shape.
    """
    try:
        return _describe(der)
    except (IndexError, ValueError) as exc:
        raise CertificateParseError(f"cannot read the certificate structure: {exc}") from None


def _describe(der: bytes) -> CertificateProfile:
    outer = _der.read_tlv(der)
    tbs_tlv, sig_alg, _ = _der.children(der, outer)
    fields = _der.children(der, tbs_tlv)
    if fields[0].tag == 0xA0:
        fields = fields[1:]
    serial, _, issuer, validity, subject, spki = fields[:6]
    extensions = [f for f in fields[6:] if f.tag == 0xA3]
    ext_list, key_ids = _extensions(der, extensions[0]) if extensions else ((), ())
    return CertificateProfile(
        skeleton=tuple(_skeleton(der, outer, 0)),
        serial_octets=serial.end - serial.start,
        signature_algorithm=der[_header_start(der, sig_alg) : sig_alg.end].hex().upper(),
        issuer=_name_types(der, issuer),
        subject=_name_types(der, subject),
        validity=_validity_types(der, validity),
        public_key=_spki(der, spki),
        extensions=tuple(ext_list),
        key_identifier_octets=tuple(key_ids),
    )


def _header_start(der: bytes, tlv: _der.Tlv) -> int:
    # Walk back over the length octets to the tag; fine for the short headers used here.
    for start in range(tlv.start - 1, max(tlv.start - 6, -1), -1):
        if _der.read_tlv(der, start) == tlv:
            return start
    raise ValueError("element header not found")


def _skeleton(der: bytes, tlv: _der.Tlv, depth: int) -> list[tuple[int, int]]:
    out = [(depth, tlv.tag)]
    inner: list[_der.Tlv] = []
    if tlv.tag in _CONSTRUCTED:
        inner = _der.children(der, tlv)
    elif tlv.tag == 0x04:
        inner = _wrapped(der, tlv)
    for child in inner:
        out.extend(_skeleton(der, child, depth + 1))
    return out


def _wrapped(der: bytes, tlv: _der.Tlv) -> list[_der.Tlv]:
    """The DER element an OCTET STRING wraps (extension values), if it wraps exactly one."""
    if tlv.end - tlv.start < 2 or der[tlv.start] not in _CONSTRUCTED:
        return []
    try:
        child = _der.read_tlv(der, tlv.start)
    except CertificateParseError:
        return []
    return [child] if child.end == tlv.end else []


def _name_types(der: bytes, name: _der.Tlv) -> tuple[tuple[str, str], ...]:
    out = []
    for rdn in _der.children(der, name):
        for attribute in _der.children(der, rdn):
            oid, value = _der.children(der, attribute)
            dotted = asn1_core.ObjectIdentifier.load(der[oid.start - 2 : oid.end]).dotted
            out.append((dotted, _TAG_NAMES.get(value.tag, hex(value.tag))))
    return tuple(out)


def _validity_types(der: bytes, validity: _der.Tlv) -> tuple[str, str]:
    not_before, not_after = _der.children(der, validity)
    return _TAG_NAMES.get(not_before.tag, "?"), _TAG_NAMES.get(not_after.tag, "?")


def _spki(der: bytes, spki: _der.Tlv) -> str:
    algorithm, key = _der.children(der, spki)
    return f"{der[algorithm.start : algorithm.end].hex().upper()}/{key.end - key.start}"


def _extensions(der: bytes, wrapper: _der.Tlv) -> tuple[list[tuple[str, bool]], list[int]]:
    (sequence,) = _der.children(der, wrapper)
    listed: list[tuple[str, bool]] = []
    key_ids: list[int] = []
    for ext in _der.children(der, sequence):
        parts = _der.children(der, ext)
        dotted = asn1_core.ObjectIdentifier.load(der[parts[0].start - 2 : parts[0].end]).dotted
        critical = len(parts) == 3 and der[parts[1].start] == 0xFF
        listed.append((dotted, critical))
        if dotted in ("2.5.29.14", "2.5.29.35"):
            value = _der.read_tlv(der, parts[-1].start)
            inner = _der.children(der, value) if dotted == "2.5.29.35" else [value]
            key_ids.append(inner[0].end - inner[0].start)
    return listed, key_ids
