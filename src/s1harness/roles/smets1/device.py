"""The SMETS1 device as a sans-IO state machine: frames in, sealed frames out.

How a device treats a frame (docs/smets1-instruction-frame.md §5), in this order:

1. **No supply, no device.** While a power outage lasts the device hears nothing: every frame
   is dropped (``POWERED_OFF``).
2. **Authenticate before parsing.** A frame whose integrity tag does not verify under the
   device key is dropped without an answer and without any state change: answering would make
   the device an oracle for forgeries. The reason is kept in :attr:`last_rejection`.
3. **Only what is addressed to it.** An authentic frame that does not decode, is not an
   instruction, or names another device is dropped the same way (there is nothing sound to
   answer).
4. **Anti-replay.** An instruction whose sequence counter is not above the device's floor is
   answered ``REPLAY`` and does nothing. Any fresh authentic instruction raises the floor,
   whatever its outcome, as a GBCS device raises its per-role floor.
5. **Execute.** The per-class handler table maps instruction codes to handlers; a code the
   class has no handler for is ``NOT_SUPPORTED_BY_DEVICE_TYPE`` when the protocol defines it
   and ``BAD_INSTRUCTION`` otherwise, as is an instruction for another cohort or with a body
   the handler cannot read. Handlers read the whole body before they change anything.

Responses and alerts share one outbound sequence counter, so the S1SP keeps a single floor per
device. Alerts name no recipient: the S1SP routes them to the owner of the device's Network
Operator slot.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

from s1harness.roles.smets1.bodies import (
    CertificateId,
    CredentialsRecorded,
    CredentialUpdate,
    DeviceStatus,
    OutageAlert,
    as_utc,
    diagnostic,
    diagnostic_tlv,
    no_fields,
)
from s1harness.roles.smets1.codes import (
    LONG_OUTAGE,
    AlertCode,
    Cohort,
    DeviceType,
    InstructionCode,
    ResponseStatus,
)
from s1harness.roles.smets1.errors import Smets1CodecError
from s1harness.roles.smets1.frames import (
    DeviceAlert,
    DeviceResponse,
    Instruction,
    Tlv,
    check_key,
    decode,
    seal,
    verify,
)
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

Clock = Callable[[], datetime]


class RejectionReason(enum.StrEnum):
    """Why the device did not carry out a frame."""

    POWERED_OFF = "powered-off"
    INTEGRITY_FAILURE = "integrity-failure"
    MALFORMED = "malformed"
    NOT_AN_INSTRUCTION = "not-an-instruction"
    WRONG_DEVICE = "wrong-device"
    REPLAY = "replay"
    NOT_SUPPORTED = "not-supported-by-device-type"
    BAD_INSTRUCTION = "bad-instruction"


@dataclass(frozen=True, slots=True)
class Rejection:
    """The last frame the device refused: why, when, and whether it answered."""

    reason: RejectionReason
    detail: str
    at: datetime
    answered: bool


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """What the device knows of one role's credentials: how often they changed, and the IDs.

    A SMETS1 meter holds no GBCS trust anchors; it records the generation the S1SP notified.
    """

    generation: int
    critical: CertificateId | None = None
    non_critical: CertificateId | None = None


@dataclass(frozen=True)
class DeviceState:
    """A device's protocol state: the initial state to build one with, or a snapshot.

    Attributes:
        instruction_floor: The highest instruction sequence counter accepted so far.
        sequence: The last outbound (response and alert) sequence counter used.
        credentials: The credential record per slot role.
        outage_start: When the current power outage began; ``None`` while powered.
    """

    instruction_floor: int = 0
    sequence: int = 0
    credentials: Mapping[RemotePartyRole, CredentialRecord] = field(default_factory=dict)
    outage_start: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a handler decided: the response status and body."""

    status: ResponseStatus
    body: tuple[Tlv, ...] = ()


Handler = Callable[[Any, Instruction], Outcome]
"""A handler: ``(device, instruction) -> Outcome`` (``Any`` lets subclasses narrow ``self``)."""


class Smets1Device:
    """A SMETS1 device behind an S1SP: the behaviour both ESME and GPF share.

    Args:
        device_id: The device's EUI-64.
        cohort: The cohort whose S1SP instructs it.
        key: The 32-octet key shared with that S1SP (see ``Smets1Commissioning``).
        clock: The device clock.
        state: The initial protocol state (default: fresh, powered, no credentials).
    """

    DEVICE_TYPE: ClassVar[DeviceType]

    def __init__(
        self,
        device_id: Eui64 | str,
        cohort: Cohort,
        key: bytes,
        clock: Clock,
        state: DeviceState | None = None,
    ) -> None:
        state = state or DeviceState()
        self.device_id, self.cohort, self._clock = Eui64(device_id), Cohort(cohort), clock
        check_key(key)
        self._key = bytes(key)
        self._floor, self._sequence = state.instruction_floor, state.sequence
        self._credentials = dict(state.credentials)
        self._outage_start = state.outage_start and as_utc(state.outage_start)
        self.last_rejection: Rejection | None = None

    @property
    def state(self) -> DeviceState:
        """A snapshot of the protocol state."""
        credentials = MappingProxyType(dict(self._credentials))
        return DeviceState(self._floor, self._sequence, credentials, self._outage_start)

    @property
    def powered(self) -> bool:
        return self._outage_start is None

    def credential_generation(self, role: RemotePartyRole) -> int:
        """How many credential updates the device has recorded for ``role`` (0: none)."""
        record = self._credentials.get(role)
        return 0 if record is None else record.generation

    def receive(self, frame: bytes) -> list[bytes]:
        """Take one frame from the S1SP; return the sealed frames to send back (0 or 1)."""
        now = self._now()
        if not self.powered:
            return self._drop(RejectionReason.POWERED_OFF, "no supply", now)
        if not verify(frame, self._key):
            return self._drop(RejectionReason.INTEGRITY_FAILURE, "tag does not verify", now)
        try:
            instruction = decode(frame)
        except Smets1CodecError as exc:
            return self._drop(RejectionReason.MALFORMED, str(exc), now)
        if not isinstance(instruction, Instruction):
            kind = instruction.FRAME_TYPE.name.lower()
            return self._drop(RejectionReason.NOT_AN_INSTRUCTION, f"a {kind} frame", now)
        if instruction.device_id != self.device_id:
            detail = f"addressed to {instruction.device_id}"
            return self._drop(RejectionReason.WRONG_DEVICE, detail, now)
        return [self._answer(instruction, self._admit(instruction), now)]

    def _admit(self, instruction: Instruction) -> Outcome:
        if instruction.sequence <= self._floor:
            detail = f"sequence {instruction.sequence} is not above {self._floor}"
            return Outcome(ResponseStatus.REPLAY, (diagnostic_tlv(detail),))
        self._floor = instruction.sequence
        if instruction.cohort != self.cohort:
            sender, own = instruction.cohort.name, self.cohort.name
            return _refuse(f"instruction from the {sender} S1SP; the device is in {own}")
        return self._execute(instruction)

    def _execute(self, instruction: Instruction) -> Outcome:
        code = instruction.code
        if not isinstance(code, InstructionCode):
            return _refuse(f"unknown instruction code {code:04X}")
        handler = self.HANDLERS.get(code)
        if handler is None:
            detail = f"{code.name} is not supported by a {self.DEVICE_TYPE.name}"
            return Outcome(ResponseStatus.NOT_SUPPORTED_BY_DEVICE_TYPE, (diagnostic_tlv(detail),))
        try:
            return handler(self, instruction)
        except Smets1CodecError as exc:
            return _refuse(str(exc))

    def _answer(self, instruction: Instruction, outcome: Outcome, now: datetime) -> bytes:
        if outcome.status != ResponseStatus.OK:
            detail = diagnostic(outcome.body) or outcome.status.name
            reason = _REASONS[outcome.status]
            self.last_rejection = Rejection(reason, detail, now, answered=True)
        self._sequence += 1
        response = DeviceResponse(
            cohort=self.cohort,
            device_id=self.device_id,
            sequence=self._sequence,
            correlation=instruction.correlation,
            code=instruction.code,
            status=outcome.status,
            body=outcome.body,
        )
        return seal(response, self._key)

    def _drop(self, reason: RejectionReason, detail: str, now: datetime) -> list[bytes]:
        self.last_rejection = Rejection(reason, detail, now, answered=False)
        return []

    def _now(self) -> datetime:
        return as_utc(self._clock())

    # -- handlers shared by every device type -------------------------------------------------

    def _status(self, instruction: Instruction) -> Outcome:
        no_fields(instruction.body)
        return Outcome(ResponseStatus.OK, DeviceStatus(self.DEVICE_TYPE, self._now()).to_body())

    def _update_credentials(self, instruction: Instruction) -> Outcome:
        update = CredentialUpdate.from_body(instruction.body)
        previous = self._credentials.get(update.role, CredentialRecord(0))
        record = CredentialRecord(
            previous.generation + 1,
            update.critical or previous.critical,
            update.non_critical or previous.non_critical,
        )
        self._credentials[update.role] = record
        recorded = CredentialsRecorded(update.role, record.generation)
        return Outcome(ResponseStatus.OK, recorded.to_body())

    HANDLERS: ClassVar[Mapping[InstructionCode, Handler]] = MappingProxyType(
        {
            InstructionCode.JOIN: _status,
            InstructionCode.PING: _status,
            InstructionCode.UPDATE_SECURITY_CREDENTIALS: _update_credentials,
        }
    )
    """The instructions this class carries out (subclasses extend it)."""

    # -- power and alerts ---------------------------------------------------------------------

    def power_outage(self, at: datetime | None = None) -> list[bytes]:
        """The supply is lost at ``at`` (default: now): the sealed 8F57 last-gasp alert.

        Returns ``[]`` if the device is already without supply.
        """
        moment = _whole_second(at or self._clock())
        if not self.powered:
            return []
        self._power_changing(moment)
        self._outage_start = moment
        return [self._alert(AlertCode.SUPPLY_INTERRUPTED, OutageAlert(moment, moment))]

    def power_restored(self, at: datetime | None = None) -> list[bytes]:
        """The supply is back at ``at``: 8F36 for an outage of 3 minutes or more, else 8F35.

        Returns ``[]`` if there was no outage.

        Raises:
            InputError: if ``at`` is before the outage began.
        """
        moment, start = _whole_second(at or self._clock()), self._outage_start
        if start is None:
            return []
        if moment < start:
            raise InputError(f"supply restored at {moment} before it was lost at {start}")
        self._power_changing(moment)
        self._outage_start = None
        code = AlertCode.SUPPLY_OUTAGE_RESTORED
        if moment - start >= LONG_OUTAGE:
            code = AlertCode.SUPPLY_OUTAGE_RESTORED_3_MINUTES
        return [self._alert(code, OutageAlert(moment, start, moment))]

    def _power_changing(self, at: datetime) -> None:
        """Called just before the supply is lost or restored (the ESME settles its register)."""

    def _alert(self, code: AlertCode, body: OutageAlert) -> bytes:
        self._sequence += 1
        alert = DeviceAlert(
            cohort=self.cohort,
            device_id=self.device_id,
            sequence=self._sequence,
            alert_code=code,
            body=body.to_body(),
        )
        return seal(alert, self._key)


def _refuse(detail: str) -> Outcome:
    return Outcome(ResponseStatus.BAD_INSTRUCTION, (diagnostic_tlv(detail),))


def _whole_second(moment: datetime) -> datetime:
    """Frames carry whole seconds, so outage arithmetic does too."""
    return as_utc(moment).replace(microsecond=0)


_REASONS = {
    ResponseStatus.REPLAY: RejectionReason.REPLAY,
    ResponseStatus.NOT_SUPPORTED_BY_DEVICE_TYPE: RejectionReason.NOT_SUPPORTED,
    ResponseStatus.BAD_INSTRUCTION: RejectionReason.BAD_INSTRUCTION,
    ResponseStatus.INTEGRITY_FAILURE: RejectionReason.INTEGRITY_FAILURE,
}
