"""Typed frame bodies: what each instruction, response and alert carries in its TLV list.

Each body type turns itself into TLVs (``to_body``) and reads itself back (``from_body``),
strictly: a missing, repeated, unexpected or misstated field is a
:class:`~s1harness.roles.smets1.errors.Smets1CodecError` naming the field and its byte offset
in the frame. Times are whole seconds since 1970-01-01T00:00:00Z; sub-second parts are dropped
and naive datetimes are taken as UTC (docs/smets1-instruction-frame.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from s1harness.roles.smets1 import _layout
from s1harness.roles.smets1.codes import DeviceType, SupplyState, TlvTag
from s1harness.roles.smets1.errors import Smets1CodecError
from s1harness.roles.smets1.frames import Tlv
from s1harness.spec.errors import InputError
from s1harness.spec.roles import RemotePartyRole

SLOT_ROLES = frozenset({RemotePartyRole.SUPPLIER, RemotePartyRole.NETWORK_OPERATOR})
"""The roles whose credentials an S1SP holds for a SMETS1 device (its virtual anchor slots)."""
MAX_SERIAL_OCTETS = 20
MAX_ISSUER_CN = 64
MAX_DIAGNOSTIC = 250


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def time_tlv(tag: TlvTag, moment: datetime) -> Tlv:
    """A time field: whole seconds since the epoch, 8 octets."""
    seconds = int(as_utc(moment).timestamp())
    if seconds < 0:
        raise InputError(f"{tag.name}: {moment.isoformat()} is before 1970")
    return Tlv(tag, seconds.to_bytes(8, "big"))


def uint_tlv(tag: TlvTag, value: int, size: int) -> Tlv:
    """An unsigned big-endian field of ``size`` octets."""
    if not 0 <= value < 1 << (8 * size):
        raise InputError(f"{tag.name}: {value} does not fit {size} octets")
    return Tlv(tag, value.to_bytes(size, "big"))


def diagnostic_tlv(text: str) -> Tlv:
    """Why an instruction was refused, cut to 250 octets of UTF-8."""
    return Tlv(TlvTag.DIAGNOSTIC, text.encode()[:MAX_DIAGNOSTIC])


class Fields:
    """The TLVs of one body by tag, each with its frame offset, for strict typed reads."""

    __slots__ = ("_end", "_fields")

    def __init__(self, body: tuple[Tlv, ...], allowed: frozenset[TlvTag]) -> None:
        self._fields: dict[int, tuple[bytes, int]] = {}
        at = _layout.HEADER_LENGTH
        for tlv in body:
            if tlv.tag not in allowed or tlv.tag in self._fields:
                why = "repeated" if tlv.tag in self._fields else "not expected in this body"
                raise Smets1CodecError(why, field=f"body.{_name(tlv.tag)}", offset=at)
            self._fields[tlv.tag] = (tlv.value, at + 3)
            at += 3 + len(tlv.value)
        self._end = at

    def has(self, tag: TlvTag) -> bool:
        return tag in self._fields

    def raw(self, tag: TlvTag, sizes: range) -> bytes:
        """The value of a required field whose length must lie in ``sizes``."""
        if tag not in self._fields:
            raise Smets1CodecError("missing", field=f"body.{_name(tag)}", offset=self._end)
        value = self._fields[tag][0]
        if len(value) not in sizes:
            want = f"{sizes.start}..{sizes.stop - 1}"
            raise self.error(tag, f"{len(value)} octets, expected {want}")
        return value

    def uint(self, tag: TlvTag, size: int) -> int:
        return int.from_bytes(self.raw(tag, range(size, size + 1)), "big")

    def time(self, tag: TlvTag) -> datetime:
        seconds = self.uint(tag, 8)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise self.error(tag, f"{seconds} seconds is beyond the calendar") from None

    def text(self, tag: TlvTag, top: int) -> str:
        try:
            return self.raw(tag, range(1, top + 1)).decode()
        except UnicodeDecodeError as exc:
            raise self.error(tag, f"not UTF-8 ({exc.reason})") from None

    def error(self, tag: TlvTag, message: str) -> Smets1CodecError:
        at = self._fields[tag][1] if tag in self._fields else self._end
        return Smets1CodecError(message, field=f"body.{_name(tag)}", offset=at)


def no_fields(body: tuple[Tlv, ...]) -> None:
    """Check that the body of an instruction that takes no fields is empty."""
    Fields(body, frozenset())


def _name(tag: int) -> str:
    try:
        return TlvTag(tag).name.lower().replace("_", "-")
    except ValueError:
        return f"tag-{tag:02X}"


@dataclass(frozen=True, slots=True)
class CertificateId:
    """An Organisation Certificate's ID: serial number and issuer X520 CommonName (S1SR)."""

    serial: int
    issuer_cn: str

    def __post_init__(self) -> None:
        if not 0 < self.serial < 1 << (8 * MAX_SERIAL_OCTETS):
            raise InputError(f"certificate serial {self.serial} is not 1..20 octets, positive")
        if not 0 < len(self.issuer_cn.encode()) <= MAX_ISSUER_CN:
            raise InputError(f"issuer CN {self.issuer_cn!r} is not 1..64 octets")

    def tlvs(self, serial_tag: TlvTag, issuer_tag: TlvTag) -> tuple[Tlv, Tlv]:
        serial = self.serial.to_bytes((self.serial.bit_length() + 7) // 8, "big")
        return Tlv(serial_tag, serial), Tlv(issuer_tag, self.issuer_cn.encode())

    @classmethod
    def read(cls, fields: Fields, serial_tag: TlvTag, issuer_tag: TlvTag) -> CertificateId:
        serial = int.from_bytes(fields.raw(serial_tag, range(1, MAX_SERIAL_OCTETS + 1)), "big")
        if serial == 0:
            raise fields.error(serial_tag, "a certificate serial is positive")
        return cls(serial, fields.text(issuer_tag, MAX_ISSUER_CN))


_CREDENTIAL_TAGS = frozenset(
    {
        TlvTag.ROLE,
        TlvTag.CRITICAL_CERTIFICATE_SERIAL,
        TlvTag.CRITICAL_CERTIFICATE_ISSUER,
        TlvTag.NON_CRITICAL_CERTIFICATE_SERIAL,
        TlvTag.NON_CRITICAL_CERTIFICATE_ISSUER,
    }
)
_CRITICAL = (TlvTag.CRITICAL_CERTIFICATE_SERIAL, TlvTag.CRITICAL_CERTIFICATE_ISSUER)
_NON_CRITICAL = (TlvTag.NON_CRITICAL_CERTIFICATE_SERIAL, TlvTag.NON_CRITICAL_CERTIFICATE_ISSUER)


@dataclass(frozen=True, slots=True)
class CredentialUpdate:
    """UPDATE_SECURITY_CREDENTIALS: the new Certificate IDs behind a role's slots.

    Attributes:
        role: Supplier or Network Operator (the roles with S1SP slots).
        critical: The new Notified Critical Certificate ID (the DS certificate), if replaced.
        non_critical: The new Notified Non-Critical Certificate ID (KA), if replaced.
    """

    role: RemotePartyRole
    critical: CertificateId | None = None
    non_critical: CertificateId | None = None

    def __post_init__(self) -> None:
        if self.role not in SLOT_ROLES:
            raise InputError(f"{self.role.name}: a SMETS1 device has no slot for this role")
        if self.critical is None and self.non_critical is None:
            raise InputError("a credential update replaces at least one Certificate ID")

    def to_body(self) -> tuple[Tlv, ...]:
        out = [uint_tlv(TlvTag.ROLE, self.role, 1)]
        if self.critical is not None:
            out.extend(self.critical.tlvs(*_CRITICAL))
        if self.non_critical is not None:
            out.extend(self.non_critical.tlvs(*_NON_CRITICAL))
        return tuple(out)

    @classmethod
    def from_body(cls, body: tuple[Tlv, ...]) -> CredentialUpdate:
        fields = Fields(body, _CREDENTIAL_TAGS)
        role = fields.uint(TlvTag.ROLE, 1)
        if role not in SLOT_ROLES:
            raise fields.error(TlvTag.ROLE, f"role {role} has no slot on a SMETS1 device")
        critical = _certificate(fields, *_CRITICAL)
        non_critical = _certificate(fields, *_NON_CRITICAL)
        if critical is None and non_critical is None:
            raise fields.error(TlvTag.ROLE, "no Certificate ID to record")
        return cls(RemotePartyRole(role), critical, non_critical)


def _certificate(fields: Fields, serial: TlvTag, issuer: TlvTag) -> CertificateId | None:
    if not fields.has(serial) and not fields.has(issuer):
        return None
    return CertificateId.read(fields, serial, issuer)


@dataclass(frozen=True, slots=True)
class CredentialsRecorded:
    """The OK response to UPDATE_SECURITY_CREDENTIALS: the role and its new generation."""

    role: RemotePartyRole
    generation: int

    def to_body(self) -> tuple[Tlv, ...]:
        role = uint_tlv(TlvTag.ROLE, self.role, 1)
        return role, uint_tlv(TlvTag.CREDENTIAL_GENERATION, self.generation, 4)

    @classmethod
    def from_body(cls, body: tuple[Tlv, ...]) -> CredentialsRecorded:
        fields = Fields(body, frozenset({TlvTag.ROLE, TlvTag.CREDENTIAL_GENERATION}))
        role = fields.uint(TlvTag.ROLE, 1)
        if role not in SLOT_ROLES:
            raise fields.error(TlvTag.ROLE, f"role {role} has no slot on a SMETS1 device")
        return cls(RemotePartyRole(role), fields.uint(TlvTag.CREDENTIAL_GENERATION, 4))


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """The OK response to JOIN and PING: the device type and clock."""

    device_type: DeviceType
    device_time: datetime

    def to_body(self) -> tuple[Tlv, ...]:
        kind = uint_tlv(TlvTag.DEVICE_TYPE, self.device_type, 1)
        return kind, time_tlv(TlvTag.DEVICE_TIME, self.device_time)

    @classmethod
    def from_body(cls, body: tuple[Tlv, ...]) -> DeviceStatus:
        fields = Fields(body, frozenset({TlvTag.DEVICE_TYPE, TlvTag.DEVICE_TIME}))
        kind = fields.uint(TlvTag.DEVICE_TYPE, 1)
        if kind not in {int(t) for t in DeviceType}:
            raise fields.error(TlvTag.DEVICE_TYPE, f"{kind} is not a DeviceType")
        return cls(DeviceType(kind), fields.time(TlvTag.DEVICE_TIME))


@dataclass(frozen=True, slots=True)
class ImportReading:
    """The OK response to READ_INSTANTANEOUS_IMPORT: the import register and when it was read."""

    register_wh: int
    read_at: datetime

    def to_body(self) -> tuple[Tlv, ...]:
        register = uint_tlv(TlvTag.IMPORT_REGISTER, self.register_wh, 8)
        return register, time_tlv(TlvTag.DEVICE_TIME, self.read_at)

    @classmethod
    def from_body(cls, body: tuple[Tlv, ...]) -> ImportReading:
        fields = Fields(body, frozenset({TlvTag.IMPORT_REGISTER, TlvTag.DEVICE_TIME}))
        return cls(fields.uint(TlvTag.IMPORT_REGISTER, 8), fields.time(TlvTag.DEVICE_TIME))


@dataclass(frozen=True, slots=True)
class SupplyReport:
    """The OK response to DISCONNECT_SUPPLY / RECONNECT_SUPPLY: the load switch state."""

    supply: SupplyState

    def to_body(self) -> tuple[Tlv, ...]:
        return (uint_tlv(TlvTag.SUPPLY_STATE, self.supply, 1),)

    @classmethod
    def from_body(cls, body: tuple[Tlv, ...]) -> SupplyReport:
        fields = Fields(body, frozenset({TlvTag.SUPPLY_STATE}))
        state = fields.uint(TlvTag.SUPPLY_STATE, 1)
        if state not in {int(s) for s in SupplyState}:
            raise fields.error(TlvTag.SUPPLY_STATE, f"{state} is not a SupplyState")
        return cls(SupplyState(state))


_OUTAGE_TAGS = frozenset({TlvTag.ALERT_TIME, TlvTag.OUTAGE_START, TlvTag.OUTAGE_END})


@dataclass(frozen=True, slots=True)
class OutageAlert:
    """The body of an outage alert: 8F57 carries the start; 8F35/8F36 the start and end.

    Attributes:
        alert_time: When the device raised the alert (DUIS ``Timestamp``).
        outage_start: When the supply was lost.
        outage_end: When it came back (restoration alerts only).
    """

    alert_time: datetime
    outage_start: datetime
    outage_end: datetime | None = None

    @property
    def duration(self) -> timedelta | None:
        """How long the outage lasted, once it is over."""
        return None if self.outage_end is None else self.outage_end - self.outage_start

    def to_body(self) -> tuple[Tlv, ...]:
        out = [time_tlv(TlvTag.ALERT_TIME, self.alert_time)]
        out.append(time_tlv(TlvTag.OUTAGE_START, self.outage_start))
        if self.outage_end is not None:
            out.append(time_tlv(TlvTag.OUTAGE_END, self.outage_end))
        return tuple(out)

    @classmethod
    def from_body(cls, body: tuple[Tlv, ...]) -> OutageAlert:
        fields = Fields(body, _OUTAGE_TAGS)
        start = fields.time(TlvTag.OUTAGE_START)
        end = fields.time(TlvTag.OUTAGE_END) if fields.has(TlvTag.OUTAGE_END) else None
        if end is not None and end < start:
            raise fields.error(TlvTag.OUTAGE_END, "the outage ends before it starts")
        return cls(fields.time(TlvTag.ALERT_TIME), start, end)


def diagnostic(body: tuple[Tlv, ...]) -> str | None:
    """The DIAGNOSTIC text of a refusal, if the body has one (undecodable octets replaced)."""
    for tlv in body:
        if tlv.tag == TlvTag.DIAGNOSTIC:
            return tlv.value.decode(errors="replace")
    return None
