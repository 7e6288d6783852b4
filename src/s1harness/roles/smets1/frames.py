"""SMETS1 frames as typed values: decode, encode, seal, verify.

The frame (docs/smets1-instruction-frame.md §2) is one layout for three frame types: an
:class:`Instruction` from an S1SP to a device, and a :class:`DeviceResponse` or
:class:`DeviceAlert` back. Every field has a fixed width except the TLV body, so the encoding
is canonical: ``encode(decode(b)) == b`` for every input :func:`decode` accepts.

Integrity is composed around the codec, not hidden in it: the last 16 octets are
HMAC-SHA256, truncated, over every octet before them, under the 32-octet key the S1SP and the
device share (see :mod:`s1harness.roles.smets1.commissioning`). :func:`seal` writes the tag,
:func:`verify` checks one; :func:`decode` reads the tag but never judges it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, TypeVar

from s1harness.roles.smets1 import _layout
from s1harness.roles.smets1.codes import (
    AlertCode,
    Cohort,
    FrameType,
    InstructionCode,
    ResponseStatus,
    TlvTag,
)
from s1harness.roles.smets1.errors import Smets1CodecError, Smets1IntegrityError
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

KEY_LENGTH = 32
TAG_LENGTH = _layout.TAG_LENGTH
MAX_COUNTER = 2**64 - 1
NO_TAG = bytes(TAG_LENGTH)
"""The integrity tag of a frame that has not been sealed."""


@dataclass(frozen=True, slots=True)
class Tlv:
    """One body field: a tag octet and a value of at most 65535 octets."""

    tag: TlvTag | int
    value: bytes

    def __post_init__(self) -> None:
        _check_range("tlv.tag", self.tag, 0xFF)
        if len(self.value) > _layout.MAX_BODY_LENGTH:
            raise InputError(f"tlv.value: {len(self.value)} octets, at most 65535")
        object.__setattr__(self, "tag", _known(TlvTag, self.tag))


@dataclass(frozen=True, slots=True, kw_only=True)
class Instruction:
    """S1SP → device: one Instruction (the S1SR term).

    Attributes:
        cohort: The S1SP's cohort (IOC, MOC, FOC).
        device_id: The target device.
        sequence: The S1SP's instruction counter for this device, strictly increasing.
        correlation: The counter of the DUIS RequestID the instruction serves.
        code: An :class:`InstructionCode` (an unknown code is kept as an ``int``).
        body: The TLV fields.
        integrity_tag: The 16-octet tag; zeros until :func:`seal`.
    """

    FRAME_TYPE: ClassVar[FrameType] = FrameType.INSTRUCTION
    cohort: Cohort
    device_id: Eui64
    sequence: int
    correlation: int
    code: InstructionCode | int
    body: tuple[Tlv, ...] = ()
    integrity_tag: bytes = field(default=NO_TAG, repr=False)

    def __post_init__(self) -> None:
        _check_header(self, self.correlation)
        object.__setattr__(self, "code", _known(InstructionCode, self.code))


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceResponse:
    """Device → S1SP: the outcome of one instruction.

    Attributes:
        cohort / device_id: As in the instruction answered.
        sequence: The device's outbound counter (shared with its alerts), strictly increasing.
        correlation / code: Echoed from the instruction answered.
        status: What became of the instruction.
        body: The TLV fields (readings, generations, a diagnostic).
        integrity_tag: The 16-octet tag; zeros until :func:`seal`.
    """

    FRAME_TYPE: ClassVar[FrameType] = FrameType.RESPONSE
    cohort: Cohort
    device_id: Eui64
    sequence: int
    correlation: int
    code: InstructionCode | int
    status: ResponseStatus
    body: tuple[Tlv, ...] = ()
    integrity_tag: bytes = field(default=NO_TAG, repr=False)

    def __post_init__(self) -> None:
        _check_header(self, self.correlation)
        object.__setattr__(self, "code", _known(InstructionCode, self.code))
        object.__setattr__(self, "status", _member(ResponseStatus, self.status, "status"))


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceAlert:
    """Device → S1SP: an unsolicited SMETS1 alert. It names no recipient: the S1SP routes it
    to the owner of the certificate in the device's Network Operator slot (docs/contract.md §4).

    Attributes:
        cohort / device_id: The raising device and its cohort.
        sequence: The device's outbound counter (its alert counter), strictly increasing.
        alert_code: The GBCS-style alert code (``GBCSHexAlertCode``), e.g. 0x8F36.
        body: The TLV fields (alert time, outage start and end).
        integrity_tag: The 16-octet tag; zeros until :func:`seal`.
    """

    FRAME_TYPE: ClassVar[FrameType] = FrameType.ALERT
    cohort: Cohort
    device_id: Eui64
    sequence: int
    alert_code: AlertCode | int
    body: tuple[Tlv, ...] = ()
    integrity_tag: bytes = field(default=NO_TAG, repr=False)

    def __post_init__(self) -> None:
        _check_header(self, 0)
        _check_range("alert-code", self.alert_code, 0xFFFF)
        object.__setattr__(self, "alert_code", _known(AlertCode, self.alert_code))


Frame = Instruction | DeviceResponse | DeviceAlert


_E = TypeVar("_E", TlvTag, InstructionCode, AlertCode)


def _known(kind: type[_E], value: int) -> _E | int:
    """The enum member for ``value`` when there is one, else the plain ``int``."""
    try:
        return kind(value)
    except ValueError:
        return int(value)


_M = TypeVar("_M", Cohort, ResponseStatus)


def _member(kind: type[_M], value: int, name: str) -> _M:
    try:
        return kind(value)
    except ValueError:
        raise InputError(f"{name}: {value} is not a {kind.__name__}") from None


def _check_range(name: str, value: int, top: int) -> None:
    if not 0 <= value <= top:
        raise InputError(f"{name}: {value} is outside 0..{top}")


def _check_header(frame: Frame, correlation: int) -> None:
    object.__setattr__(frame, "device_id", Eui64(frame.device_id))
    object.__setattr__(frame, "cohort", _member(Cohort, frame.cohort, "cohort"))
    _check_range("sequence", frame.sequence, MAX_COUNTER)
    _check_range("correlation", correlation, MAX_COUNTER)
    if isinstance(frame, Instruction | DeviceResponse):
        _check_range("code", frame.code, 0xFFFF)
    body = sum(3 + len(tlv.value) for tlv in frame.body)
    if body > _layout.MAX_BODY_LENGTH:
        raise InputError(f"body: {body} octets, at most {_layout.MAX_BODY_LENGTH}")
    if len(frame.integrity_tag) != TAG_LENGTH:
        raise InputError(f"integrity-tag: {len(frame.integrity_tag)} octets, not {TAG_LENGTH}")
    object.__setattr__(frame, "body", tuple(frame.body))


def encode(frame: Frame) -> bytes:
    """The frame's octets, integrity tag included (as held: zeros until sealed).

    Every field was range-checked when the frame was made, so the fixed-width header packs as
    :data:`_layout.Frame` would build it.
    """
    correlation = 0 if isinstance(frame, DeviceAlert) else frame.correlation
    code = frame.alert_code if isinstance(frame, DeviceAlert) else frame.code
    status = frame.status if isinstance(frame, DeviceResponse) else 0
    body = b"".join(
        bytes((int(tlv.tag),)) + len(tlv.value).to_bytes(2, "big") + tlv.value for tlv in frame.body
    )
    header = _layout.HEADER_FORMAT.pack(
        _layout.MAGIC,
        _layout.VERSION,
        int(frame.FRAME_TYPE),
        int(frame.cohort),
        frame.device_id.octets,
        frame.sequence,
        correlation,
        int(code),
        int(status),
        len(body),
    )
    return header + body + frame.integrity_tag


def integrity_tag(unsealed: bytes, key: bytes) -> bytes:
    """HMAC-SHA256 of ``unsealed`` (a frame without its tag) under ``key``, first 16 octets."""
    check_key(key)
    return hmac.new(key, unsealed, hashlib.sha256).digest()[:TAG_LENGTH]


def seal(frame: Frame, key: bytes) -> bytes:
    """The frame's octets with a fresh integrity tag under the device ``key``."""
    unsealed = encode(frame)[:-TAG_LENGTH]
    return unsealed + integrity_tag(unsealed, key)


def verify(data: bytes, key: bytes) -> bool:
    """Whether ``data`` ends with a valid integrity tag under ``key``; never raises on data.

    Only the tag is judged: a frame that verifies may still fail to :func:`decode`.
    """
    check_key(key)
    if len(data) < _layout.MIN_FRAME_LENGTH:
        return False
    expected = integrity_tag(data[:-TAG_LENGTH], key)
    return hmac.compare_digest(expected, data[-TAG_LENGTH:])


def unseal(data: bytes, key: bytes) -> Frame:
    """:func:`verify`, then :func:`decode`: authenticate before parsing.

    Raises:
        Smets1IntegrityError: if the tag does not verify.
        Smets1CodecError: if an authentic frame is malformed.
    """
    if not verify(data, key):
        raise Smets1IntegrityError("integrity tag does not verify under the device key")
    return decode(data)


def check_key(key: bytes) -> None:
    """Raise :class:`~s1harness.spec.errors.InputError` unless ``key`` is 32 octets."""
    if len(key) != KEY_LENGTH:
        raise InputError(f"a SMETS1 device key is {KEY_LENGTH} octets, got {len(key)}")


def decode(data: bytes) -> Frame:
    """Decode one frame of any type (the integrity tag is read, not checked).

    Raises:
        Smets1CodecError: with the field path and byte offset where decoding stopped.
    """
    reader = _Reader(data)
    reader.need(_layout.MIN_FRAME_LENGTH, "header")
    reader.header_constants()
    frame_type = FrameType(reader.member("frame_type", FrameType))
    reader.member("cohort", Cohort)
    body_end = reader.frame_end()
    body = reader.body(_layout.HEADER_LENGTH, body_end)
    header = _Header._make(_layout.HEADER_FORMAT.unpack_from(data))
    return _BUILDERS[frame_type](reader, header, body, data[body_end:])


def _instruction(reader: _Reader, header: _Header, body: tuple[Tlv, ...], tag: bytes) -> Frame:
    reader.zero("status", header.status, "an instruction has no status")
    return Instruction(**_common(header, body, tag), correlation=header.correlation)


def _response(reader: _Reader, header: _Header, body: tuple[Tlv, ...], tag: bytes) -> Frame:
    status = ResponseStatus(reader.member("status", ResponseStatus))
    common = _common(header, body, tag)
    return DeviceResponse(**common, correlation=header.correlation, status=status)


def _alert(reader: _Reader, header: _Header, body: tuple[Tlv, ...], tag: bytes) -> Frame:
    reader.zero("correlation", header.correlation, "an alert answers no request")
    reader.zero("status", header.status, "an alert has no status")
    common = _common(header, body, tag)
    return DeviceAlert(**common, alert_code=header.code)


def _common(header: _Header, body: tuple[Tlv, ...], tag: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cohort": Cohort(header.cohort),
        "device_id": Eui64(header.device_id),
        "sequence": header.sequence,
        "body": body,
        "integrity_tag": tag,
    }
    if header.frame_type != FrameType.ALERT:
        out["code"] = header.code
    return out


class _Header(NamedTuple):
    """The fields of :data:`_layout.Header`, unpacked."""

    magic: bytes
    version: int
    frame_type: int
    cohort: int
    device_id: bytes
    sequence: int
    correlation: int
    code: int
    status: int
    body_length: int


_BUILDERS = {
    FrameType.INSTRUCTION: _instruction,
    FrameType.RESPONSE: _response,
    FrameType.ALERT: _alert,
}


class _Reader:
    """Bounds-checked reads that fail with the field path and the byte offset."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def error(self, at: int, field: str, message: str) -> Smets1CodecError:
        return Smets1CodecError(message, field=f"frame.{field}", offset=at)

    def need(self, end: int, field: str) -> None:
        if end > len(self.data):
            short = end - len(self.data)
            raise self.error(len(self.data), field, f"truncated: needs {short} more octets")

    def header_constants(self) -> None:
        if self.data[:2] != _layout.MAGIC:
            raise self.error(0, "magic", f"{self.data[:2].hex().upper()}, expected 5331 ('S1')")
        if self.data[2] != _layout.VERSION:
            raise self.error(2, "version", f"version {self.data[2]} is not supported (only 1)")

    def member(self, name: str, kind: type[FrameType | Cohort | ResponseStatus]) -> int:
        at = _layout.OFFSETS[name]
        value = self.data[at]
        if value not in {int(member) for member in kind}:
            raise self.error(at, name.replace("_", "-"), f"{value} is not a {kind.__name__}")
        return value

    def zero(self, name: str, value: int, why: str) -> None:
        if value != 0:
            raise self.error(_layout.OFFSETS[name], name, f"{value}, expected 0: {why}")

    def frame_end(self) -> int:
        """Check the announced body length against the input; return where the body ends."""
        at = _layout.OFFSETS["body_length"]
        body_end = _layout.HEADER_LENGTH + int.from_bytes(self.data[at : at + 2], "big")
        self.need(body_end, "body")
        self.need(body_end + TAG_LENGTH, "integrity-tag")
        extra = len(self.data) - body_end - TAG_LENGTH
        if extra:
            raise self.error(body_end + TAG_LENGTH, "end", f"{extra} trailing octets")
        return body_end

    def body(self, at: int, end: int) -> tuple[Tlv, ...]:
        fields: list[Tlv] = []
        while at < end:
            name = f"body[{len(fields)}]"
            if end - at < 3:
                raise self.error(at, name, f"{end - at} octets left, a field needs 3 or more")
            length = int.from_bytes(self.data[at + 1 : at + 3], "big")
            if at + 3 + length > end:
                over = at + 3 + length - end
                raise self.error(at + 1, f"{name}.length", f"{length} overruns the body by {over}")
            fields.append(Tlv(self.data[at], self.data[at + 3 : at + 3 + length]))
            at += 3 + length
        return tuple(fields)
