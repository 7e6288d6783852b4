"""DUIS requests: the ``sr:Request`` envelope and its header (DUIS 5.4 ``RequestType``).

The XSD ties neither the body to the Service Reference Variant nor the Command Variant to
either (§1.1); those are business rules for the DSP, not for this model.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.bodies import RequestBody, read_request_body, write_request_body
from s1harness.duis.messages.common import RequestId, check_decimal, check_range, check_text
from s1harness.duis.ns import NSMAP, sr


@dataclass(frozen=True)
class RequestHeader:
    """DUIS 5.4 ``sr:Request/sr:Header``.

    Attributes:
        request_id: ``originator:target:counter`` (§1.2).
        command_variant: 1–9 (§1.3).
        service_reference: The SR family (``6.15``).
        service_reference_variant: The SRV (``6.15.1``).
        first_in_sequence: For sequenced requests.
        preceding_request_id: For sequenced requests (``PrecedingServiceRequestID``).
    """

    request_id: RequestId
    command_variant: int
    service_reference: str
    service_reference_variant: str
    first_in_sequence: bool | None = None
    preceding_request_id: RequestId | None = None

    def __post_init__(self) -> None:
        check_range("CommandVariant", self.command_variant, 1, 9)
        check_text("ServiceReference", self.service_reference)
        check_text("ServiceReferenceVariant", self.service_reference_variant)


@dataclass(frozen=True)
class Request:
    """A DUIS 5.4 Service Request (root ``sr:Request``), without its XML signature.

    Attributes:
        header: The header.
        body: The typed body, or :class:`GenericBody` for bodies not modelled.
        schema_version: ``@schemaVersion`` (``xs:decimal``; the templates use 5.4).
    """

    header: RequestHeader
    body: RequestBody
    schema_version: str = "5.4"

    def __post_init__(self) -> None:
        check_decimal("schemaVersion", self.schema_version)


def write_request(request: Request) -> etree._Element:
    """A new ``sr:Request`` tree (unsigned) with the template namespace declarations."""
    root = etree.Element(sr("Request"), nsmap=NSMAP)
    root.set("schemaVersion", request.schema_version)
    _write_header(x.add(root, sr("Header")), request.header)
    write_request_body(x.add(root, sr("Body")), request.body)
    return root


def read_request(root: etree._Element) -> Request:
    """Read an ``sr:Request`` root; a ``ds:Signature`` after the body is ignored."""
    version = x.required_attribute(root, "schemaVersion")
    children = x.Children(root)
    header = _read_header(children.required(sr("Header")))
    body_children = x.Children(children.required(sr("Body")))
    body = read_request_body(body_children.choice("request body"))
    body_children.end()
    children.signature()
    children.end()
    with x.located(root):
        return Request(header, body, version)


def _write_header(element: etree._Element, header: RequestHeader) -> None:
    x.add(element, sr("RequestID"), str(header.request_id))
    first = header.first_in_sequence
    x.add_optional(
        element, sr("FirstInSequence"), None if first is None else x.format_boolean(first)
    )
    preceding = x.optional_str(header.preceding_request_id)
    x.add_optional(element, sr("PrecedingServiceRequestID"), preceding)
    x.add(element, sr("CommandVariant"), str(header.command_variant))
    x.add(element, sr("ServiceReference"), header.service_reference)
    x.add(element, sr("ServiceReferenceVariant"), header.service_reference_variant)


def _read_header(element: etree._Element) -> RequestHeader:
    children = x.Children(element)
    request_id = read_request_id(children.required(sr("RequestID")))
    first = children.maybe(sr("FirstInSequence"), x.boolean)
    preceding = children.maybe(sr("PrecedingServiceRequestID"), read_request_id)
    variant = x.integer(children.required(sr("CommandVariant")), 1, 9)
    reference = x.token(children.required(sr("ServiceReference")))
    srv = x.token(children.required(sr("ServiceReferenceVariant")))
    children.end()
    with x.located(element):
        return RequestHeader(request_id, variant, reference, srv, first, preceding)


def read_request_id(element: etree._Element) -> RequestId:
    """A RequestID / ResponseID element."""
    with x.located(element):
        return RequestId.parse(x.text(element))
