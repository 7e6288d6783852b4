"""The DSP's outbound routing and inbound relays (DESIGN §2).

Out: an accepted command goes to a SMETS2 device in the ACB's MAC envelope (via the emulated
CSP: the device's inbox topic), or to a SMETS1 device's S1SP as a countersigned request.
Back: GBCS responses and alerts from SMETS2 devices, SMETS1 responses and S1SP alerts from the
S1SPs, each turned into a DSP-signed DUIS response to the User it belongs to: the requester
for responses and future-dated outcomes, the alert's target for device alerts, and — for
``SecurityCredentialsUpdated`` — the party whose certificates were placed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    CertificateHash,
    CertificateType,
    DCCAlertMessage,
    DeviceAlertMessage,
    DuisRemotePartyRole,
    FutureDatedDeviceAlertMessage,
    GbcsPayload,
    RequestId,
    ResponseContent,
    S1SPAlert,
    S1SPAlertDSP,
    SecurityCredentialsUpdated,
    SMETS1ResponseMessage,
    SMETS1SignedResponse,
    parse_message,
)
from s1harness.duis.signature import sign, verify
from s1harness.duis.verifying import EMBEDDED_ROOTS
from s1harness.gbcs import dlms
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, MacEnvelope, decode
from s1harness.gbcs.payloads import (
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    decode_payload,
)
from s1harness.registry.model import Smets
from s1harness.roles import countersigned
from s1harness.roles.dsp import replies
from s1harness.spec.bus import Envelope, Kind, s1sp_requests
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage

if TYPE_CHECKING:
    from s1harness.roles.dsp.service import Dsp, Pending

_K = TypeVar("_K")
FUTURE_DATED_ALERTS = frozenset({0x00CB, 0x0124})
_TYPES = (
    CertificateType("DigitalSigning"),
    CertificateType("KeyAgreement"),
    CertificateType("KeyAgreementTopUp"),
)


@dataclass
class InFlight:
    """Requests awaiting a device or S1SP answer."""

    by_command: dict[tuple[str, int], Pending] = field(default_factory=dict)
    """SMETS2: (device, GBCS counter) → request."""
    by_seq: dict[tuple[str, int], Pending] = field(default_factory=dict)
    """SMETS2 future-dated: (device, ARPC seq) → request, until the 8F66/8F67 alert."""
    by_request: dict[str, Pending] = field(default_factory=dict)
    """SMETS1: RequestID → request, until the S1SP answers."""


def route(dsp: Dsp, pending: Pending, signed: GeneralSigningApdu | None) -> list[Envelope]:
    """Send an accepted command on: to the device (SMETS2) or its S1SP (SMETS1)."""
    device = pending.admitted.device
    key = str(pending.request.header.request_id)
    pending.routed_at = dsp.now()
    if device.generation is Smets.SMETS2:
        assert signed is not None
        dsp.in_flight.by_command[(device.device_id, signed.counter)] = pending
        dsp.record(key, "routing", "accepted", f"GBCS command to SMETS2 device {device.device_id}")
        return [dsp.command_envelope(device, signed, key)]
    assert device.cohort is not None
    dsp.in_flight.by_request[key] = pending
    request = countersigned.CountersignedRequest(
        device_id=device.device_id,
        cohort=str(device.cohort),
        user_role=str(pending.admitted.acting_role),
        received=dsp.now(),
        service_request=pending.raw,
        signed_precommand=signed.raw if signed is not None else None,
    )
    root = sign(
        countersigned.to_element(request), dsp.credentials.xml_key, dsp.credentials.xml_certificate
    )
    dsp.record(key, "routing", "accepted", f"countersigned request to S1SP {device.cohort}")
    headers = (("device", str(device.device_id)),)
    return [
        Envelope(
            s1sp_requests(str(device.cohort)),
            Kind.COUNTERSIGNED_REQUEST,
            xml.serialise(root),
            key,
            headers,
        )
    ]


def expire(dsp: Dsp) -> list[Envelope]:
    """E21 for requests routed more than the response timeout ago and still unanswered."""
    limit = dsp.now() - timedelta(seconds=dsp.settings.response_timeout)
    flight = dsp.in_flight
    out = [_no_response(dsp, p) for p in _overdue(flight.by_command, limit)]
    return out + [_no_response(dsp, p) for p in _overdue(flight.by_request, limit)]


def _overdue(table: dict[_K, Pending], limit: datetime) -> list[Pending]:
    """Remove and return the entries routed at or before ``limit``."""
    late = [k for k, p in table.items() if p.routed_at is not None and p.routed_at <= limit]
    return [table.pop(k) for k in late]


def _no_response(dsp: Dsp, pending: Pending) -> Envelope:
    request = pending.request
    request_id = request.header.request_id
    dsp.record(
        str(request_id),
        "device response",
        "rejected",
        f"E21: no response within {dsp.settings.response_timeout:g} s",
    )
    body = replies.response_message(request.header.service_reference_variant)
    return replies.envelope(
        dsp.credentials, request_id.originator, "E21", body, now=dsp.now(), request_id=request_id
    )


# -- SMETS2 device frames ----------------------------------------------------------------------


def device_frame(dsp: Dsp, envelope: Envelope) -> list[Envelope]:
    try:
        frame = decode(envelope.payload)
    except GbcsError as exc:
        dsp.record(envelope.correlation_id, "device frame", "rejected", exc.message)
        return []
    apdu = frame.apdu if isinstance(frame, MacEnvelope) else frame
    if apdu.cra is Cra.RESPONSE:
        return _device_response(dsp, apdu, envelope.payload)
    if apdu.cra is Cra.ALERT and apdu.message_code in FUTURE_DATED_ALERTS:
        return _future_dated(dsp, apdu, envelope.payload)
    if apdu.cra is Cra.ALERT:
        return [_device_alert(dsp, apdu, envelope.payload)]
    return []


def _device_response(dsp: Dsp, apdu: GeneralSigningApdu, raw: bytes) -> list[Envelope]:
    pending = dsp.in_flight.by_command.pop((apdu.originator, apdu.counter), None)
    if pending is None:
        dsp.record(
            f"{apdu.originator}:{apdu.counter}",
            "device response",
            "rejected",
            "no command awaits it",
        )
        return []
    request_id = pending.request.header.request_id
    payload = _payload(apdu)
    out = [_to_requester(dsp, pending, GbcsPayload(raw))]
    if isinstance(payload, UpdateSecurityCredentialsResponse) and payload.outcome is None:
        dsp.in_flight.by_seq[(apdu.originator, apdu.counter)] = pending  # outcome comes by alert
    elif _all_succeeded(payload):
        out += credentials_updated(dsp, pending)
    dsp.record(
        str(request_id), "device response", "accepted", f"relayed to {request_id.originator}"
    )
    return out


def _future_dated(dsp: Dsp, apdu: GeneralSigningApdu, raw: bytes) -> list[Envelope]:
    payload = _payload(apdu)
    if not isinstance(payload, UpdateSecurityCredentialsAlert):
        return []
    seq = payload.outcome.seq_number
    pending = dsp.in_flight.by_seq.pop((apdu.originator, seq), None)
    if pending is None:
        return []
    code = f"{payload.alert_code:04X}"
    out = [_to_requester(dsp, pending, FutureDatedDeviceAlertMessage(code, raw, 1, 1))]
    return out + (credentials_updated(dsp, pending) if _all_succeeded(payload) else [])


def _device_alert(dsp: Dsp, apdu: GeneralSigningApdu, raw: bytes) -> Envelope:
    try:
        code = f"{dlms.decode_dlms_alert(apdu.content).alert_code:04X}"
    except GbcsError:
        code = "0000"  # not a DLMS alert: the code is inside a payload the DSP does not model
    body = DeviceAlertMessage(code, raw)
    return replies.envelope(dsp.credentials, apdu.target, "I0", body, now=dsp.now())


def _payload(apdu: GeneralSigningApdu) -> object:
    try:
        return decode_payload(apdu.message_code, apdu.cra, apdu.content)
    except GbcsError:
        return None


def _all_succeeded(payload: object) -> bool:
    """Whether a CS02b response or alert reports every replacement a success (status 0)."""
    if not isinstance(payload, UpdateSecurityCredentialsResponse | UpdateSecurityCredentialsAlert):
        return False
    outcomes = payload.outcome.replacement_outcomes if payload.outcome else ()
    return bool(outcomes) and all(int(o.status) == 0 for o in outcomes)


def _to_requester(dsp: Dsp, pending: Pending, content: ResponseContent) -> Envelope:
    request_id = pending.request.header.request_id
    body = replies.response_message(pending.request.header.service_reference_variant, content)
    return replies.envelope(
        dsp.credentials, request_id.originator, "I0", body, now=dsp.now(),
        request_id=request_id, response_id=_swapped(request_id),
    )  # fmt: skip


def _swapped(request_id: RequestId) -> RequestId:
    return RequestId(request_id.target, request_id.originator, request_id.counter)


def credentials_updated(dsp: Dsp, pending: Pending) -> list[Envelope]:
    """``SecurityCredentialsUpdated`` (DCC alert N42, harness-chosen) to the placed party."""
    if not dsp.settings.security_credentials_updated or not pending.certificates:
        return []
    body = pending.request.body
    role = getattr(body, "remote_party_role", None)
    owner = pending.certificates[0].eui
    if role is None or owner is None or dsp.registry.party(owner) is None:
        return []
    hashes = tuple(
        CertificateHash(_type(c.key_usage, i), hashlib.sha1(c.der, usedforsecurity=False).digest())
        for i, c in enumerate(pending.certificates)
    )
    alert = SecurityCredentialsUpdated(
        pending.admitted.device.device_id, DuisRemotePartyRole(str(role)), None, None, hashes
    )
    return [
        replies.envelope(dsp.credentials, owner, "I0", DCCAlertMessage("N42", alert), now=dsp.now())
    ]


def _type(usage: KeyUsage | None, index: int) -> CertificateType:
    if usage is KeyUsage.DIGITAL_SIGNATURE:
        return _TYPES[0]
    return _TYPES[2] if index >= 2 else _TYPES[1]


# -- S1SP messages -----------------------------------------------------------------------------


def s1sp_message(dsp: Dsp, envelope: Envelope) -> list[Envelope]:
    """A SMETS1 response or an S1SP alert: check the S1SP's signature, relay to the User."""
    try:
        root = xml.parse(envelope.payload)
        message = parse_message(root)
    except DuisParseError as exc:
        dsp.record(envelope.correlation_id, "S1SP message", "rejected", exc.message)
        return []
    if root.tag not in EMBEDDED_ROOTS or not verify(
        root, dsp.credentials.keystore, expected_eui=None, expected_role=None, embedded=True
    ):
        dsp.record(
            envelope.correlation_id, "S1SP message", "rejected", "S1SP signature does not verify"
        )
        return []
    flight = dsp.in_flight.by_request
    if isinstance(message, S1SPAlert):
        named = str(message.request_id) if message.request_id else None
        pending = flight.pop(named, None) if named else None
        pending = pending or flight.pop(envelope.correlation_id, None)
        return _s1sp_alert(dsp, message, envelope, pending)
    if isinstance(message, SMETS1SignedResponse):
        return _smets1_response(dsp, message, flight.pop(envelope.correlation_id, None))
    return []


def _s1sp_alert(
    dsp: Dsp, alert: S1SPAlert, envelope: Envelope, pending: Pending | None
) -> list[Envelope]:
    """Relay to the requester the alert names, or the one it answers, or its ``recipient``."""
    request_id = alert.request_id or (pending.request.header.request_id if pending else None)
    key = str(request_id) if request_id else envelope.correlation_id
    try:
        recipient = (
            request_id.originator if request_id else Eui64(envelope.header("recipient") or "")
        )
    except InputError:
        dsp.record(key, "S1SP alert", "rejected", f"{alert.alert_code} names no recipient")
        return []
    dsp.record(key, "S1SP alert", "relayed", f"{alert.alert_code} to {recipient}")
    body = DCCAlertMessage("N43", S1SPAlertDSP(alert))
    return [
        replies.envelope(
            dsp.credentials, recipient, "I0", body, now=dsp.now(), request_id=request_id
        )
    ]


def _smets1_response(
    dsp: Dsp, response: SMETS1SignedResponse, pending: Pending | None
) -> list[Envelope]:
    header = response.response.header
    if pending is None:
        body = SMETS1ResponseMessage(signed_response=response)
        return [
            replies.envelope(dsp.credentials, header.business_target_id, "I0", body, now=dsp.now())
        ]
    request = pending.request
    body = SMETS1ResponseMessage(
        service_reference=request.header.service_reference,
        service_reference_variant=request.header.service_reference_variant,
        signed_response=response,
    )
    request_id = request.header.request_id
    dsp.record(str(request_id), "S1SP response", "relayed", f"to {request_id.originator}")
    out = [
        replies.envelope(
            dsp.credentials,
            request_id.originator,
            "I0",
            body,
            now=dsp.now(),
            request_id=request_id,
            response_id=_swapped(request_id),
        )
    ]
    return out + credentials_updated(dsp, pending)
