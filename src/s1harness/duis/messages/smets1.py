"""SMETS1 Responses: ``SMETS1ResponseMessage`` and the S1SP-signed ``SMETS1SignedResponse``.

The S1SP produces and signs ``sr:SMETS1SignedResponse`` (its
``ds:Signature`` is mandatory in the XSD); the DSP wraps it, unchanged, in the
``SMETS1ResponseMessage`` body of its own ``sr:Response``. As for S1SP alerts, a parsed
signed response keeps a copy of its element so that it can be re-embedded byte for byte, and
one built from fields is written unsigned for the signing module to sign.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.alerts import check_throttling, read_throttling, write_throttling
from s1harness.duis.messages.common import MAX_SCHEDULE_ID, check_decimal, check_range
from s1harness.duis.messages.mmc import (
    SMETS1DeviceAlertMessage,
    SMETS1Header,
    SMETS1ResponsePayload,
    read_device_alert,
    read_header,
    read_payload,
    write_device_alert,
    write_header,
    write_payload,
)
from s1harness.duis.ns import NSMAP, RA, sr
from s1harness.spec import InputError


@dataclass(frozen=True)
class SMETS1Response:
    """DUIS 5.4 ``sr:SMETS1ResponseType``: an MMC header and a response or alert body."""

    header: SMETS1Header
    body: SMETS1ResponsePayload | SMETS1DeviceAlertMessage


@dataclass(frozen=True, kw_only=True)
class SMETS1SignedResponse:
    """DUIS 5.4 ``sr:SMETS1SignedResponse``.

    Attributes:
        schema_version: ``@schemaVersion``.
        response: The ``SMETS1Response``.
        element: The element as parsed (signed by the S1SP) or as signed by the caller; when
            set it is written instead of the fields, which must describe it.
    """

    schema_version: str = "5.4"
    response: SMETS1Response
    element: etree._Element | None = field(default=None, compare=False, repr=False)
    _read_from: bytes | None = field(default=None, init=False, compare=False, repr=False)
    """The kept element's serialisation when :func:`read_smets1_signed_response` took these
    fields from it (never carried over by ``dataclasses.replace``, which builds new fields)."""

    def __post_init__(self) -> None:
        check_decimal("schemaVersion", self.schema_version)

    @property
    def signed(self) -> bool:
        """Whether the kept element carries a ``ds:Signature``."""
        return self.element is not None and x.has_signature(self.element)


@dataclass(frozen=True, kw_only=True)
class SMETS1ResponseMessage:
    """DUIS 5.4 ``sr:SMETS1ResponseMessage``: the DSP's wrapper of a SMETS1 Response."""

    service_reference: str | None = None
    service_reference_variant: str | None = None
    dsp_schedule_id: int | None = None
    throttled_alert_sequence_id: int | None = None
    throttled_alert_count: int | None = None
    signed_response: SMETS1SignedResponse

    def __post_init__(self) -> None:
        check_range("DSPScheduleID", self.dsp_schedule_id, 0, MAX_SCHEDULE_ID)
        check_throttling(self.throttled_alert_sequence_id, self.throttled_alert_count)


def write_smets1_signed_response(signed: SMETS1SignedResponse) -> etree._Element:
    """A standalone ``sr:SMETS1SignedResponse``: a copy of the kept element, or built unsigned."""
    if signed.element is not None:
        if not _as_read(signed) and read_smets1_signed_response(signed.element) != signed:
            raise InputError("SMETS1SignedResponse.element does not match its fields")
        return copy.deepcopy(signed.element)
    root = etree.Element(sr("SMETS1SignedResponse"), nsmap={**NSMAP, "ra": RA})
    root.set("schemaVersion", signed.schema_version)
    response = x.add(root, sr("SMETS1Response"))
    write_header(x.add(response, sr("Header")), signed.response.header)
    body = x.add(response, sr("Body"))
    content = signed.response.body
    if isinstance(content, SMETS1ResponsePayload):
        write_payload(x.add(body, sr("ResponseMessage")), content)
    else:
        write_device_alert(x.add(body, sr("DeviceAlertMessage")), content)
    return root


def read_smets1_signed_response(element: etree._Element) -> SMETS1SignedResponse:
    """Read an ``sr:SMETS1SignedResponse`` (root or nested), keeping a copy of the element."""
    version = x.required_attribute(element, "schemaVersion")
    children = x.Children(element)
    response = _read_response(children.required(sr("SMETS1Response")))
    children.signature()
    children.end()
    with x.located(element):
        signed = SMETS1SignedResponse(
            schema_version=version, response=response, element=copy.deepcopy(element)
        )
    assert signed.element is not None
    object.__setattr__(signed, "_read_from", etree.tostring(signed.element))
    return signed


def _as_read(signed: SMETS1SignedResponse) -> bool:
    """Whether the fields are still those read from the kept element, which still serialises
    as it did then: the fields are frozen, so they then describe it without reading it again
    (a relay re-embeds the S1SP's signed response in every response it sends)."""
    kept = signed._read_from
    return (
        kept is not None and signed.element is not None and etree.tostring(signed.element) == kept
    )


def _read_response(element: etree._Element) -> SMETS1Response:
    children = x.Children(element)
    header = read_header(children.required(sr("Header")))
    body_children = x.Children(children.required(sr("Body")))
    choice = body_children.choice("SMETS1 response body")
    body_children.end()
    children.end()
    if choice.tag == sr("ResponseMessage"):
        return SMETS1Response(header, read_payload(choice))
    if choice.tag == sr("DeviceAlertMessage"):
        return SMETS1Response(header, read_device_alert(choice))
    raise x.fail(choice, f"unexpected element {x.qname(str(choice.tag))} in a SMETS1 Body")


def write_smets1_response_message(parent: etree._Element, message: SMETS1ResponseMessage) -> None:
    """Append ``sr:SMETS1ResponseMessage``."""
    element = x.add(parent, sr("SMETS1ResponseMessage"))
    x.add_optional(element, sr("ServiceReference"), message.service_reference)
    x.add_optional(element, sr("ServiceReferenceVariant"), message.service_reference_variant)
    x.add_optional(element, sr("DSPScheduleID"), x.optional_str(message.dsp_schedule_id))
    write_throttling(element, message.throttled_alert_sequence_id, message.throttled_alert_count)
    element.append(write_smets1_signed_response(message.signed_response))


def read_smets1_response_message(element: etree._Element) -> SMETS1ResponseMessage:
    """Read ``sr:SMETS1ResponseMessage``."""
    children = x.Children(element)
    reference = children.maybe(sr("ServiceReference"), x.token)
    variant = children.maybe(sr("ServiceReferenceVariant"), x.token)
    schedule = children.maybe(sr("DSPScheduleID"), x.integer, 0, MAX_SCHEDULE_ID)
    throttled = read_throttling(children)
    signed = read_smets1_signed_response(children.required(sr("SMETS1SignedResponse")))
    children.end()
    return SMETS1ResponseMessage(
        service_reference=reference,
        service_reference_variant=variant,
        dsp_schedule_id=schedule,
        throttled_alert_sequence_id=throttled[0],
        throttled_alert_count=throttled[1],
        signed_response=signed,
    )
