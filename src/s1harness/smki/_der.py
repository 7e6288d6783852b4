"""Minimal DER reading and writing for the fixed-shape SMKI structures.

Only single-octet tags occur in X.509; lengths follow X.690 §8.1.3 (definite form). Errors
carry the byte offset at which the structure stopped making sense.
"""

from __future__ import annotations

from typing import NamedTuple

from s1harness.smki.errors import CertificateParseError


class Tlv(NamedTuple):
    """One DER element: its tag, where its value starts and where the element ends."""

    tag: int
    start: int
    end: int

    def value(self, data: bytes) -> bytes:
        """The value octets of this element within ``data``."""
        return data[self.start : self.end]


def read_tlv(data: bytes, offset: int = 0) -> Tlv:
    """Read the element at ``offset``.

    Raises:
        CertificateParseError: when the header or the declared length runs past the data.
    """
    if offset + 2 > len(data):
        raise CertificateParseError(f"DER truncated at offset {offset}: no room for a header")
    tag, first = data[offset], data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateParseError(f"DER length at offset {offset + 1} is malformed")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise CertificateParseError(
            f"DER truncated at offset {offset}: element declares {length} octets, "
            f"{len(data) - pos} remain"
        )
    return Tlv(tag, pos, end)


def children(data: bytes, tlv: Tlv) -> list[Tlv]:
    """The elements directly inside a constructed element."""
    out: list[Tlv] = []
    pos = tlv.start
    while pos < tlv.end:
        child = read_tlv(data, pos)
        if child.end > tlv.end:
            raise CertificateParseError(f"DER element at offset {pos} overruns its parent")
        out.append(child)
        pos = child.end
    return out


def encode_length(length: int) -> bytes:
    """The definite-form length octets for ``length``."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one element."""
    return bytes([tag]) + encode_length(len(value)) + value
