"""The emulated S1SP as a sans-IO object (docs/contract.md §2.3).

A countersigned request runs the checks of :mod:`.checks`; a refusal becomes an S1SP alert
(S1VE…) to the DSP and changes nothing. An accepted 6.15.1 (or a DCC-controlled 6.21) becomes
an ``UPDATE_SECURITY_CREDENTIALS`` instruction to the device; when the device acknowledges, the
slots and floor are replaced in one transaction and a SMETS1 response with the
``ExecutionOutcome`` goes back, signed by the S1SP. Device alerts go to the party that owns the
certificate in the device's Network Operator slot (docs/contract.md §4).

Each S1SP has its own MP107 flag: during a partial rollout the DSP lets a wrong NO's 6.15.1
through while a not-yet-updated S1SP refuses it here with S1VE4.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    Asn1Status,
    CertificateType,
    CredentialsReplacementMode,
    DuisRemotePartyRole,
    RemotePartySeqNumberChange,
    ReplacementOutcome,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestId,
)
from s1harness.duis.messages import ExecutionOutcome as Smets1Outcome
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import GeneralSigningApdu
from s1harness.registry.store import Registry
from s1harness.roles.countersigned import CountersignedRequest
from s1harness.roles.decisions import DecisionLog
from s1harness.roles.s1sp import checks, replies
from s1harness.roles.s1sp.store import Slot, SlotKind, SlotRole, SlotStore
from s1harness.roles.smets1 import frames as s1frames
from s1harness.roles.smets1.bodies import CertificateId, CredentialUpdate, OutageAlert
from s1harness.roles.smets1.codes import Cohort as FrameCohort
from s1harness.roles.smets1.codes import InstructionCode, ResponseStatus
from s1harness.roles.smets1.errors import Smets1CodecError
from s1harness.smki.certificate import SmkiCertificate, cached_certificate
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.keystore import Keystore
from s1harness.spec import checks as spec_checks
from s1harness.spec import codes
from s1harness.spec.bus import Envelope, Kind, device_inbox
from s1harness.spec.checks import Outcome, Refusal
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.roles import KeyUsage
from s1harness.spec.users import UserRole

_MODES = {
    SlotRole.NETWORK_OPERATOR: CredentialsReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
    SlotRole.SUPPLIER: CredentialsReplacementMode.SUPPLIER_BY_SUPPLIER,
}
"""The replacement mode an executed replacement reports, by the slot role it replaced."""


@dataclass
class Execution:
    """A credential replacement awaiting the device's acknowledgement."""

    request_id: RequestId
    variant: str
    target: SlotRole
    certificates: dict[SlotKind, SmkiCertificate]
    floor: int | None
    sender: SlotRole | None = None
    """The slot role of the authorising sender (None for DCC-controlled 6.21)."""
    counter: int = -1
    """The authorising originator counter (6.15.1), or the 6.21's RequestID counter."""

    def floors(self, current: int) -> dict[SlotRole | str, int]:
        """The floors once executed, given the sender's ``current`` floor: the sender's is raised
        to the executed counter (as a SMETS2 device raises its threshold, GBCS §4) — for a
        DCC-controlled 6.21, its originator's handover floor for the device; a floor the
        command carries then sets the target role's — a new remote party starts afresh."""
        floors: dict[SlotRole | str, int] = {}
        if self.sender is not None:
            floors[self.sender] = max(current, self.counter)
        else:
            floors[checks.handover_floor(self.request_id.originator)] = self.counter
        if self.floor is not None:
            floors[self.target] = self.floor
        return floors

    def to_json(self) -> str:
        return json.dumps(
            {
                "request_id": str(self.request_id),
                "variant": self.variant,
                "target": self.target.value,
                "certificates": {k.value: c.der.hex() for k, c in self.certificates.items()},
                "floor": self.floor,
                "sender": self.sender.value if self.sender else None,
                "counter": self.counter,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Execution:
        record = json.loads(text)
        return cls(
            RequestId.parse(record["request_id"]),
            record["variant"],
            SlotRole(record["target"]),
            {
                SlotKind(k): cached_certificate(bytes.fromhex(v))
                for k, v in record["certificates"].items()
            },
            record["floor"],
            SlotRole(record["sender"]) if record["sender"] else None,
            record["counter"],
        )


SrvHandler = Callable[["S1sp", CountersignedRequest, Request, "checks.SignedPrecommand"], Execution]


class S1sp:
    """One SMETS1 Service Provider (IOC, MOC or FOC).

    Args:
        cohort: The cohort it serves.
        store: Its own slot database.
        registry: Its copy of registration data (the SRPD 16.1 check).
        keystore: Certificates it trusts: the DSP's countersigning certificate.
        signer: Its own XML-signing credentials (SMETS1 responses, S1SP alerts).
        device_key: The shared integrity key of each SMETS1 device it serves.
        mp107: This S1SP's own MP107 flag.
    """

    def __init__(
        self,
        cohort: str,
        *,
        store: SlotStore,
        registry: Registry,
        keystore: Keystore,
        signer: replies.S1spSigner,
        device_key: Callable[[Eui64], bytes],
        mp107: bool,
        clock: Callable[[], datetime],
        dsp_eui: Eui64 = DCC_EUI,
    ) -> None:
        self.cohort, self.store, self.registry, self.keystore = cohort, store, registry, keystore
        self.signer, self.device_key, self.mp107, self.clock, self._dsp = (
            signer,
            device_key,
            mp107,
            clock,
            dsp_eui,
        )
        self.decisions = DecisionLog()

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def handle(self, envelope: Envelope) -> list[Envelope]:
        if envelope.kind is Kind.COUNTERSIGNED_REQUEST:
            return self._on_request(envelope)
        if envelope.kind is Kind.SMETS1_DEVICE_FRAME:
            return self._on_device(envelope)
        return []

    # -- countersigned requests ------------------------------------------------------------

    def _on_request(self, envelope: Envelope) -> list[Envelope]:
        try:
            root = xml.parse(envelope.payload)
        except DuisParseError as exc:
            self.decisions.record(
                envelope.correlation_id, spec_checks.COUNTERSIGNATURE, Outcome.REJECTED,
                f"not XML, so not answered: {exc.message}",
            )  # fmt: skip
            return []
        device = Eui64(envelope.header("device") or "0000000000000000")
        request_id = RequestId.of_correlation(envelope.correlation_id)
        try:
            cs = checks.countersignature(root, self.keystore, self._dsp)
            request = checks.inner_request(cs)
            return self._checked(cs, request)
        except Refusal as refusal:
            self.decisions.refused(str(request_id or envelope.correlation_id), refusal)
            return [
                replies.alert(
                    self.signer,
                    refusal.answer,
                    request_id=request_id,
                    device_id=device,
                    reason=refusal.detail,
                    at=self.now(),
                )
            ]

    def _checked(self, cs: CountersignedRequest, request: Request) -> list[Envelope]:
        key = str(request.header.request_id)
        precommand = checks.SignedPrecommand(cs.signed_precommand)
        exemption = checks.rdp(
            self.registry, cs, request, mp107=self.mp107, at=self.now(), precommand=precommand
        )
        if exemption is None:
            self.decisions.record(key, spec_checks.S1SP_RDP, Outcome.ACCEPTED)
        else:
            self.decisions.record(key, spec_checks.S1SP_RDP, Outcome.LIFTED, str(exemption))
        handler = self.HANDLERS[request.header.service_reference_variant]  # checks.EXECUTED
        execution = handler(self, cs, request, precommand)
        return [self._instruct(cs.device_id, execution)]

    def _update_credentials(
        self, cs: CountersignedRequest, request: Request, precommand: checks.SignedPrecommand
    ) -> Execution:
        """6.15.1: the owner, the authorising signature and the execution counter, then the
        replacement the signed pre-command carries."""
        key = str(request.header.request_id)
        slot = checks.sender_slot(UserRole(cs.user_role))
        checks.owner(self.store, cs, request, slot)
        self.decisions.record(key, spec_checks.OWNER, Outcome.ACCEPTED)
        apdu = checks.authorisation(self.store, cs, slot, precommand)
        self.decisions.record(key, spec_checks.AUTHORISATION, Outcome.ACCEPTED)
        checks.counter(self.store, cs, slot, apdu.counter)
        self.decisions.record(key, spec_checks.EXECUTION_COUNTER, Outcome.ACCEPTED)
        execution = self._replacement(request.header.request_id, precommand, apdu)
        execution.sender, execution.counter = slot, apdu.counter
        return execution

    def _replacement(
        self, request_id: RequestId, precommand: checks.SignedPrecommand, apdu: GeneralSigningApdu
    ) -> Execution:
        try:
            payload = precommand.payload(apdu)
        except GbcsError as exc:
            raise Refusal(
                spec_checks.AUTHORISATION, codes.S1VE2, f"pre-command payload: {exc.message}"
            ) from None
        certificates: dict[SlotKind, SmkiCertificate] = {}
        target = SlotRole.SUPPLIER
        for replacement in payload.replacements:
            target = SlotRole.of(int(replacement.target.role))
            kind = (
                SlotKind.CRITICAL
                if replacement.target.key_usage is KeyUsage.DIGITAL_SIGNATURE
                else SlotKind.NON_CRITICAL
            )
            if int(replacement.target.cell_usage) == 0:  # the KA top-up has no SMETS1 slot
                certificates[kind] = _certificate(replacement.certificate)
        return Execution(
            request_id, "6.15.1", target, certificates, payload.control.floor_seq_number
        )

    def _handover(
        self, cs: CountersignedRequest, request: Request, _precommand: checks.SignedPrecommand
    ) -> Execution:
        """6.21: the DCC-controlled handover the DSP countersigned, as its body says."""
        body = request.body
        assert isinstance(body, RequestHandoverOfDCCControlledDevice)  # checks.inner_request
        target = SlotRole.of(body.remote_party_role.gbcs)
        slots = {
            SlotKind.CRITICAL: body.replacement_certificates.digital_signing,
            SlotKind.NON_CRITICAL: body.replacement_certificates.key_agreement,
        }
        certificates = {kind: _certificate(der) for kind, der in slots.items() if der is not None}
        floor = body.remote_party_floor_seq_number
        checks.handover_counter(self.store, cs, request)
        self.decisions.record(
            str(request.header.request_id), spec_checks.EXECUTION_COUNTER, Outcome.ACCEPTED
        )
        request_id = request.header.request_id
        return Execution(
            request_id, "6.21", target, certificates, floor, counter=request_id.counter
        )

    HANDLERS: Mapping[str, SrvHandler] = MappingProxyType(
        {"6.15.1": _update_credentials, "6.21": _handover}
    )
    """What the S1SP executes, by SRV, once SRPD 16.1 has passed (or was lifted)."""

    def _instruct(self, device: Eui64, execution: Execution) -> Envelope:
        sequence = self.store.next_outbound(device)
        update = CredentialUpdate(
            role=execution.target.remote_party_role,
            critical=_certificate_id(execution.certificates.get(SlotKind.CRITICAL)),
            non_critical=_certificate_id(execution.certificates.get(SlotKind.NON_CRITICAL)),
        )
        instruction = s1frames.Instruction(
            cohort=FrameCohort[self.cohort],
            device_id=device,
            sequence=sequence,
            correlation=sequence,  # unique per device, unlike request counters
            code=InstructionCode.UPDATE_SECURITY_CREDENTIALS,
            body=update.to_body(),
        )
        self.store.add_pending(
            device,
            sequence,
            sender_role=execution.sender or execution.target,
            counter=execution.counter,
            record=execution.to_json(),
        )
        self.decisions.record(
            str(execution.request_id), spec_checks.INSTRUCTION, Outcome.SENT,
            f"UPDATE_SECURITY_CREDENTIALS to {device}",
        )  # fmt: skip
        sealed = s1frames.seal(instruction, self.device_key(device))
        return Envelope(
            device_inbox(device),
            Kind.SMETS1_INSTRUCTION,
            sealed,
            str(execution.request_id),
            (("cohort", self.cohort),),
        )

    # -- device frames ---------------------------------------------------------------------

    def _on_device(self, envelope: Envelope) -> list[Envelope]:
        # Decoded first only to learn whose key checks the tag; nothing decoded is acted on
        # before the tag verifies and the sequence is fresh.
        try:
            frame = s1frames.decode(envelope.payload)
        except Smets1CodecError as exc:
            self._frame_rejected(envelope.correlation_id, exc.message)
            return []
        if not s1frames.verify(envelope.payload, self.device_key(frame.device_id)):
            self._frame_rejected(envelope.correlation_id, "integrity tag does not verify")
            return []
        if not self.store.accept_inbound(frame.device_id, frame.sequence):
            self._frame_rejected(
                envelope.correlation_id,
                f"sequence {frame.sequence} from {frame.device_id} is not fresh (replayed?)",
            )
            return []
        if isinstance(frame, s1frames.DeviceResponse):
            return self._on_response(frame)
        if isinstance(frame, s1frames.DeviceAlert):
            return self._on_alert(frame)
        return []

    def _on_response(self, frame: s1frames.DeviceResponse) -> list[Envelope]:
        record = self.store.pending(frame.device_id, frame.correlation)
        if record is None:
            self._frame_rejected(
                f"{frame.device_id}:{frame.sequence}",
                f"no instruction awaiting an answer with correlation {frame.correlation}",
            )
            return []
        execution = Execution.from_json(record)
        key = str(execution.request_id)
        if frame.status is not ResponseStatus.OK:
            self.store.complete(frame.device_id, frame.correlation, execution.target, None)
            reason = f"device answered {frame.status.name}"
            self.decisions.record(key, spec_checks.EXECUTION, Outcome.REJECTED, reason, codes.S1VE5)
            return [
                replies.alert(
                    self.signer,
                    codes.S1VE5,
                    request_id=execution.request_id,
                    device_id=frame.device_id,
                    reason=f"device answered {frame.status.name}",
                    at=self.now(),
                )
            ]
        existing = {
            kind: self.store.slot(frame.device_id, execution.target, kind)
            for kind in execution.certificates
        }
        self.store.complete(
            frame.device_id,
            frame.correlation,
            execution.target,
            execution.certificates,
            floors=execution.floors(
                self.store.floor(frame.device_id, execution.sender or execution.target)
            ),
        )
        self.decisions.record(
            key, spec_checks.EXECUTION, Outcome.ACCEPTED,
            f"{execution.target.value} slots of {frame.device_id} replaced",
        )  # fmt: skip
        outcome = _outcome(execution, existing)
        return [
            replies.credentials_response(
                self.signer, execution.request_id, outcome, variant=execution.variant, at=self.now()
            )
        ]

    def _on_alert(self, frame: s1frames.DeviceAlert) -> list[Envelope]:
        """Route to the owner of the Network Operator slot (outage alerts are the NO's)."""
        slot = self.store.slot(
            frame.device_id, SlotRole.NETWORK_OPERATOR, SlotKind.NON_CRITICAL
        ) or self.store.slot(frame.device_id, SlotRole.NETWORK_OPERATOR, SlotKind.CRITICAL)
        if slot is None or slot.owner is None:
            self.decisions.record(
                f"{frame.device_id}:{frame.sequence}", spec_checks.ALERT_ROUTING,
                Outcome.REJECTED, "no Network Operator slot",
            )  # fmt: skip
            return []
        code = f"{int(frame.alert_code):04X}"
        description = _describe(frame)
        self.decisions.record(
            f"{frame.device_id}:{frame.sequence}", spec_checks.ALERT_ROUTING, Outcome.ACCEPTED,
            f"{code} to {slot.owner}",
        )  # fmt: skip
        return [
            replies.device_alert(
                self.signer,
                frame.device_id,
                slot.owner,
                counter=frame.sequence,
                code=code,
                description=description,
                at=self.now(),
            )
        ]

    def _frame_rejected(self, key: str, detail: str) -> None:
        self.decisions.record(key, spec_checks.S1SP_DEVICE_FRAME, Outcome.REJECTED, detail)


def _certificate(der: bytes) -> SmkiCertificate:
    try:
        return cached_certificate(der)
    except CertificateParseError as exc:
        raise Refusal(
            spec_checks.AUTHORISATION, codes.S1VE2, f"replacement certificate: {exc.message}"
        ) from None


def _certificate_id(cert: SmkiCertificate | None) -> CertificateId | None:
    if cert is None:
        return None
    return CertificateId(cert.serial, cert.issuer.get("2.5.4.3") or "")


def _outcome(execution: Execution, existing: Mapping[SlotKind, Slot | None]) -> Smets1Outcome:
    role = DuisRemotePartyRole.of(execution.target.remote_party_role)
    outcomes = tuple(
        ReplacementOutcome(
            status_code=Asn1Status("success", 0),
            certificate_type=CertificateType(
                "DigitalSigning" if kind is SlotKind.CRITICAL else "KeyAgreement"
            ),
            remote_party_role=role,
            existing_remote_party_id=getattr(existing.get(kind), "owner", None),
            new_remote_party_id=cert.eui,
            existing_certificate_hash=_sha1(getattr(existing.get(kind), "certificate", None)),
            new_certificate_hash=_sha1(cert),
        )
        for kind, cert in execution.certificates.items()
    )
    change = (
        RemotePartySeqNumberChange(role, execution.floor) if execution.floor is not None else None
    )
    return Smets1Outcome(
        authorising_remote_party_originator_counter=execution.request_id.counter,
        credentials_replacement_mode=_MODES[execution.target],
        remote_party_seq_number_change=change,
        replacement_outcomes=outcomes,
    )


def _sha1(cert: SmkiCertificate | None) -> bytes | None:
    return hashlib.sha1(cert.der, usedforsecurity=False).digest() if cert is not None else None


def _describe(frame: s1frames.DeviceAlert) -> str:
    try:
        outage = OutageAlert.from_body(frame.body)
    except Exception:  # noqa: BLE001 - an alert without outage fields is described by its code
        return f"SMETS1 alert {int(frame.alert_code):04X}"
    end = f" to {outage.outage_end.isoformat()}" if outage.outage_end else ""
    return f"supply outage from {outage.outage_start.isoformat()}{end}"
