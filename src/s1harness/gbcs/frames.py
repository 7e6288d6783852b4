"""GBCS frames as typed values: decode, encode, build (GBCS §7.2.5, §7.2.7).

Two frame types carry every GBCS message:

* a bare **General-Signing APDU** (``DF …``): the grouping header, the content and an optional
  signature field — absent in a PRECOMMAND, ``00`` when unsigned, ``40`` + r‖s when signed;
* a **MAC envelope** (``DD 00 …``): a General-Signing APDU wrapped with a 5-octet security
  header and a 12-octet MAC.

Decoded values keep the bytes they came from, and :func:`encode` returns them: signed bytes
are never re-encoded, so ``encode(decode(b)) == b`` for every input :func:`decode` accepts, and
signatures over non-minimal lengths survive. Builders assemble new frames from fields and decode
the result, so a built frame is exactly what a decoder would make of its bytes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from s1harness.gbcs import _frames
from s1harness.gbcs.errors import GbcsCodecError
from s1harness.spec.identifiers import Eui64


class Cra(enum.IntEnum):
    """The CRA flag: what kind of message the APDU carries (GBCS §7.2.7)."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


class SignatureField(enum.StrEnum):
    """How the APDU ends."""

    ABSENT = "absent"
    """No signature field at all: a PRECOMMAND awaiting the remote party's signature."""
    EMPTY = "empty"
    """Signature length ``00``: an unsigned (MAC-only) message."""
    PRESENT = "present"
    """``40`` followed by 64 octets r‖s."""


SIGNATURE_LENGTH = 64
MAC_LENGTH = 12
AUTHENTICATION_ONLY = 0x11
"""Security control: authentication only, no encryption, security suite 1."""
_OTHER_INFORMATION_SIZES = (2, 10, 18, 26)


@dataclass(frozen=True, slots=True)
class OtherInformation:
    """The grouping header's other-information: message code and supplementary fields."""

    message_code: int
    supplementary_remote_party_id: Eui64 | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    supplementary_remote_party_ka_certificate: bytes | None = None

    @classmethod
    def decode(cls, data: bytes) -> OtherInformation:
        """Read the 2-, 10-, 18-, 26-octet or longer (with a KA certificate) form."""
        code = int.from_bytes(data[:2], "big")
        party = Eui64(data[2:10]) if len(data) >= 10 else None
        counter = int.from_bytes(data[10:18], "big") if len(data) >= 18 else None
        originator = int.from_bytes(data[18:26], "big") if len(data) == 26 else None
        certificate = data[18:] if len(data) > 26 else None
        return cls(code, party, counter, originator, certificate)

    def encode(self) -> bytes:
        """The octets of this other-information."""
        out = self.message_code.to_bytes(2, "big")
        if self.supplementary_remote_party_id is not None:
            out += self.supplementary_remote_party_id.octets
        if self.supplementary_remote_party_counter is not None:
            out += self.supplementary_remote_party_counter.to_bytes(8, "big")
        if self.supplementary_originator_counter is not None:
            out += self.supplementary_originator_counter.to_bytes(8, "big")
        if self.supplementary_remote_party_ka_certificate is not None:
            out += self.supplementary_remote_party_ka_certificate
        return out


@dataclass(frozen=True, slots=True)
class GeneralSigningApdu:
    """A General-Signing APDU (tag ``DF``) and the bytes it was decoded from.

    Attributes:
        raw: The APDU exactly as decoded, from ``DF`` to its last octet.
        cra: Command, response or alert.
        counter: The originator counter (a response repeats its command's).
        originator_octets / target_octets: Business Originator and Target IDs (8 octets).
        date_time: The 12-octet DLMS date-time, when present.
        other_information: Message code and supplementary fields, as octets.
        content_start / content_end: Where the content lies in ``raw``; the signed region is
            ``raw[1:content_end]`` (GBCS §6.2.3).
        signature_field: Absent (PRECOMMAND), empty (``00``) or present.
        signature: The 64-octet r‖s, when present.
    """

    raw: bytes
    cra: Cra
    counter: int
    originator_octets: bytes
    target_octets: bytes
    date_time: bytes | None
    other_information: bytes
    content_start: int
    content_end: int
    signature_field: SignatureField
    signature: bytes | None

    @property
    def originator(self) -> Eui64:
        return Eui64(self.originator_octets)

    @property
    def target(self) -> Eui64:
        return Eui64(self.target_octets)

    @property
    def message_code(self) -> int:
        return int.from_bytes(self.other_information[:2], "big")

    @property
    def content(self) -> bytes:
        return self.raw[self.content_start : self.content_end]

    @property
    def signed_region(self) -> bytes:
        """The octets a signature covers: after the ``DF`` tag, up to the last content octet."""
        return self.raw[1 : self.content_end]

    @property
    def unsigned(self) -> bytes:
        """The APDU without its signature field: the PRECOMMAND form."""
        return self.raw[: self.content_end]

    def supplementary(self) -> OtherInformation:
        """The other-information decoded into its fields."""
        return OtherInformation.decode(self.other_information)


@dataclass(frozen=True, slots=True)
class MacEnvelope:
    """A General-Ciphering MAC envelope (``DD 00 …``) around a General-Signing APDU.

    Attributes:
        raw: The envelope exactly as decoded.
        security_control: ``0x11`` (authentication only) in every GBCS MAC envelope.
        invocation_counter: Zero in GBCS.
        apdu: The wrapped General-Signing APDU.
        mac: The 12-octet truncated GMAC tag.
    """

    raw: bytes
    security_control: int
    invocation_counter: int
    apdu: GeneralSigningApdu
    mac: bytes


Frame = GeneralSigningApdu | MacEnvelope


def decode(data: bytes) -> Frame:
    """Decode one frame: a bare General-Signing APDU or a MAC envelope.

    Raises:
        GbcsCodecError: with the field path and byte offset where decoding stopped.
    """
    if not data:
        raise GbcsCodecError("empty input", field="frame", offset=0)
    if data[0] == _frames.GENERAL_SIGNING_TAG:
        return decode_general_signing(data)
    if data[0] == _frames.GENERAL_CIPHERING_TAG:
        if len(data) > 1 and data[1] != 0:
            raise GbcsCodecError(
                "GBT/segmented routing header is not supported (transaction-id is not empty)",
                field="general-ciphering.transaction-id",
                offset=1,
            )
        return decode_mac_envelope(data)
    raise GbcsCodecError(f"unknown frame tag {data[0]:02X}", field="frame.tag", offset=0)


def encode(frame: Frame) -> bytes:
    """The frame's bytes: exactly those it was decoded or built from."""
    return frame.raw


def decode_general_signing(data: bytes, *, base: int = 0) -> GeneralSigningApdu:
    """Decode a bare General-Signing APDU (``base`` offsets errors inside an envelope).

    Hand-written rather than construct-parsed for speed (see :mod:`s1harness.gbcs._frames`,
    whose layout tests hold this decoder to); every read is bounds-checked.
    """
    reader = _Reader(data, base, "general-signing")
    reader.need(30, "header")
    reader.expect(0, _frames.GENERAL_SIGNING_TAG, "tag")
    reader.expect(1, _frames.TRANSACTION_ID_LENGTH, "transaction-id-length")
    cra = data[2]
    if cra not in (1, 2, 3):
        raise reader.error(2, "cra", f"CRA flag {cra} is not 1, 2 or 3")
    reader.expect(11, _frames.SYSTEM_TITLE_LENGTH, "originator-length")
    reader.expect(20, _frames.SYSTEM_TITLE_LENGTH, "target-length")
    date_length = data[29]
    if date_length not in (0, 12):
        raise reader.error(29, "date-time-length", f"{date_length} octets, not 0 or 12")
    reader.need(30 + date_length, "date-time")
    other_start, other_end = reader.ber_field(30 + date_length, "other-information")
    if other_end - other_start not in _OTHER_INFORMATION_SIZES and other_end - other_start <= 26:
        size = other_end - other_start
        raise reader.error(other_start, "other-information", f"{size} octets (2, 10, 18, 26+)")
    content_start, content_end = reader.ber_field(other_end, "content")
    field, signature = _signature(reader, content_end)
    return GeneralSigningApdu(
        raw=data,
        cra=Cra(cra),
        counter=int.from_bytes(data[3:11], "big"),
        originator_octets=data[12:20],
        target_octets=data[21:29],
        date_time=data[30 : 30 + date_length] if date_length else None,
        other_information=data[other_start:other_end],
        content_start=content_start,
        content_end=content_end,
        signature_field=field,
        signature=signature,
    )


def _signature(reader: _Reader, at: int) -> tuple[SignatureField, bytes | None]:
    data = reader.data
    if at == len(data):
        return SignatureField.ABSENT, None
    length = data[at]
    if length not in (0, SIGNATURE_LENGTH):
        raise reader.error(at, "signature-length", f"{length}, expected 0 or 64")
    end = at + 1 + length
    reader.need(end, "signature")
    if end != len(data):
        raise reader.error(end, "end", f"{len(data) - end} trailing octets after the APDU")
    if length == 0:
        return SignatureField.EMPTY, None
    return SignatureField.PRESENT, data[at + 1 : end]


def decode_mac_envelope(data: bytes) -> MacEnvelope:
    """Decode a ``DD 00`` MAC envelope and the APDU inside it."""
    reader = _Reader(data, 0, "general-ciphering")
    reader.need(8, "header")
    reader.expect(0, _frames.GENERAL_CIPHERING_TAG, "tag")
    for offset, name in enumerate(_ENVELOPE_HEADER, start=1):
        reader.expect(offset, 0, name)
    body_start, body_end = reader.ber_field(7, "ciphered-content")
    if body_end != len(data):
        raise reader.error(body_end, "end", f"{len(data) - body_end} trailing octets")
    if body_end - body_start < 5 + MAC_LENGTH + 1:
        raise reader.error(body_start, "ciphered-content", "too short for header, APDU and MAC")
    control = data[body_start]
    if control != AUTHENTICATION_ONLY:
        raise reader.error(body_start, "security-control", f"{control:02X}, not 11 (auth only)")
    apdu_start, apdu_end = body_start + 5, body_end - MAC_LENGTH
    apdu = decode_general_signing(data[apdu_start:apdu_end], base=apdu_start)
    counter = int.from_bytes(data[body_start + 1 : apdu_start], "big")
    return MacEnvelope(data, control, counter, apdu, data[apdu_end:])


_ENVELOPE_HEADER = (
    "transaction-id",
    "originator-system-title",
    "recipient-system-title",
    "date-time",
    "other-information",
    "key-info",
)


class _Reader:
    """Bounds-checked reads that fail with the field path and absolute offset."""

    __slots__ = ("base", "data", "what")

    def __init__(self, data: bytes, base: int, what: str) -> None:
        self.data, self.base, self.what = data, base, what

    def error(self, at: int, field: str, message: str) -> GbcsCodecError:
        return GbcsCodecError(message, field=f"{self.what}.{field}", offset=self.base + at)

    def need(self, end: int, field: str) -> None:
        if end > len(self.data):
            raise self.error(
                len(self.data), field, f"truncated: needs {end - len(self.data)} more octets"
            )

    def expect(self, at: int, value: int, field: str) -> None:
        if self.data[at] != value:
            raise self.error(at, field, f"expected {value:02X}, found {self.data[at]:02X}")

    def ber_field(self, at: int, field: str) -> tuple[int, int]:
        """A BER length at ``at`` and the value it announces: ``(value start, value end)``."""
        self.need(at + 1, f"{field}-length")
        first = self.data[at]
        if first < 0x80:
            start, length = at + 1, first
        elif first in (0x81, 0x82, 0x83):
            start = at + 1 + (first & 0x7F)
            self.need(start, f"{field}-length")
            length = int.from_bytes(self.data[at + 1 : start], "big")
        else:
            raise self.error(at, f"{field}-length", f"BER length form {first:02X} not supported")
        self.need(start + length, field)
        return start, start + length


def _ber(length: int) -> dict[str, int]:
    """Minimal BER length fields for the construct layouts."""
    first = length if length < 0x80 else (0x81, 0x82, 0x83)[(length.bit_length() - 1) // 8]
    return {"first": first, "value": length}


def build_general_signing(
    *,
    cra: Cra,
    counter: int,
    originator: Eui64 | str,
    target: Eui64 | str,
    other_information: OtherInformation | int,
    content: bytes,
    date_time: bytes | None = None,
    signature_field: SignatureField = SignatureField.ABSENT,
    signature: bytes | None = None,
) -> GeneralSigningApdu:
    """Assemble a General-Signing APDU from its fields (lengths in minimal BER).

    ``signature_field`` ABSENT gives a PRECOMMAND, EMPTY an unsigned (``00``) APDU; PRESENT
    needs the 64-octet ``signature`` (use :func:`s1harness.gbcs.crypto.sign_apdu` to make one).
    """
    other = (
        other_information
        if isinstance(other_information, OtherInformation)
        else OtherInformation(other_information)
    ).encode()
    signature_length = {
        SignatureField.ABSENT: None,
        SignatureField.EMPTY: 0,
        SignatureField.PRESENT: SIGNATURE_LENGTH,
    }[signature_field]
    fields = {
        "cra": int(cra),
        "counter": counter,
        "originator": Eui64(originator).octets,
        "target": Eui64(target).octets,
        "date_time": date_time or b"",
        "other_information_length": _ber(len(other)),
        "other_information": other,
        "content_length": _ber(len(content)),
        "content": content,
        "signature_length": signature_length,
        "signature": signature if signature_length else None,
    }
    raw = _written(fields) or _frames.GeneralSigning.build(fields)
    return decode_general_signing(raw)


def _written(fields: dict[str, Any]) -> bytes | None:
    """The octets :data:`_frames.GeneralSigning` builds from ``fields``, written directly.

    Interpreted, the layout costs tens of microseconds a frame, and the DSP builds one per
    critical request. Fields outside what the layout can build give None, so construct builds
    them and raises exactly as it always did; tests hold the two to the same octets.
    """
    counter, date, signature = fields["counter"], fields["date_time"], fields["signature"]
    length = fields["signature_length"]
    if (
        not 0 <= fields["cra"] <= 0xFF
        or not isinstance(counter, int)
        or not 0 <= counter < 1 << 64
        or len(date) > 0xFF
        or (length is not None and (not 0 <= length <= 0xFF or len(signature or b"") != length))
    ):
        return None
    parts = [
        bytes((_frames.GENERAL_SIGNING_TAG, _frames.TRANSACTION_ID_LENGTH, fields["cra"])),
        counter.to_bytes(8, "big"),
        bytes((_frames.SYSTEM_TITLE_LENGTH,)),
        fields["originator"],
        bytes((_frames.SYSTEM_TITLE_LENGTH,)),
        fields["target"],
        bytes((len(date),)),
        date,
        _ber_octets(fields["other_information_length"]),
        fields["other_information"],
        _ber_octets(fields["content_length"]),
        fields["content"],
    ]
    if length is not None:
        parts += [bytes((length,)), signature or b""]
    return b"".join(parts)


def _ber_octets(length: dict[str, int]) -> bytes:
    """A :func:`_ber` length as the layout's ``BerLength`` writes it."""
    first, value = length["first"], length["value"]
    if first < 0x80:
        return bytes((first,))
    return bytes((first,)) + value.to_bytes(first & 0x7F, "big")


def build_mac_envelope(
    apdu: GeneralSigningApdu, mac: bytes, *, invocation_counter: int = 0
) -> MacEnvelope:
    """Wrap ``apdu`` with the authentication-only security header and a 12-octet ``mac``."""
    raw = _frames.MacEnvelope.build(
        {
            "ciphered_length": _ber(5 + len(apdu.raw) + MAC_LENGTH),
            "security_control": AUTHENTICATION_ONLY,
            "invocation_counter": invocation_counter,
            "apdu": apdu.raw,
            "mac": mac,
        }
    )
    return decode_mac_envelope(raw)


_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


def frame_octets(data: bytes) -> bytes:
    """The frame in a file's contents: RTDS-style ASCII hex (whitespace tolerated) or binary.

    Every frame starts ``DF`` or ``DD``, which are not ASCII, so text that is all hex digits
    and whitespace is read as hex and anything else as the binary frame itself.
    """
    compact = b"".join(data.split())
    if compact and len(compact) % 2 == 0 and frozenset(compact) <= _HEX_DIGITS:
        return bytes.fromhex(compact.decode("ascii"))
    return data
