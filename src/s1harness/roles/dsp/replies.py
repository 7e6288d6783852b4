"""DUIS responses and alerts as the DSP sends them: built, signed (role 137), addressed."""

from __future__ import annotations

from datetime import datetime

from s1harness.duis import xml
from s1harness.duis.messages import (
    RequestId,
    Response,
    ResponseBody,
    ResponseContent,
    ResponseHeader,
    ResponseMessage,
    to_element,
)
from s1harness.duis.signature import sign
from s1harness.duis.srv import lookup
from s1harness.roles.dsp.settings import DspCredentials
from s1harness.spec.bus import Envelope, Kind, user_inbox
from s1harness.spec.codes import Code
from s1harness.spec.identifiers import Eui64


def service_reference(variant: str) -> str:
    """``6.15`` for ``6.15.1``: the SRV table's family, else the first two parts."""
    entry = lookup(variant)
    return entry.service_reference if entry else ".".join(variant.split(".")[:2])


def response_message(variant: str, content: ResponseContent = None) -> ResponseMessage:
    return ResponseMessage(service_reference(variant), variant, content)


def envelope(
    credentials: DspCredentials,
    user: Eui64,
    code: Code,
    body: ResponseBody,
    *,
    now: datetime,
    request_id: RequestId | None = None,
    response_id: RequestId | None = None,
) -> Envelope:
    """A signed ``sr:Response`` on the user's inbox, correlated by RequestID."""
    response = Response(ResponseHeader(code.code, now, request_id, response_id), body)
    root = sign(to_element(response), credentials.xml_key, credentials.xml_certificate)
    correlation = str(request_id) if request_id is not None else f"{user}:{now.isoformat()}"
    return Envelope(user_inbox(user), Kind.DUIS_RESPONSE, xml.serialise(root), correlation)
