"""A SMETS2 device (ESME, GSME, GPF) as a sans-IO object: frames in, frames out.

The device implements CS02b Update Security Credentials (0x0102..0x0109) and CS02g
(0x0125/0x0126) as GBCS describes and RTDS shows them:

``receive(frame)``
    runs the checks of :mod:`.checks`. A refused command changes nothing and yields no frame;
    :attr:`Smets2Device.last_rejection` (or :meth:`Smets2Device.receive_detailed`) says why.
    An accepted command raises its authoriser's floor to the command counter, then:

    * immediate (no executionDateTime, or one not in the future): executed at once, answered
      with the outcome;
    * future-dated: held — one per authorising role, a newer one replacing it — and answered
      with the bare ``30 02 05 00``;
    * cancellation (executionDateTime 9999-12-31T23:59:59Z): drops the held command of the same
      authorising role (if any) and is answered ``30 02 05 00``; nothing else happens.

``tick()``
    executes the held commands whose time has come (at the device clock) and emits, for each,
    an 8F66 (every cell replaced) or 8F67 alert to its originator, with the device's alert
    counter, which then increases by one.

Certification path validation runs at execution, at the device clock: for a future-dated
command, when it executes. (RTDS reports success for commands executed in 2030 with
certificates that expired in 2026, so its device evidently validated at receipt or with a
clock of its own; the emulator follows the device clock it is given.)

Every response and alert is critical: signed with the device's DS key, as a bare ``DF``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from s1harness.gbcs.crypto import verify_mac
from s1harness.gbcs.frames import GeneralSigningApdu, MacEnvelope
from s1harness.gbcs.payloads.cells import TrustAnchorCell
from s1harness.roles.smets2.cells import ROOT, CellContent, DeviceType, TrustAnchorCells
from s1harness.roles.smets2.checks import AcceptedCommand, MacVerifier, authenticate, decode_frame
from s1harness.roles.smets2.commissioning import Commissioning, device_credentials
from s1harness.roles.smets2.floors import FloorSeqNumbers
from s1harness.roles.smets2.outbound import DeviceKeys, build_alert, build_response, protect
from s1harness.roles.smets2.rejection import RefusalError, Rejection
from s1harness.roles.smets2.replacement import Execution, execute
from s1harness.smki import IssuedCertificate, PartyCredentials, SmkiCertificate, TestPki
from s1harness.smki.keys import PrivateKey, public_point
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

Clock = Callable[[], datetime]
CANCELLATION = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
"""The executionDateTime that cancels a held future-dated command (as the RTDS cancellation
vectors carry it)."""


@dataclass(frozen=True, slots=True)
class Reception:
    """What the device did with one frame: the frames it emits, or why it refused."""

    frames: tuple[bytes, ...]
    rejection: Rejection | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """A future-dated command the device holds until ``execute_at``."""

    accepted: AcceptedCommand
    execute_at: datetime


@dataclass(frozen=True, slots=True)
class Smets2State:
    """What a device has changed since it was commissioned: the certificate in every cell but
    the root (None for an empty one), its floors, its next alert counter and the future-dated
    commands it holds (see :mod:`.store`)."""

    cells: Mapping[TrustAnchorCell, SmkiCertificate | None]
    floors: FloorSeqNumbers
    next_alert_counter: int
    pending: tuple[PendingCommand, ...]


class Smets2Device:
    """An ESME, GSME or GPF with its trust anchor cells, floors and alert counter.

    Args:
        device_id: The device's EUI-64 (the Business Target of its commands).
        device_type: ESME, GSME or GPF.
        ds_key / ds_certificate: The device's Digital Signing credentials.
        ka_key / ka_certificate: The device's Key Agreement credentials.
        cells: The trust anchor cells at commissioning.
        clock: The device clock (timezone-aware UTC).
        floors: Initial floor sequence numbers (0 for every role by default).
        next_alert_counter: The counter of the device's next alert.
        mac_verifier: Overrides the MAC check (envelope, ACB KA certificate) → bool. Only for
            golden tests whose device KA private key is not public: the check can then be made
            from the ACB side, ECDH being symmetric.

    Raises:
        InputError: if a key does not match its certificate, or the DS certificate is not the
            device's.
    """

    def __init__(
        self,
        device_id: Eui64 | str,
        device_type: DeviceType | str,
        *,
        ds_key: PrivateKey,
        ds_certificate: SmkiCertificate,
        ka_key: PrivateKey,
        ka_certificate: SmkiCertificate,
        cells: TrustAnchorCells,
        clock: Clock,
        floors: FloorSeqNumbers | None = None,
        next_alert_counter: int = 0,
        mac_verifier: MacVerifier | None = None,
    ) -> None:
        self.device_id = Eui64(device_id)
        self.device_type = DeviceType(device_type)
        _check_credentials(self.device_id, ds_key, ds_certificate, ka_key, ka_certificate)
        self.ds_certificate, self.ka_certificate = ds_certificate, ka_certificate
        self._keys = DeviceKeys(self.device_id, ds_key, ka_key)
        self._cells, self._clock = cells, clock
        self._floors = floors or FloorSeqNumbers()
        self._next_alert_counter = next_alert_counter
        self._verify_mac = mac_verifier or self._default_mac_check
        self._pending: dict[int, PendingCommand] = {}
        self.last_rejection: Rejection | None = None
        """Why the last frame was refused; None after an accepted one."""

    @classmethod
    def commissioned(
        cls,
        pki: TestPki,
        device_id: Eui64 | str,
        device_type: DeviceType | str,
        *,
        supplier: PartyCredentials | None,
        network_operator: PartyCredentials | None,
        acb: PartyCredentials,
        clock: Clock,
        recovery: IssuedCertificate | None = None,
        transitional_cos: IssuedCertificate | None = None,
        load_controller: PartyCredentials | None = None,
        supplier_top_up_ka: IssuedCertificate | None = None,
        floors: FloorSeqNumbers | None = None,
        next_alert_counter: int = 0,
    ) -> Smets2Device:
        """A device with certificates from ``pki`` and cells filled (see :mod:`.commissioning`).

        A supplier or network operator of None leaves ACB placeholders in its cells (6.21).
        """
        kind = DeviceType(device_type)
        trusted = Commissioning.from_pki(
            pki,
            acb=acb,
            supplier=supplier,
            network_operator=network_operator,
            recovery=recovery,
            transitional_cos=transitional_cos,
            load_controller=load_controller,
            supplier_top_up_ka=supplier_top_up_ka,
        )
        own = device_credentials(pki, device_id)
        return cls(
            device_id,
            kind,
            ds_key=own.ds.private_key,
            ds_certificate=own.ds.certificate,
            ka_key=own.ka.private_key,
            ka_certificate=own.ka.certificate,
            cells=trusted.cells(pki, kind),
            clock=clock,
            floors=floors,
            next_alert_counter=next_alert_counter,
        )

    # -- state -------------------------------------------------------------------------------

    @property
    def cells(self) -> TrustAnchorCells:
        """The trust anchor cells now (an immutable snapshot)."""
        return self._cells

    @property
    def floors(self) -> FloorSeqNumbers:
        """The floor sequence numbers now (an immutable snapshot)."""
        return self._floors

    @property
    def pending(self) -> tuple[PendingCommand, ...]:
        """The future-dated commands held, earliest first."""
        return tuple(sorted(self._pending.values(), key=lambda p: p.execute_at))

    @property
    def next_alert_counter(self) -> int:
        return self._next_alert_counter

    @property
    def state(self) -> Smets2State:
        """Everything a rebuilt device needs to carry on (:meth:`restore`)."""
        cells = {cell: content.certificate for cell, content in self._cells.items() if cell != ROOT}
        return Smets2State(cells, self._floors, self._next_alert_counter, self.pending)

    def restore(self, state: Smets2State) -> None:
        """Take up a state this device had (:attr:`state`): its root cell stays as
        commissioned, every other cell, the floors, alert counter and held commands as given."""
        contents = {cell: CellContent(certificate=cert) for cell, cert in state.cells.items()}
        self._cells = TrustAnchorCells({ROOT: self._cells[ROOT], **contents})
        self._floors, self._next_alert_counter = state.floors, state.next_alert_counter
        self._pending = {int(p.accepted.rule.authoriser): p for p in state.pending}

    # -- frames in, frames out ---------------------------------------------------------------

    def receive(self, frame: bytes) -> list[bytes]:
        """Process one frame; the frames the device emits (none when it refuses)."""
        return list(self.receive_detailed(frame).frames)

    def receive_detailed(self, frame: bytes) -> Reception:
        """Process one frame; the frames emitted, or the rejection."""
        apdu: GeneralSigningApdu | None = None
        try:
            envelope, apdu = decode_frame(frame)
            accepted = authenticate(
                envelope,
                apdu,
                device_id=self.device_id,
                cells=self._cells,
                floors=self._floors,
                verify_mac=self._verify_mac,
            )
        except RefusalError as refused:
            return self._refuse(refused, apdu)
        self.last_rejection = None
        self._floors = self._floors.with_counter(accepted.rule.authoriser, accepted.counter)
        return Reception((self._dispatch(accepted),))

    def tick(self) -> list[bytes]:
        """Execute the held commands that are due; the 8F66/8F67 alerts they raise."""
        now = self._clock()
        due = [p for p in self.pending if p.execute_at <= now]
        alerts: list[bytes] = []
        for held in due:
            del self._pending[int(held.accepted.rule.authoriser)]
            alerts.append(self._alert(held.accepted, self._execute(held.accepted, now)))
        return alerts

    # -- internals ---------------------------------------------------------------------------

    def _dispatch(self, accepted: AcceptedCommand) -> bytes:
        now = self._clock()
        when = accepted.execution_date_time
        role = int(accepted.rule.authoriser)
        if when == CANCELLATION:
            self._pending.pop(role, None)
            return self._respond(accepted, None, now)
        if when is not None and when > now:
            self._pending[role] = PendingCommand(accepted, when)
            return self._respond(accepted, None, now)
        return self._respond(accepted, self._execute(accepted, now), now)

    def _execute(self, accepted: AcceptedCommand, now: datetime) -> Execution:
        done = execute(accepted.command, accepted.rule, self._cells, self._floors, at=now)
        self._cells, self._floors = done.cells, done.floors
        return done

    def _respond(
        self, accepted: AcceptedCommand, execution: Execution | None, now: datetime
    ) -> bytes:
        response = build_response(self._keys, accepted, execution, now)
        return protect(response, critical=True, keys=self._keys, cells=self._cells)

    def _alert(self, accepted: AcceptedCommand, execution: Execution) -> bytes:
        alert = build_alert(self._keys, self._next_alert_counter, accepted, execution)
        self._next_alert_counter += 1
        return protect(alert, critical=True, keys=self._keys, cells=self._cells)

    def _refuse(self, refused: RefusalError, apdu: GeneralSigningApdu | None) -> Reception:
        counter = apdu.counter if apdu is not None else None
        code = apdu.message_code if apdu is not None else None
        self.last_rejection = Rejection(refused.reason, refused.detail, counter, code)
        return Reception((), self.last_rejection)

    def _default_mac_check(self, envelope: MacEnvelope, acb: SmkiCertificate) -> bool:
        return verify_mac(envelope, self._keys.ka_key, acb.public_key())

    def __repr__(self) -> str:
        return f"<Smets2Device {self.device_type} {self.device_id}>"


def _check_credentials(
    device_id: Eui64,
    ds_key: PrivateKey,
    ds_certificate: SmkiCertificate,
    ka_key: PrivateKey,
    ka_certificate: SmkiCertificate,
) -> None:
    for key, certificate, usage in ((ds_key, ds_certificate, "DS"), (ka_key, ka_certificate, "KA")):
        if public_point(key) != certificate.public_point:
            raise InputError(f"the device {usage} key does not match its certificate")
        if certificate.eui != device_id:
            raise InputError(f"the device {usage} certificate is for {certificate.eui}")
