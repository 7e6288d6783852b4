"""The Countersigned Service Request: what the DSP forwards to an S1SP (harness-defined).

SEC defines a Countersigned Service Request as the message the DCC sends an S1SP, carrying the
Supplementary Remote Party ID and Counter where a SMETS2 command would; its
encoding is not public. The harness uses a small XML document in its own namespace, signed by
the DSP in the DUIS XML-signature profile (role 137), so an S1SP verifies it with the same code
it uses for DUIS:

.. code-block:: xml

    <cs:CountersignedServiceRequest xmlns:cs="urn:s1harness:countersigned:1" version="1">
      <cs:DeviceID>00-DB-12-34-56-78-90-A0</cs:DeviceID>
      <cs:Cohort>IOC</cs:Cohort>
      <cs:UserRole>ED</cs:UserRole>
      <cs:ReceivedDateTime>2026-11-21T10:00:00.000Z</cs:ReceivedDateTime>
      <cs:ServiceRequest>…the User's signed request as received, base64…</cs:ServiceRequest>
      <cs:SignedPreCommand>…the User-signed GBCS APDU, base64…</cs:SignedPreCommand>
      <cs:SupplementaryRemotePartyID>…</cs:SupplementaryRemotePartyID>            (optional)
      <cs:SupplementaryRemotePartyCounter>…</cs:SupplementaryRemotePartyCounter>  (optional)
      <ds:Signature>…the DSP's…</ds:Signature>
    </cs:CountersignedServiceRequest>

The User's request travels as the bytes it was signed in, so the S1SP can check the User's own
signature too; for a critical SR the request is the CV 5 one and the signed pre-command is its
``SignedPreCommand`` payload, lifted out for the S1SP's Authorising Remote Party check.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.ns import DS
from s1harness.spec.identifiers import Eui64

NS = "urn:s1harness:countersigned:1"
_ROOT = f"{{{NS}}}CountersignedServiceRequest"


@dataclass(frozen=True, slots=True)
class CountersignedRequest:
    """The fields of a countersigned request (see the module docstring)."""

    device_id: Eui64
    cohort: str
    user_role: str
    received: datetime
    service_request: bytes
    signed_precommand: bytes | None = None
    supplementary_remote_party_id: Eui64 | None = None
    supplementary_remote_party_counter: int | None = None


def to_element(request: CountersignedRequest) -> etree._Element:
    """An unsigned document; the DSP signs it with :func:`s1harness.duis.signature.sign`."""
    root = etree.Element(_ROOT, nsmap={"cs": NS, "ds": DS}, version="1")
    _add(root, "DeviceID", request.device_id.duis)
    _add(root, "Cohort", request.cohort)
    _add(root, "UserRole", request.user_role)
    _add(
        root,
        "ReceivedDateTime",
        request.received.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    )
    _add(root, "ServiceRequest", base64.b64encode(request.service_request).decode())
    if request.signed_precommand is not None:
        _add(root, "SignedPreCommand", base64.b64encode(request.signed_precommand).decode())
    if request.supplementary_remote_party_id is not None:
        _add(root, "SupplementaryRemotePartyID", request.supplementary_remote_party_id.duis)
    if request.supplementary_remote_party_counter is not None:
        _add(
            root, "SupplementaryRemotePartyCounter", str(request.supplementary_remote_party_counter)
        )
    return root


def _add(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{NS}}}{name}").text = text


def parse(root: etree._Element) -> CountersignedRequest:
    """Read a countersigned request (its signature is checked separately).

    Raises:
        DuisParseError: with the element path for anything missing or malformed.
    """
    if root.tag != _ROOT:
        raise DuisParseError(f"not a countersigned request: {etree.QName(root).text}")
    try:
        return CountersignedRequest(
            device_id=Eui64(_text(root, "DeviceID")),
            cohort=_text(root, "Cohort"),
            user_role=_text(root, "UserRole"),
            received=datetime.fromisoformat(_text(root, "ReceivedDateTime").replace("Z", "+00:00")),
            service_request=_b64(root, "ServiceRequest"),
            signed_precommand=_b64(root, "SignedPreCommand")
            if _has(root, "SignedPreCommand")
            else None,
            supplementary_remote_party_id=Eui64(_text(root, "SupplementaryRemotePartyID"))
            if _has(root, "SupplementaryRemotePartyID")
            else None,
            supplementary_remote_party_counter=int(_text(root, "SupplementaryRemotePartyCounter"))
            if _has(root, "SupplementaryRemotePartyCounter")
            else None,
        )
    except (ValueError, binascii.Error) as exc:
        raise DuisParseError(
            f"malformed countersigned request: {exc}", path=xml.path_of(root)
        ) from None


def _has(root: etree._Element, name: str) -> bool:
    return root.find(f"{{{NS}}}{name}") is not None


def _text(root: etree._Element, name: str) -> str:
    element = root.find(f"{{{NS}}}{name}")
    if element is None or not (element.text or "").strip():
        raise DuisParseError(f"cs:{name} is missing", path=xml.path_of(root) + f"/cs:{name}")
    return (element.text or "").strip()


def _b64(root: etree._Element, name: str) -> bytes:
    return base64.b64decode("".join(_text(root, name).split()), validate=True)
