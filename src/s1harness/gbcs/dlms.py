"""DLMS COSEM alert payloads: the Data-Notification a device sends for a DLMS alert.

Used by the ESME alerts the harness routes, notably **ECS80** (message code 0x0067), the supply
outage restore alert 0x8F36 that goes to the Network Operator (RTDS ECS80), and the
Generic Critical Alert 0x1000. Layout:

``0F`` Data-Notification ‖ long-invoke-id-and-priority (4; top octet ``20``, low octets the
alert counter) ‖ date-time (``00``: absent) ‖ structure ``02 nn`` of: alert code
(long-unsigned ``12 hhll``), alert date-time (octet-string ``09 0C`` + 12), then
use-case-specific elements.

The date-time is the 12-octet DLMS date-time (IEC 62056-6-2): year (2), month, day,
day-of-week, hour, minute, second, hundredths, deviation (2), clock status; ``FF``/``8000`` mark
unspecified fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from s1harness.gbcs.errors import GbcsCodecError

DATA_NOTIFICATION = 0x0F
INVOKE_ID_PRIORITY = 0x20000000
OUTAGE_RESTORED = 0x8F36
"""Supply Outage Restored — outage of at least 3 minutes (ECS80)."""

# DLMS data types used in alert payloads, with their fixed value sizes.
_FIXED = {0x03: 1, 0x05: 4, 0x06: 4, 0x0F: 1, 0x10: 2, 0x11: 1, 0x12: 2, 0x16: 1}
_STRUCTURE, _OCTET_STRING, _LONG_UNSIGNED = 0x02, 0x09, 0x12


def encode_date_time(moment: datetime) -> bytes:
    """A DLMS date-time with day-of-week, deviation and status unspecified (as RTDS writes)."""
    return (
        moment.year.to_bytes(2, "big")
        + bytes([moment.month, moment.day, 0xFF, moment.hour, moment.minute, moment.second])
        + bytes([moment.microsecond // 10000])
        + b"\x80\x00\xff"
    )


def decode_date_time(value: bytes, *, offset: int = 0) -> datetime:
    """Read a 12-octet DLMS date-time (unspecified fields must not be the date or time).

    Raises:
        GbcsCodecError: for the wrong length or an impossible date.
    """
    if len(value) != 12:
        raise GbcsCodecError(f"{len(value)} octets, not 12", field="dlms.date-time", offset=offset)
    year = int.from_bytes(value[:2], "big")
    month, day, _, hour, minute, second, hundredths = value[2:9]
    try:
        return datetime(year, month, day, hour, minute, second, hundredths * 10000)
    except ValueError as exc:
        raise GbcsCodecError(str(exc), field="dlms.date-time", offset=offset) from None


@dataclass(frozen=True, slots=True)
class DlmsElement:
    """One further element of an alert structure: its DLMS type tag and value octets."""

    tag: int
    value: bytes

    def encode(self) -> bytes:
        length = bytes([len(self.value)]) if self.tag == _OCTET_STRING else b""
        return bytes([self.tag]) + length + self.value


@dataclass(frozen=True, slots=True)
class DlmsAlert:
    """A DLMS alert Data-Notification.

    Attributes:
        invoke_id: The 4-octet long-invoke-id-and-priority.
        alert_code: E.g. 0x8F36.
        alert_time: The alert date-time (local device time, no zone).
        extra: Further elements: ECS80 carries two date-times (presumably the outage period);
            future-dated alerts an octet-string naming the command.
    """

    invoke_id: int
    alert_code: int
    alert_time: datetime
    extra: tuple[DlmsElement, ...] = ()

    @property
    def alert_counter(self) -> int:
        return self.invoke_id & 0x00FFFFFF

    @property
    def extra_times(self) -> tuple[datetime, ...]:
        """The further elements that are DLMS date-times."""
        return tuple(
            decode_date_time(e.value)
            for e in self.extra
            if e.tag == _OCTET_STRING and len(e.value) == 12
        )

    def encode(self) -> bytes:
        """The Data-Notification octets."""
        code = DlmsElement(_LONG_UNSIGNED, self.alert_code.to_bytes(2, "big"))
        when = DlmsElement(_OCTET_STRING, encode_date_time(self.alert_time))
        elements = (code, when, *self.extra)
        head = bytes([DATA_NOTIFICATION]) + self.invoke_id.to_bytes(4, "big") + b"\x00"
        body = b"".join(e.encode() for e in elements)
        return head + bytes([_STRUCTURE, len(elements)]) + body


def outage_restored_alert(
    alert_counter: int, alert_time: datetime, outage_start: datetime, outage_end: datetime
) -> DlmsAlert:
    """The ECS80 payload an ESME sends its Network Operator when supply is restored."""
    times = tuple(
        DlmsElement(_OCTET_STRING, encode_date_time(t)) for t in (outage_start, outage_end)
    )
    return DlmsAlert(INVOKE_ID_PRIORITY | alert_counter, OUTAGE_RESTORED, alert_time, times)


def decode_dlms_alert(content: bytes) -> DlmsAlert:
    """Decode a DLMS alert Data-Notification.

    Raises:
        GbcsCodecError: naming the element and offset that do not fit.
    """
    if len(content) < 12 or content[0] != DATA_NOTIFICATION:
        raise GbcsCodecError("not a DLMS Data-Notification", field="dlms", offset=0)
    if content[5] != 0x00:
        raise GbcsCodecError("notification date-time present", field="dlms.date-time", offset=5)
    if content[6] != _STRUCTURE:
        raise GbcsCodecError("expected a structure", field="dlms.body", offset=6)
    count, position = content[7], 8
    values: list[tuple[int, bytes, int]] = []
    for _ in range(count):
        tag, value, start = *_element(content, position), position
        values.append((tag, value, start))
        position = start + 1 + (1 if tag == _OCTET_STRING else 0) + len(value)
    if position != len(content):
        raise GbcsCodecError("trailing octets", field="dlms.body", offset=position)
    return _alert(int.from_bytes(content[1:5], "big"), values)


def _element(content: bytes, at: int) -> tuple[int, bytes]:
    tag = content[at] if at < len(content) else -1
    if tag == _OCTET_STRING and at + 1 < len(content):
        size, start = content[at + 1], at + 2
    elif tag in _FIXED:
        size, start = _FIXED[tag], at + 1
    else:
        raise GbcsCodecError(
            f"unsupported DLMS element {tag:#04x}", field="dlms.element", offset=at
        )
    if start + size > len(content):
        raise GbcsCodecError("element truncated", field="dlms.element", offset=at)
    return tag, content[start : start + size]


def _alert(invoke_id: int, values: list[tuple[int, bytes, int]]) -> DlmsAlert:
    if len(values) < 2 or values[0][0] != _LONG_UNSIGNED or values[1][0] != _OCTET_STRING:
        raise GbcsCodecError("expected alert code then date-time", field="dlms.body", offset=8)
    alert_time = decode_date_time(values[1][1], offset=values[1][2] + 2)
    extra = tuple(DlmsElement(tag, value) for tag, value, _ in values[2:])
    return DlmsAlert(invoke_id, int.from_bytes(values[0][1], "big"), alert_time, extra)
