"""Declarative layout of the SMETS1 frame (private; see :mod:`s1harness.roles.smets1.frames`).

One layout carries all three frame types (docs/smets1-instruction-frame.md §2): a 34-octet
fixed header, a TLV body prefixed by its 2-octet length, and a 16-octet integrity tag over
everything before it. :mod:`s1harness.roles.smets1.frames` packs and unpacks the fixed header
with :data:`HEADER_FORMAT`, the same fields as :data:`Header` (interpreted, construct costs
tens of microseconds a frame, and every instruction and answer is one), after checking each
field by hand when decoding, so that an error names its field and byte offset (construct
reports neither for a truncated ``Bytes``); the tests parse every valid frame with
:data:`Frame` to hold the two together.
"""

from __future__ import annotations

import struct

from construct import (
    Bytes,
    Const,
    GreedyBytes,
    GreedyRange,
    Int8ub,
    Int16ub,
    Int64ub,
    Prefixed,
    Struct,
    Terminated,
)

MAGIC = b"S1"
VERSION = 1
TAG_LENGTH = 16
"""HMAC-SHA256 truncated to its first 16 octets."""
DEVICE_ID_LENGTH = 8
MAX_BODY_LENGTH = 0xFFFF

Header = Struct(
    "magic" / Const(MAGIC),
    "version" / Const(VERSION, Int8ub),
    "frame_type" / Int8ub,
    "cohort" / Int8ub,
    "device_id" / Bytes(DEVICE_ID_LENGTH),
    "sequence" / Int64ub,
    "correlation" / Int64ub,
    "code" / Int16ub,
    "status" / Int8ub,
    "body_length" / Int16ub,
)
"""The fixed header, up to and including the body length."""

HEADER_FORMAT = struct.Struct(">2sBBB8sQQHBH")
""":data:`Header` field for field, as a :mod:`struct` format."""

Tlv = Struct(
    "tag" / Int8ub,
    "value" / Prefixed(Int16ub, GreedyBytes),
)
"""One body field: tag (1), length (2), value."""

Frame = Struct(
    "magic" / Const(MAGIC),
    "version" / Const(VERSION, Int8ub),
    "frame_type" / Int8ub,
    "cohort" / Int8ub,
    "device_id" / Bytes(DEVICE_ID_LENGTH),
    "sequence" / Int64ub,
    "correlation" / Int64ub,
    "code" / Int16ub,
    "status" / Int8ub,
    "body" / Prefixed(Int16ub, GreedyRange(Tlv)),
    "integrity_tag" / Bytes(TAG_LENGTH),
    Terminated,
)
"""A whole frame that is the whole input (no trailing octets)."""


def _offsets() -> dict[str, int]:
    """Where each header field starts, from the sizes of the :data:`Header` subcons."""
    out, at = {}, 0
    for subcon in Header.subcons:
        out[subcon.name] = at
        at += subcon.sizeof()
    out["body"] = at
    return out


OFFSETS = _offsets()
"""Byte offset of each header field and of the body (docs table §2)."""
HEADER_LENGTH = OFFSETS["body"]
MIN_FRAME_LENGTH = HEADER_LENGTH + TAG_LENGTH
