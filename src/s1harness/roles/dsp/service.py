"""The emulated DSP as a sans-IO object: envelopes in, envelopes out (DESIGN §2, §3.1).

A User's request runs the access-control pipeline of :mod:`.access`; the first failure is
answered with its code, and changes nothing. An accepted critical request (CV 4) is answered
``I0`` with a GBCS pre-command; its CV 5 ``SignedPreCommand`` must carry exactly that
pre-command (E43), is acknowledged ``I99`` and routed: to a SMETS2 device in the ACB's MAC
envelope, to a SMETS1 device's S1SP as a countersigned request. A 6.21 handover is built and
signed by the DCC as ACB. Device responses, future-dated outcomes, device alerts, SMETS1
responses and S1SP alerts come back as DSP-signed DUIS responses to the right User.

Every decision is recorded in :attr:`Dsp.decisions` — which check accepted, rejected, or was
lifted by which exception — so tests can assert the exact check at each hop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    PreCommand,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestId,
    ResponseContent,
    SignedPreCommand,
    UpdateSecurityCredentialsKRP,
    parse_request,
)
from s1harness.duis.schema import DuisSchema, load_schema
from s1harness.duis.srv import Srv, lookup
from s1harness.duis.verifying import verify_message
from s1harness.gbcs.crypto import sign_apdu, wrap_mac
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.registry.model import Device, Party, Smets
from s1harness.registry.store import Registry
from s1harness.roles.decisions import Decision
from s1harness.roles.dsp import access, relay, replies, transform
from s1harness.roles.dsp.access import Admitted, Rejected
from s1harness.roles.dsp.settings import DspCredentials, DspSettings
from s1harness.smki.certificate import SmkiCertificate
from s1harness.spec.bus import Envelope, Kind, device_inbox
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage

CRITICAL_TRANSFORM, CRITICAL_SEND = 4, 5


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


class Dsp:
    """The DCC Data Service Provider.

    Args:
        registry: Parties, registration data and the Smart Metering Inventory.
        credentials: The DCC's keys and the certificates it trusts.
        settings: The MP107 and SECMP0058 switches and alert options.
        clock: The time of every check and response.
        schema: The DUIS schema (with the SECMP0058 overlay when that check is on).
    """

    def __init__(
        self,
        *,
        registry: Registry,
        credentials: DspCredentials,
        settings: DspSettings | None = None,
        clock: Callable[[], datetime],
        schema: DuisSchema | None = None,
    ) -> None:
        self.registry, self.credentials, self._clock = registry, credentials, clock
        self.settings: DspSettings = settings or DspSettings()
        self.schema = schema or load_schema(("SECMP0058",) if self.settings.mp058 else ())
        self.decisions: list[Decision] = []
        self._last_counter: dict[Eui64, int] = {}
        self._transforms: dict[str, Pending] = {}
        self.in_flight = relay.InFlight()
        self._acb_counter = 1300

    # -- requests --------------------------------------------------------------------------

    def handle(self, envelope: Envelope) -> list[Envelope]:
        """Take one envelope addressed to the DSP; returns what it sends."""
        if envelope.kind is Kind.DUIS_REQUEST:
            return self._on_request(envelope)
        if envelope.kind is Kind.GBCS_DEVICE_FRAME:
            return relay.device_frame(self, envelope)
        if envelope.kind is Kind.S1SP_RESPONSE:
            return relay.s1sp_message(self, envelope)
        return []

    def snapshot(self) -> dict[str, object]:
        """The DSP's own state: each User's last accepted RequestID counter and the requests
        awaiting a CV 5, a device or an S1SP (compare before and after a refused request)."""
        flight = self.in_flight
        return {
            "counters": dict(sorted(self._last_counter.items())),
            "transforms": sorted(self._transforms),
            "in_flight": sorted(map(str, [*flight.by_command, *flight.by_seq, *flight.by_request])),
        }

    def tick(self) -> list[Envelope]:
        """Answer E21 for every routed request whose device or S1SP has not answered within
        ``settings.response_timeout`` (future-dated commands wait for their execution alert)."""
        return relay.expire(self)

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _on_request(self, envelope: Envelope) -> list[Envelope]:
        request_id = _request_id(envelope.correlation_id)
        try:
            request, srv = self._read(envelope.payload, envelope.header("service"))
            return self._admit(request, srv, envelope.payload)
        except Rejected as rejected:
            self._record(
                str(request_id or envelope.correlation_id),
                rejected.check,
                "rejected",
                f"{rejected.code}: {rejected.reason}",
            )
            if request_id is None:
                return []
            return [self._reply(request_id, rejected.code, _variant(envelope.payload))]

    def _read(self, payload: bytes, service: str | None) -> tuple[Request, Srv]:
        """Checks 1–2b: XSD (E40), signature and signer (E41), replay (E42), and — for a
        request that names the DCC Boxed URL it was posted to — that URL (E13)."""
        try:
            root = xml.parse(payload)
        except DuisParseError as exc:
            raise Rejected("E40", "DSP check 1", exc.message) from None
        issues = self.schema.validate(root)
        if issues:
            raise Rejected("E40", "DSP check 1", str(issues[0]))
        request = parse_request(root)
        verification = verify_message(root, self.credentials.keystore, at=self.now())
        if not verification.valid:
            raise Rejected("E41", "DSP check 2", verification.reason or "signature failed")
        self._check_counter(request)
        if service is not None:
            name = access.web_service(request, service)
            self._record(
                str(request.header.request_id),
                "DSP check 2b",
                "accepted",
                f"command variant {request.header.command_variant} fits the {name} URL",
            )
        srv = lookup(request.header.service_reference_variant)
        if srv is None:
            raise Rejected(
                "E44",
                "DSP check 2",
                f"SRV {request.header.service_reference_variant} is not modelled by this DSP",
            )
        return request, srv

    def _check_counter(self, request: Request) -> None:
        request_id = request.header.request_id
        continuing = (
            request.header.command_variant == CRITICAL_SEND and str(request_id) in self._transforms
        )
        last = self._last_counter.get(request_id.originator, -1)
        if request_id.counter <= last and not continuing:
            raise Rejected(
                "E42",
                "DSP check 2",
                f"counter {request_id.counter} is not above {last}, "
                f"the last accepted from {request_id.originator}",
            )

    def _admit(self, request: Request, srv: Srv, raw: bytes) -> list[Envelope]:
        key = str(request.header.request_id)
        party = access.user_and_role(self.registry, request, srv)
        device = access.device_and_variant(self.registry, request, srv)
        self._record(key, "DSP checks 1-4", "accepted")
        body, variant = request.body, request.header.command_variant
        if srv.variant == "6.15.1" and variant == CRITICAL_SEND:
            return self._send_signed(request, raw)
        if srv.variant == "6.15.1" and isinstance(body, UpdateSecurityCredentialsKRP):
            return self._transform(request, party, device, body, raw)
        if srv.variant == "6.21" and isinstance(body, RequestHandoverOfDCCControlledDevice):
            return self._handover(request, party, device, body, raw)
        raise Rejected(
            "E12",
            "DSP check 4",
            f"command variant {variant} with this body is not handled for SRV {srv.variant}",
        )

    def _credentials_checks(
        self, key: str, admitted: Admitted, body: access.CredentialsBody, *, critical: bool
    ) -> list[SmkiCertificate]:
        """Checks 5–7 for a 6.15.1 or 6.21 body."""
        certificates = access.replacement_certificates(
            body, self.credentials.trust_anchors, self.now()
        )
        self._record(key, "DSP check 5", "accepted", f"acting as {admitted.acting_role}")
        lifted = access.rdp_exception(
            admitted.device,
            admitted.acting_role,
            body,
            mp107=self.settings.mp107,
            critical=critical,
        )
        if lifted:
            self._record(key, "SRPD 6.1(f)", "lifted", lifted)
        else:
            at = (
                body.execution_date_time
                if body.execution_date_time
                and body.execution_date_time < transform.DUIS_CANCELLATION
                else self.now()
            )
            access.eligibility(
                self.registry, admitted.party, admitted.device, admitted.acting_role, at
            )
            self._record(key, "SRPD 6.1(f)", "accepted")
        if self.settings.mp058:
            access.mp058(self.registry, admitted.device, admitted.acting_role, certificates)
            self._record(key, "SECMP0058", "accepted")
        return certificates

    def _transform(
        self,
        request: Request,
        party: Party,
        device: Device,
        body: UpdateSecurityCredentialsKRP,
        raw: bytes,
    ) -> list[Envelope]:
        key = str(request.header.request_id)
        admitted = Admitted(party, access.acting_role(party, device, body), device)
        certificates = self._credentials_checks(key, admitted, body, critical=True)
        precommand = transform.precommand(body, request.header.request_id)
        self._transforms[key] = Pending(request, admitted, raw, precommand, certificates)
        self._accept_counter(request)
        content = PreCommand(self.settings.gbcs_version, precommand.raw)
        return [self._reply(request.header.request_id, "I0", "6.15.1", content)]

    def _send_signed(self, request: Request, raw: bytes) -> list[Envelope]:
        key = str(request.header.request_id)
        pending = self._transforms.get(key)
        signed = self._signed_precommand(request, pending)
        assert pending is not None
        del self._transforms[key]
        pending.raw = raw
        self._record(key, "DSP check 8", "accepted", "signed pre-command matches the one issued")
        routed = relay.route(self, pending, signed)
        return [self._reply(request.header.request_id, "I99", "6.15.1"), *routed]

    def _signed_precommand(self, request: Request, pending: Pending | None) -> GeneralSigningApdu:
        if pending is None or pending.precommand is None:
            raise Rejected("E43", "DSP check 8", "no pre-command was issued for this RequestID")
        body = request.body
        if not isinstance(body, SignedPreCommand):
            raise Rejected("E43", "DSP check 8", "command variant 5 needs a SignedPreCommand body")
        try:
            signed = decode(body.gbcs_payload)
        except GbcsError as exc:
            raise Rejected(
                "E43", "DSP check 8", f"signed pre-command does not decode: {exc.message}"
            ) from None
        if (
            not isinstance(signed, GeneralSigningApdu)
            or signed.signature is None
            or signed.unsigned != pending.precommand.raw
        ):
            raise Rejected(
                "E43", "DSP check 8", "the signed pre-command is not the pre-command issued"
            )
        return signed

    def _handover(
        self,
        request: Request,
        party: Party,
        device: Device,
        body: RequestHandoverOfDCCControlledDevice,
        raw: bytes,
    ) -> list[Envelope]:
        key = str(request.header.request_id)
        role = access.supplier_role(party, device)
        admitted = Admitted(party, role, device)
        certificates = self._credentials_checks(key, admitted, body, critical=False)
        self._accept_counter(request)
        pending = Pending(request, admitted, raw, None, certificates)
        if device.generation is Smets.SMETS1:
            routed = relay.route(self, pending, None)
        else:
            self._acb_counter += 1
            acb_request = RequestId(self.credentials.dcc_eui, device.device_id, self._acb_counter)
            unsigned = transform.precommand(body, acb_request)
            pending.precommand = sign_apdu(unsigned, self.credentials.acb_ds_key)
            routed = relay.route(self, pending, pending.precommand)
        return [self._reply(request.header.request_id, "I99", "6.21"), *routed]

    # -- helpers ---------------------------------------------------------------------------

    def _accept_counter(self, request: Request) -> None:
        request_id = request.header.request_id
        self._last_counter[request_id.originator] = request_id.counter

    def _record(self, request_id: str, check: str, outcome: str, detail: str = "") -> None:
        self.decisions.append(Decision(request_id, check, outcome, detail))

    def _reply(
        self, request_id: RequestId, code: str, variant: str, content: ResponseContent = None
    ) -> Envelope:
        body = replies.response_message(variant, content)
        return replies.envelope(
            self.credentials,
            request_id.originator,
            code,
            body,
            now=self.now(),
            request_id=request_id,
        )

    def command_envelope(
        self, device: Device, signed: GeneralSigningApdu, correlation: str
    ) -> Envelope:
        """The ACB's MAC envelope around a command, to a SMETS2 device."""
        entries = self.credentials.keystore.find(
            eui=device.device_id, key_usage=KeyUsage.KEY_AGREEMENT
        )
        if not entries:
            raise Rejected(
                "E20", "routing", f"no key-agreement certificate for device {device.device_id}"
            )
        command = wrap_mac(signed, self.credentials.acb_ka_key, entries[0].certificate.public_key())
        return Envelope(device_inbox(device.device_id), Kind.GBCS_COMMAND, command.raw, correlation)

    def record(self, request_id: str, check: str, outcome: str, detail: str = "") -> None:
        """Record a decision taken outside the request pipeline (relays, S1SP outcomes)."""
        self._record(request_id, check, outcome, detail)


def _request_id(correlation: str) -> RequestId | None:
    try:
        return RequestId.parse(correlation)
    except (ValueError, DuisParseError):
        return None


def _variant(payload: bytes) -> str:
    marker = b"ServiceReferenceVariant>"
    start = payload.find(marker)
    end = payload.find(b"<", start + len(marker)) if start >= 0 else -1
    if start < 0 or end < 0:
        return "6.15.1"
    return payload[start + len(marker) : end].decode("ascii", "replace").strip() or "6.15.1"
