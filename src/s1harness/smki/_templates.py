"""DER templates for issuing end-entity certificates fast.

Every field of the SMKI organisation and device profiles has a fixed length once the issuer,
role, usage, optional CN and validity are fixed, so a TBSCertificate built once by
:mod:`s1harness.smki._builder` can be re-used by patching four fields in place: the serial
(16 octets), the EUI (8), the public point (65) and the SKI (8). Issuing then costs one key
derivation and one signature, about twice as fast as the builder (docs/smki.md §4.1).

The template finds each field's offset in a sample built with known values and refuses any
sample in which a value is not found exactly once. Tests check that template output is
byte-identical to builder output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.smki import _der
from s1harness.smki.keys import PrivateKey

SIGNATURE_ALGORITHM_DER = bytes.fromhex("300A06082A8648CE3D040302")
_DETERMINISTIC_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


@dataclass(frozen=True, slots=True)
class Fields:
    """The four per-certificate values of a template."""

    serial: bytes
    eui: bytes
    point: bytes
    ski: bytes


class Template:
    """A TBSCertificate with four patchable fields."""

    __slots__ = ("_offsets", "_tbs")

    def __init__(self, build_sample: Callable[[Fields], bytes], sample: Fields) -> None:
        """Build the sample certificate and record where each field sits in its TBS."""
        der = build_sample(sample)
        outer = _der.read_tlv(der)
        tbs_tlv = _der.read_tlv(der, outer.start)
        tbs = der[outer.start : tbs_tlv.end]
        offsets = []
        for value in (sample.serial, sample.eui, sample.point, sample.ski):
            first = tbs.find(value)
            if first < 0 or tbs.find(value, first + 1) >= 0:
                raise AssertionError("template field not found exactly once in the sample TBS")
            offsets.append((first, len(value)))
        self._tbs = tbs
        self._offsets = tuple(offsets)

    def tbs(self, fields: Fields) -> bytes:
        """The TBSCertificate with ``fields`` patched in."""
        out = bytearray(self._tbs)
        for (offset, size), value in zip(
            self._offsets, (fields.serial, fields.eui, fields.point, fields.ski), strict=True
        ):
            if len(value) != size:
                raise ValueError(f"template field is {size} octets, got {len(value)}")
            out[offset : offset + size] = value
        return bytes(out)


def sign_tbs(tbs: bytes, issuer_key: PrivateKey) -> tuple[bytes, bytes]:
    """Sign a TBSCertificate; returns ``(certificate DER, signature DER)``."""
    signature = issuer_key.sign(tbs, _DETERMINISTIC_ECDSA)
    body = tbs + SIGNATURE_ALGORITHM_DER + _der.tlv(0x03, b"\x00" + signature)
    return _der.tlv(0x30, body), signature
