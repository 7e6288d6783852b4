"""The MMC (``ra:``, DUIS 5.4 MMC schema) parts of a SMETS1 Response.

MMC 5.4 ``ra:HeaderType``, ``ra:ResponsePayload`` with ``SMETSData/UpdateSecurityCredentialsKRPRsp``
modelled (other ``SMETSData`` choices and ``DebugInfo`` pass through), and
``ra:DeviceAlertMessageType`` with its ``DeviceAlertContent``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.common import (
    MAX_COUNTER,
    GenericContent,
    check_aware,
    check_range,
    normal_hex,
)
from s1harness.duis.messages.mmc_outcome import (
    ExecutionOutcome,
    read_execution_outcome,
    write_execution_outcome,
)
from s1harness.duis.ns import ra
from s1harness.spec import Eui64, InputError

_UNBOUNDED = 10**40
"""``xs:integer`` has no bound; this keeps the numbers finite."""
_FORMATS = frozenset({"plain", "encrypted"})
_DATA_TYPES = frozenset({"gbcs", "dlms", "zigbeePlain", "zigbeeCiphered"})


class ClockStatus(enum.StrEnum):
    """``ra:HeaderType/Timestamp/@ClockStatus``."""

    RELIABLE = "reliable"
    INVALID = "invalid"
    UNRELIABLE = "unreliable"


@dataclass(frozen=True)
class SMETS1Timestamp:
    """``ra:HeaderType/Timestamp`` with its optional attributes."""

    value: datetime
    is_from_gsme: bool | None = None
    clock_status: ClockStatus | None = None

    def __post_init__(self) -> None:
        check_aware("Timestamp", self.value)
        if self.clock_status is not None:
            object.__setattr__(self, "clock_status", ClockStatus(self.clock_status))


@dataclass(frozen=True, kw_only=True)
class SMETS1Header:
    """MMC 5.4 ``ra:HeaderType``: originator = the device, target = the User."""

    business_originator_id: Eui64
    business_target_id: Eui64
    originator_counter: int
    supplementary_remote_party_id: Eui64 | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    gbcs_hexadecimal_message_code: str | None = None
    service_reference: str | None = None
    service_reference_variant: str | None = None
    timestamp: SMETS1Timestamp | None = None

    def __post_init__(self) -> None:
        for name in ("business_originator_id", "business_target_id"):
            object.__setattr__(self, name, Eui64(getattr(self, name)))
        if self.supplementary_remote_party_id is not None:
            eui = Eui64(self.supplementary_remote_party_id)
            object.__setattr__(self, "supplementary_remote_party_id", eui)
        code = self.gbcs_hexadecimal_message_code
        if code is not None:
            code = normal_hex("GBCSHexadecimalMessageCode", code)
            object.__setattr__(self, "gbcs_hexadecimal_message_code", code)
        for name in _COUNTERS:
            check_range(name, getattr(self, name), 0, MAX_COUNTER)


_COUNTERS = (
    "originator_counter",
    "supplementary_remote_party_counter",
    "supplementary_originator_counter",
)


@dataclass(frozen=True)
class GbcsData:
    """MMC ``ra:GBCSData``: raw GBCS (or DLMS / ZigBee) data with its attributes."""

    payload: bytes
    format: str
    sequence: int
    name: str
    type: str

    def __post_init__(self) -> None:
        if self.format not in _FORMATS or self.type not in _DATA_TYPES:
            raise InputError(f"GBCSData format/type not allowed: {self.format!r}/{self.type!r}")
        check_range("GBCSData sequence", self.sequence, 0, _UNBOUNDED)


@dataclass(frozen=True)
class UpdateSecurityCredentialsKRPRsp:
    """MMC ``SMETSData/UpdateSecurityCredentialsKRPRsp`` (SR 6.15.1).

    ``execution_outcome`` is absent when the command was sent for future-dated processing.
    """

    message_success: bool | None = None
    execution_outcome: ExecutionOutcome | None = None


@dataclass(frozen=True)
class SMETS1ResponsePayload:
    """MMC ``ra:ResponsePayload`` as a SMETS1 Response body (``Body/ResponseMessage``).

    Attributes:
        gbcs_data: ``GBCSData`` elements (0..100).
        smets_data: The ``SMETSData`` choice: the 6.15.1 result typed, any other kept.
        debug_info: ``DebugInfo`` (``SMETS1Debug`` for SMETS1), kept as is.
    """

    gbcs_data: tuple[GbcsData, ...] = ()
    smets_data: UpdateSecurityCredentialsKRPRsp | GenericContent | None = None
    debug_info: GenericContent | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gbcs_data", tuple(self.gbcs_data))


@dataclass(frozen=True)
class DeviceAlertContent:
    """MMC ``ra:DeviceAlertContentType``.

    Attributes:
        alert_description: At most 250 characters.
        timestamp: ``Timestamp``.
        gbcs_hex_alert_code: ``GBCSHexAlertCode``, the SMETS1 "Alert Code" (``8F36``).
        payload: The ``Payload`` choice, kept as is.
    """

    alert_description: str
    timestamp: datetime
    gbcs_hex_alert_code: str | None = None
    payload: GenericContent | None = None

    def __post_init__(self) -> None:
        if len(self.alert_description) > 250:
            raise InputError("AlertDescription is at most 250 characters")
        check_aware("Timestamp", self.timestamp)
        if self.gbcs_hex_alert_code is not None:
            code = normal_hex("GBCSHexAlertCode", self.gbcs_hex_alert_code)
            object.__setattr__(self, "gbcs_hex_alert_code", code)


@dataclass(frozen=True)
class SMETS1DeviceAlertMessage:
    """MMC ``ra:DeviceAlertMessageType`` as a SMETS1 Response body (``Body/DeviceAlertMessage``)."""

    gbcs_data: tuple[GbcsData, ...] = ()
    content: DeviceAlertContent | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gbcs_data", tuple(self.gbcs_data))


def write_header(element: etree._Element, header: SMETS1Header) -> None:
    """Fill an ``ra:HeaderType`` element."""
    x.add(element, ra("BusinessOriginatorID"), header.business_originator_id.duis)
    x.add(element, ra("BusinessTargetID"), header.business_target_id.duis)
    x.add(element, ra("OriginatorCounter"), str(header.originator_counter))
    party = header.supplementary_remote_party_id
    x.add_optional(element, ra("SupplementaryRemotePartyID"), None if party is None else party.duis)
    for name, value in (
        ("SupplementaryRemotePartyCounter", header.supplementary_remote_party_counter),
        ("SupplementaryOriginatorCounter", header.supplementary_originator_counter),
        ("GBCSHexadecimalMessageCode", header.gbcs_hexadecimal_message_code),
        ("ServiceReference", header.service_reference),
        ("ServiceReferenceVariant", header.service_reference_variant),
    ):
        x.add_optional(element, ra(name), x.optional_str(value))
    if header.timestamp is not None:
        _write_timestamp(x.add(element, ra("Timestamp")), header.timestamp)


def read_header(element: etree._Element) -> SMETS1Header:
    """Read an ``ra:HeaderType`` element."""
    children = x.Children(element)
    originator = x.eui(children.required(ra("BusinessOriginatorID")))
    target = x.eui(children.required(ra("BusinessTargetID")))
    counter = x.integer(children.required(ra("OriginatorCounter")), 0, MAX_COUNTER)
    # Keyword arguments are evaluated in order, which is the XSD sequence order.
    header = SMETS1Header(
        business_originator_id=originator,
        business_target_id=target,
        originator_counter=counter,
        supplementary_remote_party_id=children.maybe(ra("SupplementaryRemotePartyID"), x.eui),
        supplementary_remote_party_counter=children.maybe(
            ra("SupplementaryRemotePartyCounter"), x.integer, 0, MAX_COUNTER
        ),
        supplementary_originator_counter=children.maybe(
            ra("SupplementaryOriginatorCounter"), x.integer, 0, MAX_COUNTER
        ),
        gbcs_hexadecimal_message_code=children.maybe(ra("GBCSHexadecimalMessageCode"), x.hex_code),
        service_reference=children.maybe(ra("ServiceReference"), x.token),
        service_reference_variant=children.maybe(ra("ServiceReferenceVariant"), x.token),
        timestamp=children.maybe(ra("Timestamp"), _read_timestamp),
    )
    children.end()
    return header


def _write_timestamp(element: etree._Element, timestamp: SMETS1Timestamp) -> None:
    element.text = x.format_date_time(timestamp.value)
    if timestamp.is_from_gsme is not None:
        element.set("isFromGSME", x.format_boolean(timestamp.is_from_gsme))
    if timestamp.clock_status is not None:
        element.set("ClockStatus", timestamp.clock_status.value)


def _read_timestamp(element: etree._Element) -> SMETS1Timestamp:
    gsme = x.attribute(element, "isFromGSME")
    status = x.attribute(element, "ClockStatus")
    with x.located(element):
        return SMETS1Timestamp(
            x.date_time(element),
            None if gsme is None else x.parse_boolean(gsme),
            None if status is None else ClockStatus(status),
        )


def write_gbcs_data(parent: etree._Element, items: tuple[GbcsData, ...]) -> None:
    """Append ``ra:GBCSData`` elements."""
    for item in items:
        element = x.add(parent, ra("GBCSData"), x.format_binary(item.payload))
        for name in ("format", "sequence", "name", "type"):
            element.set(name, str(getattr(item, name)))


def read_gbcs_data(children: x.Children) -> tuple[GbcsData, ...]:
    """Read up to 100 ``ra:GBCSData`` elements."""
    return tuple(_read_one_gbcs_data(e) for e in children.repeated(ra("GBCSData"), 0, 100))


def _read_one_gbcs_data(element: etree._Element) -> GbcsData:
    attributes = [x.required_attribute(element, n) for n in ("format", "sequence", "name", "type")]
    payload = x.binary(element)
    with x.located(element):
        sequence = x.parse_integer(attributes[1], 0, _UNBOUNDED)
        return GbcsData(payload, attributes[0], sequence, *attributes[2:])


def write_payload(element: etree._Element, payload: SMETS1ResponsePayload) -> None:
    """Fill an ``ra:ResponsePayload`` element."""
    write_gbcs_data(element, payload.gbcs_data)
    if payload.smets_data is not None:
        data = x.add(element, ra("SMETSData"))
        if isinstance(payload.smets_data, GenericContent):
            data.append(payload.smets_data.element)
        else:
            _write_krp_rsp(x.add(data, ra("UpdateSecurityCredentialsKRPRsp")), payload.smets_data)
    if payload.debug_info is not None:
        x.add(element, ra("DebugInfo")).append(payload.debug_info.element)


def read_payload(element: etree._Element) -> SMETS1ResponsePayload:
    """Read an ``ra:ResponsePayload`` element."""
    children = x.Children(element)
    gbcs = read_gbcs_data(children)
    smets = children.maybe(ra("SMETSData"), _read_smets_data)
    debug = children.maybe(ra("DebugInfo"), _read_choice, "debug information")
    children.end()
    return SMETS1ResponsePayload(gbcs, smets, debug)


def _read_smets_data(element: etree._Element) -> UpdateSecurityCredentialsKRPRsp | GenericContent:
    rsp = x.single(element, "SMETSData response")
    if rsp.tag == ra("UpdateSecurityCredentialsKRPRsp"):
        return _read_krp_rsp(rsp)
    return GenericContent.of(rsp)


def _write_krp_rsp(element: etree._Element, rsp: UpdateSecurityCredentialsKRPRsp) -> None:
    if rsp.message_success is not None:
        element.set("MessageSuccess", x.format_boolean(rsp.message_success))
    if rsp.execution_outcome is not None:
        write_execution_outcome(x.add(element, ra("ExecutionOutcome")), rsp.execution_outcome)


def _read_krp_rsp(element: etree._Element) -> UpdateSecurityCredentialsKRPRsp:
    success = x.attribute(element, "MessageSuccess")
    with x.located(element):
        flag = None if success is None else x.parse_boolean(success)
    children = x.Children(element)
    outcome = children.maybe(ra("ExecutionOutcome"), read_execution_outcome)
    children.end()
    return UpdateSecurityCredentialsKRPRsp(flag, outcome)


def write_device_alert(element: etree._Element, alert: SMETS1DeviceAlertMessage) -> None:
    """Fill an ``ra:DeviceAlertMessageType`` element."""
    write_gbcs_data(element, alert.gbcs_data)
    content = alert.content
    if content is None:
        return
    parent = x.add(element, ra("DeviceAlertContent"))
    x.add_optional(parent, ra("GBCSHexAlertCode"), content.gbcs_hex_alert_code)
    x.add(parent, ra("AlertDescription"), content.alert_description)
    x.add(parent, ra("Timestamp"), x.format_date_time(content.timestamp))
    if content.payload is not None:
        x.add(parent, ra("Payload")).append(content.payload.element)


def read_device_alert(element: etree._Element) -> SMETS1DeviceAlertMessage:
    """Read an ``ra:DeviceAlertMessageType`` element."""
    children = x.Children(element)
    gbcs = read_gbcs_data(children)
    content = children.maybe(ra("DeviceAlertContent"), _read_content)
    children.end()
    return SMETS1DeviceAlertMessage(gbcs, content)


def _read_content(element: etree._Element) -> DeviceAlertContent:
    children = x.Children(element)
    code = children.maybe(ra("GBCSHexAlertCode"), x.hex_code)
    description = x.text(children.required(ra("AlertDescription")))
    when = x.date_time(children.required(ra("Timestamp")))
    payload = children.maybe(ra("Payload"), _read_choice, "alert payload")
    children.end()
    with x.located(element):
        return DeviceAlertContent(description, when, code, payload)


def _read_choice(element: etree._Element, what: str) -> GenericContent:
    return GenericContent.of(x.single(element, what))
