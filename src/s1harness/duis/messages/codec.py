"""Typed messages to and from element trees: :func:`to_element` and the ``parse_*`` functions.

The four DUIS 5.4 global elements are the roots a harness meets: ``sr:Request``,
``sr:Response``, and the S1SP-signed ``sr:S1SPAlert`` and ``sr:SMETS1SignedResponse``.
"""

from __future__ import annotations

from lxml import etree

from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.alerts import S1SPAlert, read_s1sp_alert, write_s1sp_alert
from s1harness.duis.messages.requests import Request, read_request, write_request
from s1harness.duis.messages.responses import Response, read_response, write_response
from s1harness.duis.messages.smets1 import (
    SMETS1SignedResponse,
    read_smets1_signed_response,
    write_smets1_signed_response,
)
from s1harness.duis.ns import SR, sr

Message = Request | Response | S1SPAlert | SMETS1SignedResponse
"""A DUIS document: one of the four global elements of the DUIS 5.4 XSD."""


def to_element(message: Message) -> etree._Element:
    """Build a fresh tree for ``message``, without the outer XML signature.

    Namespaces are declared on the root as in the DUIS templates (``sr``, ``ds``, ``xsi``,
    and ``ra`` where MMC content occurs). Embedded S1SP-signed objects that carry their
    element are copied in unchanged.

    Raises:
        InputError: if an object's kept ``element`` no longer matches its fields, or a
            date-time is naive.
    """
    match message:
        case Request():
            return write_request(message)
        case Response():
            return write_response(message)
        case S1SPAlert():
            return write_s1sp_alert(message)
        case SMETS1SignedResponse():
            return write_smets1_signed_response(message)
    raise TypeError(f"not a DUIS message: {type(message).__name__}")


def parse_message(root: etree._Element) -> Message:
    """Read any DUIS document, dispatching on the root element.

    Raises:
        DuisParseError: for a root outside the DUIS namespace or not one of the four DUIS
            messages, or any structural problem (with the element path and line).
    """
    _check_namespace(root)
    local = etree.QName(root).localname
    if local == "Request":
        return read_request(root)
    if local == "Response":
        return read_response(root)
    if local == "S1SPAlert":
        return read_s1sp_alert(root)
    if local == "SMETS1SignedResponse":
        return read_smets1_signed_response(root)
    raise x.fail(root, f"not a DUIS message: {x.qname(str(root.tag))}")


def parse_request(root: etree._Element) -> Request:
    """Read an ``sr:Request`` document (DUIS 5.4 §1)."""
    _check_root(root, "Request")
    return read_request(root)


def parse_response(root: etree._Element) -> Response:
    """Read an ``sr:Response`` document (DUIS 5.4 §3)."""
    _check_root(root, "Response")
    return read_response(root)


def parse_s1sp_alert(root: etree._Element) -> S1SPAlert:
    """Read an ``sr:S1SPAlert`` document, keeping a copy of the (signed) element."""
    _check_root(root, "S1SPAlert")
    return read_s1sp_alert(root)


def parse_smets1_signed_response(root: etree._Element) -> SMETS1SignedResponse:
    """Read an ``sr:SMETS1SignedResponse`` document, keeping a copy of the (signed) element."""
    _check_root(root, "SMETS1SignedResponse")
    return read_smets1_signed_response(root)


def _check_namespace(root: etree._Element) -> None:
    if not isinstance(root.tag, str):
        raise DuisParseError("not a DUIS message: the root is not an element")
    namespace = etree.QName(root).namespace
    if namespace != SR:
        message = f"wrong namespace {namespace or '(none)'!r} on the root; DUIS uses {SR!r}"
        raise x.fail(root, message)


def _check_root(root: etree._Element, name: str) -> None:
    _check_namespace(root)
    if root.tag != sr(name):
        raise x.fail(root, f"not a DUIS {name}: the root is {x.qname(str(root.tag))}")
