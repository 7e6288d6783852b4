"""DER templates for issuing end-entity certificates fast.

Every field of the SMKI organisation and device profiles has a fixed length once the issuer,
role, usage, optional CN and validity are fixed, so a TBSCertificate built once by
:mod:`s1harness.smki._builder` can be re-used by patching four fields in place: the serial
(16 octets), the EUI (8), the public point (65) and the SKI (8). Issuing then costs one key
derivation and one signature, about twice as fast as the builder (``s1harness bench smki``).

The template finds each field's offset in a sample built with known values and refuses any
sample in which a value is not found exactly once. Tests check that template output is
byte-identical to builder output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.smki import _der
from s1harness.smki.keys import PrivateKey

SIGNATURE_ALGORITHM_DER = bytes.fromhex("300A06082A8648CE3D040302")
_DETERMINISTIC_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


class Fields(NamedTuple):
    """The four per-certificate values of a template (a tuple: made once per certificate)."""

    serial: bytes
    eui: bytes
    point: bytes
    ski: bytes


class Template:
    """A TBSCertificate with four patchable fields, kept as the fixed runs between them."""

    __slots__ = ("_order", "_runs", "_sizes")

    def __init__(self, build_sample: Callable[[Fields], bytes], sample: Fields) -> None:
        """Build the sample certificate and record where each field sits in its TBS."""
        der = build_sample(sample)
        outer = _der.read_tlv(der)
        tbs_tlv = _der.read_tlv(der, outer.start)
        tbs = der[outer.start : tbs_tlv.end]
        located = []
        for index, value in enumerate(_values(sample)):
            first = tbs.find(value)
            if first < 0 or tbs.find(value, first + 1) >= 0:
                raise AssertionError("template field not found exactly once in the sample TBS")
            located.append((first, len(value), index))
        located.sort()
        runs, previous = [], 0
        for offset, size, _ in located:
            runs.append(tbs[previous:offset])
            previous = offset + size
        runs.append(tbs[previous:])
        self._runs = tuple(runs)
        self._order = tuple(index for _, _, index in located)
        self._sizes = tuple(size for _, size, _ in sorted(located, key=lambda item: item[2]))

    def tbs(self, fields: Fields) -> bytes:
        """The TBSCertificate with ``fields`` patched in."""
        values = _values(fields)
        if tuple(map(len, values)) != self._sizes:
            raise ValueError(f"template fields must be {self._sizes} octets long")
        runs, order = self._runs, self._order
        return b"".join(
            (
                runs[0], values[order[0]], runs[1], values[order[1]],
                runs[2], values[order[2]], runs[3], values[order[3]], runs[4],
            )
        )  # fmt: skip


def _values(fields: Fields) -> tuple[bytes, bytes, bytes, bytes]:
    return fields  # serial, EUI, point, SKI


def sign_tbs(tbs: bytes, issuer_key: PrivateKey) -> tuple[bytes, bytes]:
    """Sign a TBSCertificate; returns ``(certificate DER, signature DER)``."""
    signature = issuer_key.sign(tbs, _DETERMINISTIC_ECDSA)
    bit_string = b"\x03" + bytes([len(signature) + 1, 0]) + signature  # at most 73 octets
    body = b"".join((tbs, SIGNATURE_ALGORITHM_DER, bit_string))
    return b"\x30" + _der.encode_length(len(body)) + body, signature
