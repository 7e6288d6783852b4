"""The emulated DSP as a sans-IO object: envelopes in, envelopes out (docs/contract.md §2.2).

A User's request runs the checks of :mod:`.checks` in order; the first failure is answered
with its code, and changes nothing. An accepted critical request (CV 4) is answered ``I0``
with a GBCS pre-command; its CV 5 ``SignedPreCommand`` must carry exactly that pre-command
(E43), is acknowledged ``I99`` and routed by the :class:`~.relay.Relay`: to a SMETS2 device in
the ACB's MAC envelope, to a SMETS1 device's S1SP as a countersigned request. A 6.21 handover
is built and signed by the DCC as ACB. What comes back is relayed as DSP-signed DUIS.

Every decision is recorded in :attr:`Dsp.decisions` — which check accepted, rejected, or was
lifted by which exemption — so tests can assert the exact check at each hop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeVar

from s1harness.duis.messages import (
    PreCommand,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestId,
    ResponseContent,
    UpdateSecurityCredentialsKRP,
    parse_request,
)
from s1harness.duis.schema import DuisSchema, load_schema
from s1harness.duis.srv import Srv
from s1harness.gbcs.crypto import sign_apdu
from s1harness.registry.model import Device, Party
from s1harness.registry.store import Registry
from s1harness.roles.decisions import DecisionLog
from s1harness.roles.dsp import checks, replies, transform
from s1harness.roles.dsp.checks import Admitted
from s1harness.roles.dsp.relay import Pending, Relay
from s1harness.roles.dsp.settings import DspCredentials, DspSettings
from s1harness.roles.dsp.state import DspState, Tracked
from s1harness.smki.certificate import SmkiCertificate
from s1harness.spec import checks as spec_checks
from s1harness.spec import codes
from s1harness.spec.bus import Envelope, Kind
from s1harness.spec.checks import Outcome, Refusal
from s1harness.spec.codes import Code
from s1harness.spec.devices import Smets
from s1harness.spec.identifiers import Eui64

CRITICAL_TRANSFORM, CRITICAL_SEND, NON_CRITICAL = 4, 5, 1

ACB_COUNTER_START = 1300
"""The DCC's ACB RequestID counter before its first 6.21 command to a SMETS2 device."""
_K = TypeVar("_K")
_V = TypeVar("_V")
RequestHandler = Callable[["Dsp", Request, Srv, bytes, Party, Device], list[Envelope]]


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
        self._schema = schema
        self.decisions = DecisionLog()
        self._last_counter: dict[Eui64, int] = {}
        self._transforms: dict[str, Pending] = {}
        self.relay = Relay(
            registry=registry,
            credentials=credentials,
            settings=self.settings,
            clock=clock,
            log=self.decisions,
        )
        self._acb_counter = ACB_COUNTER_START
        self._state: DspState | None = None

    def attach(self, state: DspState) -> None:
        """Keep this DSP's own state (counters, requests in flight) in ``state``: what it holds
        is loaded now, and :meth:`flush` writes what changed since."""
        registry = self.registry
        self._state = state
        self._last_counter = Tracked(state.counters())
        self._acb_counter = state.value("acb_counter", ACB_COUNTER_START)
        self._transforms = Tracked(state.pending("transforms", str, registry))
        flight = self.relay.in_flight
        flight.by_command = Tracked(state.pending("by_command", _device_and_number, registry))
        flight.by_seq = Tracked(state.pending("by_seq", _device_and_number, registry))
        flight.by_request = Tracked(state.pending("by_request", str, registry))

    def reload(self) -> None:
        """Take the attached state from its database again, dropping what changed in memory
        since the last flush that committed (a transaction rolled back)."""
        if self._state is not None:
            self.attach(self._state)

    def flush(self) -> None:
        """Write to the attached state what changed since the last flush (nothing attached:
        nothing to do). Called inside the transaction that records the message handled."""
        state = self._state
        if state is None:
            return
        flight = self.relay.in_flight
        state.write_counters(_changes(self._last_counter))
        state.write_value("acb_counter", self._acb_counter)
        for name, table in (
            ("transforms", self._transforms),
            ("by_command", flight.by_command),
            ("by_seq", flight.by_seq),
            ("by_request", flight.by_request),
        ):
            state.write_pending(name, _changes(table))

    # -- envelopes -----------------------------------------------------------------------------

    def handle(self, envelope: Envelope) -> list[Envelope]:
        """Take one envelope addressed to the DSP; returns what it sends."""
        if envelope.kind is Kind.DUIS_REQUEST:
            return self._on_request(envelope)
        if envelope.kind is Kind.GBCS_DEVICE_FRAME:
            return self.relay.device_frame(envelope)
        if envelope.kind is Kind.S1SP_RESPONSE:
            return self.relay.s1sp_message(envelope)
        return []

    def snapshot(self) -> dict[str, object]:
        """The DSP's own state: each User's last accepted RequestID counter and the requests
        awaiting a CV 5, a device or an S1SP (compare before and after a refused request)."""
        return {
            "counters": dict(sorted(self._last_counter.items())),
            "transforms": sorted(self._transforms),
            "in_flight": self.relay.in_flight.keys(),
        }

    def tick(self) -> list[Envelope]:
        """Answer E21 for every routed request whose device or S1SP has not answered within
        ``settings.response_timeout`` (future-dated commands wait for their execution alert)."""
        return self.relay.expire()

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    @property
    def schema(self) -> DuisSchema:
        """The DUIS schema requests are validated against, loaded at the first request (so a
        DSP can be built, and its estate's other roles tested, where the XSD is not at hand)."""
        if self._schema is None:
            self._schema = load_schema(("SECMP0058",) if self.settings.mp058 else ())
        return self._schema

    # -- a User's request ------------------------------------------------------------------------

    def _on_request(self, envelope: Envelope) -> list[Envelope]:
        request_id = RequestId.of_correlation(envelope.correlation_id)
        try:
            request, srv = self._read(envelope.payload, envelope.header("service"))
            return self._admit(request, srv, envelope.payload)
        except Refusal as refusal:
            self.decisions.refused(str(request_id or envelope.correlation_id), refusal)
            if request_id is None:
                return []
            return [self._reply(request_id, refusal.answer, _variant(envelope.payload))]

    def _read(self, payload: bytes, service: str | None) -> tuple[Request, Srv]:
        """The checks on the document: XSD, signature, counter, web service, SRV support."""
        root = checks.schema(payload, self.schema)
        request = parse_request(root)
        key = str(request.header.request_id)
        self.decisions.record(key, spec_checks.DUIS_XSD, Outcome.ACCEPTED)
        checks.signature(root, self.credentials.keystore, self.now())
        self.decisions.record(key, spec_checks.DUIS_SIGNATURE, Outcome.ACCEPTED)
        request_id = request.header.request_id
        continuing = (
            request.header.command_variant == CRITICAL_SEND and str(request_id) in self._transforms
        )
        last = self._last_counter.get(request_id.originator, -1)
        checks.counter(request, last, continuing=continuing)
        self.decisions.record(key, spec_checks.DUIS_REPLAY, Outcome.ACCEPTED)
        if service is not None:
            name = checks.web_service(request, service)
            self.decisions.record(
                key, spec_checks.WEB_SERVICE, Outcome.ACCEPTED,
                f"command variant {request.header.command_variant} fits the {name} URL",
            )  # fmt: skip
        srv = checks.srv_supported(request)
        self.decisions.record(key, spec_checks.SRV_SUPPORTED, Outcome.ACCEPTED)
        return request, srv

    def _admit(self, request: Request, srv: Srv, raw: bytes) -> list[Envelope]:
        key = str(request.header.request_id)
        party = checks.user_and_role(self.registry, request, srv)
        self.decisions.record(key, spec_checks.ACCESS_MATRIX, Outcome.ACCEPTED)
        device = checks.device_and_variant(self.registry, request, srv)
        handler = self.HANDLERS.get((srv.variant, request.header.command_variant))
        if handler is None:
            raise checks.unhandled_variant(request.header.command_variant, srv)
        self.decisions.record(key, spec_checks.DEVICE, Outcome.ACCEPTED)
        return handler(self, request, srv, raw, party, device)

    def _credentials_checks(
        self, key: str, admitted: Admitted, body: checks.CredentialsBody, srv: Srv
    ) -> list[SmkiCertificate]:
        """The body rules, SRPD 6.1(f) and SECMP0058 for a 6.15.1 or 6.21 body."""
        certificates = checks.replacement_certificates(
            body, self.credentials.trust_anchors, self.now()
        )
        self.decisions.record(
            key, spec_checks.CREDENTIALS_BODY, Outcome.ACCEPTED, f"acting as {admitted.acting_role}"
        )
        critical = srv.variant == "6.15.1"
        exemption = checks.rdp_exemption(
            admitted, body, srv, mp107=self.settings.mp107, critical=critical
        )
        if exemption is not None:
            self.decisions.record(key, spec_checks.RDP, Outcome.LIFTED, str(exemption))
        else:
            checks.eligibility(self.registry, admitted, self._eligible_at(body))
            self.decisions.record(key, spec_checks.RDP, Outcome.ACCEPTED)
        if self.settings.mp058:
            checks.mp058(self.registry, admitted, certificates)
            self.decisions.record(key, spec_checks.MP058, Outcome.ACCEPTED)
        return certificates

    def _eligible_at(self, body: checks.CredentialsBody) -> datetime:
        """When SRPD 6.1(f) is judged: a future-dated request's execution time, else now."""
        when = body.execution_date_time
        if when and when < transform.DUIS_CANCELLATION:
            return when
        return self.now()

    # -- the SRV handlers ------------------------------------------------------------------------

    def _transform(
        self, request: Request, srv: Srv, raw: bytes, party: Party, device: Device
    ) -> list[Envelope]:
        """6.15.1 CV 4: the checks, then the GBCS pre-command for the User to sign (I0)."""
        body = request.body
        if not isinstance(body, UpdateSecurityCredentialsKRP):
            raise checks.unhandled_variant(CRITICAL_TRANSFORM, srv)
        key = str(request.header.request_id)
        admitted = Admitted(party, checks.placing_role(party, device, body), device)
        certificates = self._credentials_checks(key, admitted, body, srv)
        precommand = transform.precommand(body, request.header.request_id)
        self._transforms[key] = Pending(request, admitted, raw, precommand, certificates)
        self._accept_counter(request)
        content = PreCommand(self.settings.gbcs_version, precommand.raw)
        return [self._reply(request.header.request_id, codes.I0, srv.variant, content)]

    def _send_signed(
        self, request: Request, srv: Srv, raw: bytes, _party: Party, _device: Device
    ) -> list[Envelope]:
        """6.15.1 CV 5: the signed pre-command is the one issued (E43); I99, then route (the
        transform stays pending should routing fail)."""
        key = str(request.header.request_id)
        pending = self._transforms.get(key)
        signed = checks.signed_precommand(request, pending.precommand if pending else None)
        assert pending is not None  # the pre-command check needs one
        self.decisions.record(
            key,
            spec_checks.PRECOMMAND,
            Outcome.ACCEPTED,
            "signed pre-command matches the one issued",
        )
        # A copy goes on: should routing refuse, the transform stays as it was, CV 4 and all.
        sent = dataclasses.replace(pending, read_from=pending.read_from or pending.raw, raw=raw)
        routed = self.relay.route(sent, signed)
        del self._transforms[key]
        return [self._reply(request.header.request_id, codes.I99, srv.variant), *routed]

    def _handover(
        self, request: Request, srv: Srv, raw: bytes, party: Party, device: Device
    ) -> list[Envelope]:
        """6.21: the checks, I99, then the DCC's own command as ACB (SMETS2) or the
        countersigned request (SMETS1)."""
        body = request.body
        if not isinstance(body, RequestHandoverOfDCCControlledDevice):
            raise checks.unhandled_variant(request.header.command_variant, srv)
        key = str(request.header.request_id)
        admitted = Admitted(party, checks.supplier_role(party, device), device)
        certificates = self._credentials_checks(key, admitted, body, srv)
        pending = Pending(request, admitted, raw, None, certificates)
        if device.generation is Smets.SMETS2:
            self._acb_counter += 1
            acb_request = RequestId(self.credentials.dcc_eui, device.device_id, self._acb_counter)
            unsigned = transform.precommand(body, acb_request)
            pending.precommand = sign_apdu(unsigned, self.credentials.acb_ds_key)
        routed = self.relay.route(pending, pending.precommand)
        self._accept_counter(request)
        return [self._reply(request.header.request_id, codes.I99, srv.variant), *routed]

    HANDLERS: Mapping[tuple[str, int], RequestHandler] = MappingProxyType(
        {
            ("6.15.1", CRITICAL_TRANSFORM): _transform,
            ("6.15.1", CRITICAL_SEND): _send_signed,
            ("6.21", NON_CRITICAL): _handover,
        }
    )
    """The SRV handlers by (SRV, CommandVariant), past the access matrix and device checks."""

    # -- helpers ---------------------------------------------------------------------------------

    def _accept_counter(self, request: Request) -> None:
        request_id = request.header.request_id
        self._last_counter[request_id.originator] = request_id.counter

    def _reply(
        self, request_id: RequestId, code: Code, variant: str, content: ResponseContent = None
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


def _changes(table: Mapping[_K, _V]) -> list[tuple[_K, _V | None]]:
    return table.changes() if isinstance(table, Tracked) else []


def _device_and_number(key: list[str | int]) -> tuple[Eui64, int]:
    return Eui64(str(key[0])), int(key[1])


def _variant(payload: bytes) -> str:
    marker = b"ServiceReferenceVariant>"
    start = payload.find(marker)
    end = payload.find(b"<", start + len(marker)) if start >= 0 else -1
    if start < 0 or end < 0:
        return "6.15.1"
    return payload[start + len(marker) : end].decode("ascii", "replace").strip() or "6.15.1"
