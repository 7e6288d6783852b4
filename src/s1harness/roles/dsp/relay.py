"""The DSP's relay: routing accepted commands out and answers back, owning what is in flight
(docs/contract.md §2.2, §4).

Out: an accepted command goes to a SMETS2 device in the ACB's MAC envelope (via the emulated
CSP: the device's inbox topic), or to a SMETS1 device's S1SP as a countersigned request.
Back: GBCS responses and alerts from SMETS2 devices, SMETS1 responses and S1SP alerts from the
S1SPs, each turned into a DSP-signed DUIS response to the User it belongs to: the requester
for responses and future-dated outcomes, the alert's target for device alerts, and — for
``SecurityCredentialsUpdated`` — the party whose certificates were placed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

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
    Request,
    RequestId,
    ResponseBody,
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
from s1harness.gbcs.crypto import wrap_mac
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, MacEnvelope, decode
from s1harness.gbcs.payloads import (
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    decode_payload,
)
from s1harness.registry.model import Device, Smets
from s1harness.registry.store import Registry
from s1harness.roles import countersigned
from s1harness.roles.decisions import DecisionLog
from s1harness.roles.dsp import replies
from s1harness.roles.dsp.checks import Admitted
from s1harness.roles.dsp.settings import DspCredentials, DspSettings
from s1harness.smki.certificate import SmkiCertificate
from s1harness.spec import checks, codes
from s1harness.spec.bus import Envelope, Kind, device_inbox, s1sp_requests
from s1harness.spec.checks import Outcome, Refusal
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

_K = TypeVar("_K")
FUTURE_DATED_ALERTS = frozenset({0x00CB, 0x0124})
_TYPES = (
    CertificateType("DigitalSigning"),
    CertificateType("KeyAgreement"),
    CertificateType("KeyAgreementTopUp"),
)


@dataclass
class Pending:
    """A request on its way to a device: what the DSP needs to answer it later."""

    request: Request
    admitted: Admitted
    raw: bytes
    """The request as the User signed it (the CV 5 one for critical SRs)."""
    precommand: GeneralSigningApdu | None = None
    certificates: list[SmkiCertificate] = field(default_factory=list)
    routed_at: datetime | None = None
    """When it left for the device or S1SP (the E21 timeout runs from here)."""
    read_from: bytes | None = None
    """The octets ``request`` was read from, when not ``raw`` (a critical SR's CV 4)."""

    @property
    def key(self) -> str:
        return str(self.request.header.request_id)


@dataclass
class InFlight:
    """Requests awaiting a device or S1SP answer."""

    by_command: dict[tuple[str, int], Pending] = field(default_factory=dict)
    """SMETS2: (device, GBCS counter) → request."""
    by_seq: dict[tuple[str, int], Pending] = field(default_factory=dict)
    """SMETS2 future-dated: (device, ARPC seq) → request, until the 8F66/8F67 alert."""
    by_request: dict[str, Pending] = field(default_factory=dict)
    """SMETS1: RequestID → request, until the S1SP answers."""

    def keys(self) -> list[str]:
        """Every request in flight, as text (for a snapshot of the DSP's state)."""
        return sorted(map(str, [*self.by_command, *self.by_seq, *self.by_request]))


class Relay:
    """Routes accepted requests out and relays what comes back to the right User.

    Args:
        registry: The Smart Metering Inventory and parties (who gets a placement alert).
        credentials: The DCC's keys: countersigning, DUIS responses, the ACB's MAC.
        settings: The response timeout and alert options.
        clock: The time of routing, timeouts and responses.
        log: The DSP's decision log, which the relay's decisions join.
    """

    def __init__(
        self,
        *,
        registry: Registry,
        credentials: DspCredentials,
        settings: DspSettings,
        clock: Callable[[], datetime],
        log: DecisionLog,
    ) -> None:
        self.registry, self.credentials, self.settings = registry, credentials, settings
        self._clock, self._log = clock, log
        self.in_flight = InFlight()

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # -- out ----------------------------------------------------------------------------------

    def route(self, pending: Pending, signed: GeneralSigningApdu | None) -> list[Envelope]:
        """Send an accepted command on: to the device (SMETS2) or its S1SP (SMETS1)."""
        device = pending.admitted.device
        pending.routed_at = self.now()
        if device.generation is Smets.SMETS2:
            assert signed is not None
            envelope = self._command_envelope(device, signed, pending.key)
            self.in_flight.by_command[(device.device_id, signed.counter)] = pending
            self._log.record(
                pending.key, checks.ROUTING, Outcome.ACCEPTED,
                f"GBCS command to SMETS2 device {device.device_id}",
            )  # fmt: skip
            return [envelope]
        return [self._countersigned(pending, device, signed)]

    def _countersigned(
        self, pending: Pending, device: Device, signed: GeneralSigningApdu | None
    ) -> Envelope:
        assert device.cohort is not None
        self.in_flight.by_request[pending.key] = pending
        request = countersigned.CountersignedRequest(
            device_id=device.device_id,
            cohort=str(device.cohort),
            user_role=str(pending.admitted.acting_role),
            received=self.now(),
            service_request=pending.raw,
            signed_precommand=signed.raw if signed is not None else None,
        )
        credentials = self.credentials
        root = sign(
            countersigned.to_element(request), credentials.xml_key, credentials.xml_certificate
        )
        self._log.record(
            pending.key, checks.ROUTING, Outcome.ACCEPTED,
            f"countersigned request to S1SP {device.cohort}",
        )  # fmt: skip
        return Envelope(
            s1sp_requests(str(device.cohort)),
            Kind.COUNTERSIGNED_REQUEST,
            xml.serialise(root),
            pending.key,
            (("device", str(device.device_id)),),
        )

    def _command_envelope(
        self, device: Device, signed: GeneralSigningApdu, correlation: str
    ) -> Envelope:
        """The ACB's MAC envelope around a command, to a SMETS2 device."""
        entries = self.credentials.keystore.find(
            eui=device.device_id, key_usage=KeyUsage.KEY_AGREEMENT
        )
        if not entries:
            raise Refusal(
                checks.ROUTING,
                codes.E20,
                f"no key-agreement certificate for device {device.device_id}",
            )
        public = entries[0].certificate.public_key()
        command = wrap_mac(signed, self.credentials.acb_ka_key, public)
        return Envelope(device_inbox(device.device_id), Kind.GBCS_COMMAND, command.raw, correlation)

    def expire(self) -> list[Envelope]:
        """E21 for requests routed more than the response timeout ago and still unanswered."""
        limit = self.now() - timedelta(seconds=self.settings.response_timeout)
        flight = self.in_flight
        late = _overdue(flight.by_command, limit) + _overdue(flight.by_request, limit)
        return [self._no_response(p) for p in late]

    def _no_response(self, pending: Pending) -> Envelope:
        request = pending.request
        request_id = request.header.request_id
        self._log.record(
            pending.key, checks.DEVICE_RESPONSE, Outcome.REJECTED,
            f"no response within {self.settings.response_timeout:g} s", codes.E21,
        )  # fmt: skip
        body = replies.response_message(request.header.service_reference_variant)
        return self._envelope(request_id.originator, codes.E21, body, request_id=request_id)

    # -- SMETS2 device frames ---------------------------------------------------------------------

    def device_frame(self, envelope: Envelope) -> list[Envelope]:
        """A GBCS frame from a SMETS2 device: a response, a future-dated outcome, an alert."""
        try:
            frame = decode(envelope.payload)
        except GbcsError as exc:
            self._log.record(
                envelope.correlation_id, checks.DEVICE_FRAME, Outcome.REJECTED, exc.message
            )
            return []
        apdu = frame.apdu if isinstance(frame, MacEnvelope) else frame
        if apdu.cra is Cra.RESPONSE:
            return self._device_response(apdu, envelope.payload)
        if apdu.cra is Cra.ALERT and apdu.message_code in FUTURE_DATED_ALERTS:
            return self._future_dated(apdu, envelope.payload)
        if apdu.cra is Cra.ALERT:
            return [self._device_alert(apdu, envelope.payload)]
        return []

    def _device_response(self, apdu: GeneralSigningApdu, raw: bytes) -> list[Envelope]:
        pending = self.in_flight.by_command.pop((apdu.originator, apdu.counter), None)
        if pending is None:
            self._log.record(
                f"{apdu.originator}:{apdu.counter}", checks.DEVICE_RESPONSE, Outcome.REJECTED,
                "no command awaits it",
            )  # fmt: skip
            return []
        payload = _payload(apdu)
        out = [self._to_requester(pending, GbcsPayload(raw))]
        if isinstance(payload, UpdateSecurityCredentialsResponse) and payload.outcome is None:
            self.in_flight.by_seq[(apdu.originator, apdu.counter)] = pending  # outcome by alert
        elif _all_succeeded(payload):
            out += self._credentials_updated(pending)
        originator = pending.request.header.request_id.originator
        self._log.record(
            pending.key, checks.DEVICE_RESPONSE, Outcome.ACCEPTED, f"relayed to {originator}"
        )
        return out

    def _future_dated(self, apdu: GeneralSigningApdu, raw: bytes) -> list[Envelope]:
        payload = _payload(apdu)
        if not isinstance(payload, UpdateSecurityCredentialsAlert):
            return []
        seq = payload.outcome.seq_number
        pending = self.in_flight.by_seq.pop((apdu.originator, seq), None)
        if pending is None:
            return []
        code = f"{payload.alert_code:04X}"
        out = [self._to_requester(pending, FutureDatedDeviceAlertMessage(code, raw, 1, 1))]
        return out + (self._credentials_updated(pending) if _all_succeeded(payload) else [])

    def _device_alert(self, apdu: GeneralSigningApdu, raw: bytes) -> Envelope:
        try:
            code = f"{dlms.decode_dlms_alert(apdu.content).alert_code:04X}"
        except GbcsError:
            code = "0000"  # not a DLMS alert: the code is inside a payload the DSP does not model
        return self._envelope(apdu.target, codes.I0, DeviceAlertMessage(code, raw))

    def _to_requester(self, pending: Pending, content: ResponseContent) -> Envelope:
        request_id = pending.request.header.request_id
        variant = pending.request.header.service_reference_variant
        body = replies.response_message(variant, content)
        return self._envelope(
            request_id.originator, codes.I0, body,
            request_id=request_id, response_id=request_id.swapped(),
        )  # fmt: skip

    def _credentials_updated(self, pending: Pending) -> list[Envelope]:
        """``SecurityCredentialsUpdated`` (DCC alert N42, harness-chosen) to the placed party."""
        if not self.settings.security_credentials_updated or not pending.certificates:
            return []
        role = getattr(pending.request.body, "remote_party_role", None)
        owner = pending.certificates[0].eui
        if role is None or owner is None or self.registry.party(owner) is None:
            return []
        hashes = tuple(
            CertificateHash(
                _type(c.key_usage, i), hashlib.sha1(c.der, usedforsecurity=False).digest()
            )
            for i, c in enumerate(pending.certificates)
        )
        alert = SecurityCredentialsUpdated(
            pending.admitted.device.device_id, DuisRemotePartyRole(role), None, None, hashes
        )
        return [self._envelope(owner, codes.I0, DCCAlertMessage(codes.N42.code, alert))]

    # -- S1SP messages ----------------------------------------------------------------------------

    def s1sp_message(self, envelope: Envelope) -> list[Envelope]:
        """A SMETS1 response or an S1SP alert: check the S1SP's signature, relay to the User."""
        key = envelope.correlation_id
        try:
            root = xml.parse(envelope.payload)
            message = parse_message(root)
        except DuisParseError as exc:
            self._log.record(key, checks.S1SP_MESSAGE, Outcome.REJECTED, exc.message)
            return []
        flight = self.in_flight.by_request
        named = getattr(message, "request_id", None)
        answered = str(named) if isinstance(message, S1SPAlert) and named else key
        pending = flight.get(answered) or flight.get(key)
        why = self._not_signed_by_its_s1sp(root, message, pending)
        if why is not None:
            self._log.record(key, checks.S1SP_MESSAGE, Outcome.REJECTED, why)
            return []
        if pending is not None:
            flight.pop(str(pending.request.header.request_id), None)
        if isinstance(message, S1SPAlert):
            return self._s1sp_alert(message, envelope, pending)
        if isinstance(message, SMETS1SignedResponse):
            return self._smets1_response(message, pending)
        return []

    def _not_signed_by_its_s1sp(
        self, root: Any, message: object, pending: Pending | None
    ) -> str | None:
        """Why the message is not signed by the S1SP it must come from, or None when it is: the
        S1SP of the cohort whose device the request (or the device alert) concerns, with its
        own signing certificate (role 127) — or, for an alert no request explains and no
        device names, any of the estate's S1SPs."""
        if root.tag not in EMBEDDED_ROOTS:
            return f"{root.tag} is not an S1SP message"
        verification = verify(
            root, self.credentials.keystore, expected_eui=None,
            expected_role=RemotePartyRole.OTHER, embedded=True,
        )  # fmt: skip
        if not verification.valid:
            return f"S1SP signature does not verify: {verification.reason}"
        cohort = self._cohort_of(message, pending)
        s1sps = self.credentials.s1sps
        mine = s1sps.get(cohort) if cohort else None
        allowed = {mine} if mine else set(s1sps.values())
        if verification.signer_eui not in allowed:
            of = f"the {cohort} S1SP" if mine else "an S1SP of the estate"
            return f"signed by {verification.signer_eui}, not {of}"
        return None

    def _cohort_of(self, message: object, pending: Pending | None) -> str | None:
        if pending is not None:
            return str(pending.admitted.device.cohort)
        device_id = getattr(message, "device_id", None)
        if isinstance(message, SMETS1SignedResponse):
            device_id = message.response.header.business_originator_id
        device = self.registry.device(device_id) if device_id else None
        return str(device.cohort) if device is not None and device.cohort else None

    def _s1sp_alert(
        self, alert: S1SPAlert, envelope: Envelope, pending: Pending | None
    ) -> list[Envelope]:
        """Relay to the requester the alert names, or the one it answers, or its recipient."""
        request_id = alert.request_id or (pending.request.header.request_id if pending else None)
        key = str(request_id) if request_id else envelope.correlation_id
        try:
            recipient = (
                request_id.originator if request_id else Eui64(envelope.header("recipient") or "")
            )
        except InputError:
            self._log.record(
                key, checks.S1SP_ALERT_RELAY, Outcome.REJECTED,
                f"{alert.alert_code} names no recipient",
            )  # fmt: skip
            return []
        self._log.record(
            key, checks.S1SP_ALERT_RELAY, Outcome.RELAYED, f"{alert.alert_code} to {recipient}"
        )
        body = DCCAlertMessage(codes.N43.code, S1SPAlertDSP(alert))
        return [self._envelope(recipient, codes.I0, body, request_id=request_id)]

    def _smets1_response(
        self, response: SMETS1SignedResponse, pending: Pending | None
    ) -> list[Envelope]:
        if pending is None:
            target = response.response.header.business_target_id
            return [
                self._envelope(target, codes.I0, SMETS1ResponseMessage(signed_response=response))
            ]
        request = pending.request
        body = SMETS1ResponseMessage(
            service_reference=request.header.service_reference,
            service_reference_variant=request.header.service_reference_variant,
            signed_response=response,
        )
        request_id = request.header.request_id
        self._log.record(
            pending.key, checks.S1SP_RESPONSE_RELAY, Outcome.RELAYED,
            f"to {request_id.originator}",
        )  # fmt: skip
        out = [
            self._envelope(
                request_id.originator, codes.I0, body,
                request_id=request_id, response_id=request_id.swapped(),
            )
        ]  # fmt: skip
        return out + self._credentials_updated(pending)

    # -- helpers ----------------------------------------------------------------------------------

    def _envelope(
        self,
        user: Eui64,
        code: codes.Code,
        body: ResponseBody,
        *,
        request_id: RequestId | None = None,
        response_id: RequestId | None = None,
    ) -> Envelope:
        return replies.envelope(
            self.credentials, user, code, body,
            now=self.now(), request_id=request_id, response_id=response_id,
        )  # fmt: skip


def _overdue(table: dict[_K, Pending], limit: datetime) -> list[Pending]:
    """Remove and return the entries routed at or before ``limit``."""
    late = [k for k, p in table.items() if p.routed_at is not None and p.routed_at <= limit]
    return [table.pop(k) for k in late]


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


def _type(usage: KeyUsage | None, index: int) -> CertificateType:
    if usage is KeyUsage.DIGITAL_SIGNATURE:
        return _TYPES[0]
    return _TYPES[2] if index >= 2 else _TYPES[1]
