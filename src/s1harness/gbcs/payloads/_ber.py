"""BER element framing for the CS02 payloads, and the length form that devices emit.

Two jobs, both over plain bytes:

* :func:`read_element` and :func:`children` frame the elements of a payload with exact byte
  offsets, so that every framing fault (truncation, an overrunning length, trailing bytes, an
  indefinite or over-long length) is reported where it is. asn1crypto then checks the types.
* :func:`device_lengths` rewrites a freshly built DER tree the way the RTDS devices encode their
  CS02a/b/f/g responses and alerts: every *constructed* element whose length
  is 128..255 gets the non-minimal ``82 00 nn``; lengths below 128 stay one octet, lengths above
  255 need two octets anyway, and primitive elements keep their DER header. It is only ever
  applied to bytes this package has just built, never to decoded (possibly signed) bytes.
"""

from __future__ import annotations

from typing import NamedTuple

from s1harness.gbcs.errors import GbcsCodecError

CONSTRUCTED = 0x20
_MULTI_OCTET_TAG = 0x1F
_INDEFINITE = 0x80
_MAX_LENGTH_OCTETS = 4


class Element(NamedTuple):
    """One BER element: its identifier octet and where it sits in the payload.

    Attributes:
        tag: The identifier octet (class, constructed bit and tag number).
        offset: Offset of the identifier octet.
        start: Offset of the first value octet.
        end: Offset one past the last value octet.
    """

    tag: int
    offset: int
    start: int
    end: int

    @property
    def constructed(self) -> bool:
        return bool(self.tag & CONSTRUCTED)

    @property
    def tag_class(self) -> int:
        """0 universal, 1 application, 2 context-specific, 3 private (X.690 §8.1.2.2)."""
        return self.tag >> 6

    @property
    def tag_number(self) -> int:
        return self.tag & _MULTI_OCTET_TAG


def read_element(data: bytes, offset: int, limit: int, field: str) -> Element:
    """Frame the element at ``offset``, which must end by ``limit`` (X.690 §8.1, definite form).

    Raises:
        GbcsCodecError: on a truncated header, a multi-octet tag (no CS02 type has one), an
            indefinite or over-long length, or a value that runs past ``limit``.
    """
    if offset + 2 > limit:
        raise GbcsCodecError("truncated element header", field=field, offset=offset)
    tag, first = data[offset], data[offset + 1]
    if tag & _MULTI_OCTET_TAG == _MULTI_OCTET_TAG:
        raise GbcsCodecError(f"multi-octet tag {tag:02X} not expected", field=field, offset=offset)
    start, length = offset + 2, first
    if first == _INDEFINITE:
        raise GbcsCodecError("indefinite length not allowed", field=field, offset=offset + 1)
    if first > _INDEFINITE:
        count = first & 0x7F
        if count > _MAX_LENGTH_OCTETS or start + count > limit:
            raise GbcsCodecError("malformed length octets", field=field, offset=offset + 1)
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > limit:
        message = f"element declares {length} octets, {limit - start} remain"
        raise GbcsCodecError(message, field=field, offset=offset)
    return Element(tag, offset, start, start + length)


def read_whole(data: bytes, field: str) -> Element:
    """Frame the one element that must make up the whole of ``data``.

    Raises:
        GbcsCodecError: as :func:`read_element`, or when bytes follow the element.
    """
    element = read_element(data, 0, len(data), field)
    if element.end != len(data):
        extra = len(data) - element.end
        raise GbcsCodecError(f"{extra} trailing octets", field=field, offset=element.end)
    return element


def children(data: bytes, parent: Element, field: str) -> list[Element]:
    """The elements directly inside a constructed element, framed within it."""
    out: list[Element] = []
    offset = parent.start
    while offset < parent.end:
        child = read_element(data, offset, parent.end, f"{field}[{len(out)}]")
        out.append(child)
        offset = child.end
    return out


def device_lengths(der: bytes) -> bytes:
    """Re-encode the constructed lengths of freshly built DER as a device does (GBCS §4.5).

    Args:
        der: One or more complete DER elements built by this package.

    Returns:
        The same tree with every constructed length of 128..255 written ``82 00 nn``.
    """
    out = bytearray()
    _rewrite(der, 0, len(der), out)
    return bytes(out)


def _rewrite(data: bytes, offset: int, limit: int, out: bytearray) -> None:
    while offset < limit:
        element = read_element(data, offset, limit, "device-payload")
        if element.constructed:
            inner = bytearray()
            _rewrite(data, element.start, element.end, inner)
            out += bytes([element.tag]) + _device_length(len(inner)) + inner
        else:
            out += data[offset : element.end]
        offset = element.end


def _device_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x82, 0x00, length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body
