"""DUIS responses: the ``sr:Response`` envelope, ``ResponseMessage`` and device alerts.

DUIS 5.4 ``sr:Response``: one root element for synchronous replies, acknowledgements (``I99``,
a ``ResponseMessage`` with only the Service Reference and Variant), errors (the same shape
with an E-code), asynchronous device responses, future-dated outcomes, device alerts, DCC
alerts and SMETS1 responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.alerts import (
    DCCAlertMessage,
    check_throttling,
    read_dcc_alert_message,
    read_throttling,
    write_dcc_alert_message,
    write_throttling,
)
from s1harness.duis.messages.common import (
    GenericContent,
    RequestId,
    check_aware,
    check_decimal,
    check_range,
    check_text,
    normal_hex,
)
from s1harness.duis.messages.requests import read_request_id
from s1harness.duis.messages.smets1 import (
    SMETS1ResponseMessage,
    read_smets1_response_message,
    write_smets1_response_message,
)
from s1harness.duis.ns import NSMAP, RA, sr
from s1harness.spec import InputError

_RESPONSE_CODE = re.compile(r"[IEW][0-9]{1,6}")
_FUTURE_DATED_CODES = frozenset({"8F66", "8F67"})
_MAX_UNSIGNED_SHORT = 0xFFFF
_OTHER_CONTENT = frozenset(
    sr(name)
    for name in (
        "CINMessage",
        "DSPInventory",
        "DSPOptIn",
        "DSPSchedulesRead",
        "DSPScheduledMessage",
        "DSPScheduleID",
        "DSPUpdateFirmwareWarning",
        "DSPUpdatePPMIDFirmwareWarning",
        "DSPWANMatrix",
    )
)
"""The ``ResponseMessage`` choices kept as :class:`GenericContent`."""


@dataclass(frozen=True)
class GbcsPayload:
    """``ResponseMessage/GBCSPayload``: a device's GBCS response (async, CV 1/3/5/7)."""

    payload: bytes


@dataclass(frozen=True)
class PreCommand:
    """``ResponseMessage/PreCommand``: the CV 4 Transform result for the User to GBCS-sign."""

    gbcs_version: str
    payload: bytes


@dataclass(frozen=True)
class LocalCommand:
    """``ResponseMessage/LocalCommand``: a command for local (HAN) delivery (CV 2/3/6/7)."""

    payload: bytes


@dataclass(frozen=True)
class FutureDatedDeviceAlertMessage:
    """``ResponseMessage/FutureDatedDeviceAlertMessage``: a future-dated outcome (§3.5).

    Attributes:
        alert_code: ``8F66`` (success) or ``8F67`` (failure).
        payload: The GBCS alert.
        instruction_number: ``InstructionNumber`` (unsignedShort).
        total_command_instructions: ``TotalCommandInstructions`` (unsignedShort).
    """

    alert_code: str
    payload: bytes
    instruction_number: int
    total_command_instructions: int

    def __post_init__(self) -> None:
        code = normal_hex("FutureDatedAlertCode", self.alert_code)
        if code not in _FUTURE_DATED_CODES:
            raise InputError(f"FutureDatedAlertCode must be 8F66 or 8F67, got {self.alert_code!r}")
        object.__setattr__(self, "alert_code", code)
        check_range("InstructionNumber", self.instruction_number, 0, _MAX_UNSIGNED_SHORT)
        total = self.total_command_instructions
        check_range("TotalCommandInstructions", total, 0, _MAX_UNSIGNED_SHORT)


ResponseContent = (
    GbcsPayload | PreCommand | LocalCommand | FutureDatedDeviceAlertMessage | GenericContent | None
)
"""The optional choice of ``sr:ResponseMessage``; ``None`` for acknowledgements and errors."""


@dataclass(frozen=True)
class ResponseMessage:
    """DUIS 5.4 ``sr:ResponseMessage``."""

    service_reference: str
    service_reference_variant: str
    content: ResponseContent = None

    def __post_init__(self) -> None:
        check_text("ServiceReference", self.service_reference)
        check_text("ServiceReferenceVariant", self.service_reference_variant)


@dataclass(frozen=True)
class DeviceAlertMessage:
    """DUIS 5.4 ``sr:DeviceAlertMessage``: a GBCS alert from a device.

    Attributes:
        alert_code: The GBCS alert code as upper-case hex (``8F36``).
        payload: The GBCS alert.
        throttled_alert_sequence_id: ``ThrottledAlertSequenceId``.
        throttled_alert_count: ``ThrottledAlertCount``.
    """

    alert_code: str
    payload: bytes
    throttled_alert_sequence_id: int | None = None
    throttled_alert_count: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "alert_code", normal_hex("AlertCode", self.alert_code))
        check_throttling(self.throttled_alert_sequence_id, self.throttled_alert_count)


ResponseBody = ResponseMessage | DeviceAlertMessage | DCCAlertMessage | SMETS1ResponseMessage
"""The choice of DUIS 5.4 ``sr:Response/sr:Body``."""


@dataclass(frozen=True)
class ResponseHeader:
    """DUIS 5.4 ``sr:Response/sr:Header``.

    Attributes:
        response_code: ``I0``, ``I99``, ``E2``, ``E061501``… (§3.4).
        response_date_time: Aware; written in UTC with milliseconds.
        request_id: The request's RequestID, echoed.
        response_id: The RequestID with originator and target swapped.
    """

    response_code: str
    response_date_time: datetime
    request_id: RequestId | None = None
    response_id: RequestId | None = None

    def __post_init__(self) -> None:
        if not _RESPONSE_CODE.fullmatch(self.response_code):
            raise InputError(f"not a DUIS response code: {self.response_code!r}")
        check_aware("ResponseDateTime", self.response_date_time)


@dataclass(frozen=True)
class Response:
    """A DUIS 5.4 response, acknowledgement or alert (root ``sr:Response``), unsigned."""

    header: ResponseHeader
    body: ResponseBody
    schema_version: str = "5.4"

    def __post_init__(self) -> None:
        check_decimal("schemaVersion", self.schema_version)


def write_response(response: Response) -> etree._Element:
    """A new ``sr:Response`` tree (unsigned); ``ra`` is declared when a SMETS1 body needs it."""
    smets1 = isinstance(response.body, SMETS1ResponseMessage)
    root = etree.Element(sr("Response"), nsmap={**NSMAP, "ra": RA} if smets1 else NSMAP)
    root.set("schemaVersion", response.schema_version)
    _write_header(x.add(root, sr("Header")), response.header)
    body = x.add(root, sr("Body"))
    match response.body:
        case ResponseMessage():
            _write_response_message(body, response.body)
        case DeviceAlertMessage():
            _write_device_alert(body, response.body)
        case DCCAlertMessage():
            write_dcc_alert_message(body, response.body)
        case SMETS1ResponseMessage():
            write_smets1_response_message(body, response.body)
    return root


def read_response(root: etree._Element) -> Response:
    """Read an ``sr:Response`` root; a ``ds:Signature`` after the body is ignored."""
    version = x.required_attribute(root, "schemaVersion")
    children = x.Children(root)
    header = _read_header(children.required(sr("Header")))
    body_children = x.Children(children.required(sr("Body")))
    body = _read_body(body_children.choice("response body"))
    body_children.end()
    children.signature()
    children.end()
    with x.located(root):
        return Response(header, body, version)


def _read_body(element: etree._Element) -> ResponseBody:
    if element.tag == sr("ResponseMessage"):
        return _read_response_message(element)
    if element.tag == sr("DeviceAlertMessage"):
        return _read_device_alert(element)
    if element.tag == sr("DCCAlertMessage"):
        return read_dcc_alert_message(element)
    if element.tag == sr("SMETS1ResponseMessage"):
        return read_smets1_response_message(element)
    raise x.fail(element, f"unexpected element {x.qname(str(element.tag))} in sr:Body")


def _write_header(element: etree._Element, header: ResponseHeader) -> None:
    x.add_optional(element, sr("RequestID"), x.optional_str(header.request_id))
    x.add_optional(element, sr("ResponseID"), x.optional_str(header.response_id))
    x.add(element, sr("ResponseCode"), header.response_code)
    x.add(element, sr("ResponseDateTime"), x.format_date_time(header.response_date_time))


def _read_header(element: etree._Element) -> ResponseHeader:
    children = x.Children(element)
    request_id = children.maybe(sr("RequestID"), read_request_id)
    response_id = children.maybe(sr("ResponseID"), read_request_id)
    code_element = children.required(sr("ResponseCode"))
    when = x.date_time(children.required(sr("ResponseDateTime")))
    children.end()
    with x.located(code_element):
        return ResponseHeader(x.token(code_element), when, request_id, response_id)


def _write_response_message(parent: etree._Element, message: ResponseMessage) -> None:
    element = x.add(parent, sr("ResponseMessage"))
    x.add(element, sr("ServiceReference"), message.service_reference)
    x.add(element, sr("ServiceReferenceVariant"), message.service_reference_variant)
    content = message.content
    if isinstance(content, GbcsPayload):
        x.add(element, sr("GBCSPayload"), x.format_binary(content.payload))
    elif isinstance(content, PreCommand):
        pre = x.add(element, sr("PreCommand"))
        x.add(pre, sr("GBCSVersion"), content.gbcs_version)
        x.add(pre, sr("GBCSPayload"), x.format_binary(content.payload))
    elif isinstance(content, LocalCommand):
        local = x.add(element, sr("LocalCommand"))
        x.add(local, sr("GBCSPayload"), x.format_binary(content.payload))
    elif isinstance(content, FutureDatedDeviceAlertMessage):
        _write_future_dated(x.add(element, sr("FutureDatedDeviceAlertMessage")), content)
    elif content is not None:
        element.append(content.element)


def _read_response_message(element: etree._Element) -> ResponseMessage:
    children = x.Children(element)
    reference = x.token(children.required(sr("ServiceReference")))
    variant = x.token(children.required(sr("ServiceReferenceVariant")))
    content: ResponseContent = None
    if (choice := children.optional(sr("GBCSPayload"))) is not None:
        content = GbcsPayload(x.binary(choice))
    elif (choice := children.optional(sr("PreCommand"))) is not None:
        content = _read_pre_command(choice)
    elif (choice := children.optional(sr("LocalCommand"))) is not None:
        content = LocalCommand(_read_payload_only(choice))
    elif (choice := children.optional(sr("FutureDatedDeviceAlertMessage"))) is not None:
        content = _read_future_dated(choice)
    elif (choice := children.optional_any()) is not None:
        if choice.tag not in _OTHER_CONTENT:
            raise x.fail(choice, f"unexpected element {x.qname(str(choice.tag))}")
        content = GenericContent.of(choice)
    children.end()
    return ResponseMessage(reference, variant, content)


def _read_pre_command(element: etree._Element) -> PreCommand:
    children = x.Children(element)
    version = x.text(children.required(sr("GBCSVersion")))
    payload = x.binary(children.required(sr("GBCSPayload")))
    children.end()
    return PreCommand(version, payload)


def _read_payload_only(element: etree._Element) -> bytes:
    children = x.Children(element)
    payload = x.binary(children.required(sr("GBCSPayload")))
    children.end()
    return payload


def _write_future_dated(element: etree._Element, alert: FutureDatedDeviceAlertMessage) -> None:
    x.add(element, sr("FutureDatedAlertCode"), alert.alert_code)
    x.add(element, sr("GBCSPayload"), x.format_binary(alert.payload))
    x.add(element, sr("InstructionNumber"), str(alert.instruction_number))
    x.add(element, sr("TotalCommandInstructions"), str(alert.total_command_instructions))


def _read_future_dated(element: etree._Element) -> FutureDatedDeviceAlertMessage:
    children = x.Children(element)
    code = x.hex_code(children.required(sr("FutureDatedAlertCode")))
    payload = x.binary(children.required(sr("GBCSPayload")))
    numbers = [
        x.integer(children.required(sr(name)), 0, _MAX_UNSIGNED_SHORT)
        for name in ("InstructionNumber", "TotalCommandInstructions")
    ]
    children.end()
    with x.located(element):
        return FutureDatedDeviceAlertMessage(code, payload, numbers[0], numbers[1])


def _write_device_alert(parent: etree._Element, alert: DeviceAlertMessage) -> None:
    element = x.add(parent, sr("DeviceAlertMessage"))
    x.add(element, sr("AlertCode"), alert.alert_code)
    write_throttling(element, alert.throttled_alert_sequence_id, alert.throttled_alert_count)
    x.add(element, sr("GBCSPayload"), x.format_binary(alert.payload))


def _read_device_alert(element: etree._Element) -> DeviceAlertMessage:
    children = x.Children(element)
    code = x.hex_code(children.required(sr("AlertCode")))
    throttled = read_throttling(children)
    payload = x.binary(children.required(sr("GBCSPayload")))
    children.end()
    return DeviceAlertMessage(code, payload, *throttled)
