"""Declarative layouts of the two GBCS frame types (private; see :mod:`s1harness.gbcs.frames`).

General-Signing APDU (tag ``DF``, GBCS §7.2.7 grouping header) and the General-Ciphering MAC
envelope (``DD 00 …``, GBCS §7.2.5), as the RTDS frames lay them out.

These layouts build the MAC envelopes the harness emits, and tests parse every vector and
every fuzzed input with them to check the decoder of :mod:`s1harness.gbcs.frames`, and build
frames with them to check its General-Signing builder. They are neither the decoder nor that
builder: interpreted, they cost about 23 µs a frame to parse and more to build (the signature
verification a frame is decoded for costs about 50 µs), and construct's compiled parser does
not check that a ``Bytes`` field was read in full, so it accepts truncated frames. The signed
region is marked with ``Tell`` (``frame[signed_start:content_end]``), the bytes ``RawCopy``
would capture.
"""

from __future__ import annotations

from construct import (
    Byte,
    Bytes,
    Computed,
    Const,
    Error,
    GreedyBytes,
    If,
    IfThenElse,
    Int16ub,
    Int24ub,
    Int32ub,
    Int64ub,
    Optional,
    Prefixed,
    Struct,
    Switch,
    Tell,
    Terminated,
    this,
)

# BER definite length: one octet below 0x80, or 81/82/83 and that many octets. Devices emit the
# non-minimal 82 00 nn (RTDS responses), so a value is read as given, never required minimal.
BerLength = Struct(
    "first" / Byte,
    "value"
    / Switch(
        this.first,
        {0x81: Byte, 0x82: Int16ub, 0x83: Int24ub},
        default=IfThenElse(this.first < 0x80, Computed(this.first), Error),
    ),
)

GENERAL_SIGNING_TAG = 0xDF
GENERAL_CIPHERING_TAG = 0xDD
TRANSACTION_ID_LENGTH = 9
SYSTEM_TITLE_LENGTH = 8

GeneralSigning = Struct(
    "tag" / Const(bytes([GENERAL_SIGNING_TAG])),
    "signed_start" / Tell,
    "transaction_id_length" / Const(bytes([TRANSACTION_ID_LENGTH])),
    "cra" / Byte,
    "counter" / Int64ub,
    "originator_length" / Const(bytes([SYSTEM_TITLE_LENGTH])),
    "originator" / Bytes(SYSTEM_TITLE_LENGTH),
    "target_length" / Const(bytes([SYSTEM_TITLE_LENGTH])),
    "target" / Bytes(SYSTEM_TITLE_LENGTH),
    "date_time" / Prefixed(Byte, GreedyBytes),
    "other_information_length" / BerLength,
    "other_information" / Bytes(this.other_information_length.value),
    "content_length" / BerLength,
    "content_start" / Tell,
    "content" / Bytes(this.content_length.value),
    "content_end" / Tell,
    # Absent in a PRECOMMAND, 00 when unsigned, 40 followed by r‖s when signed.
    "signature_length" / Optional(Byte),
    "signature" / If(this.signature_length, Bytes(this.signature_length)),
    Terminated,
)
"""A General-Signing APDU that is the whole input (no trailing bytes)."""

MacEnvelope = Struct(
    "tag" / Const(bytes([GENERAL_CIPHERING_TAG])),
    # transaction-id, originator and recipient system titles, date-time, other-information and
    # key-info: all empty or absent in every GBCS MAC envelope.
    "empty_header" / Const(bytes(6)),
    "ciphered_length" / BerLength,
    "security_control" / Byte,
    "invocation_counter" / Int32ub,
    "apdu_start" / Tell,
    "apdu" / Bytes(this.ciphered_length.value - 17),
    "mac" / Bytes(12),
    Terminated,
)
"""A General-Ciphering envelope with a 5-octet security header and a 12-octet MAC."""
