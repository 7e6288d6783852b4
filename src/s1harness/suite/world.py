"""The state one scenario's steps share: the estate it asks for, the running Harness, the
device in play and what was last sent (see features/README.md for the step catalogue)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s1harness.duis.messages import RequestBody, Response
from s1harness.estate import DspSpec, Estate
from s1harness.estate.presets import NETWORK_OPERATOR, WRONG_NETWORK_OPERATOR
from s1harness.roles.s1sp.store import Slot, SlotKind, SlotRole
from s1harness.roles.user import Exchange
from s1harness.services.mqtt import BrokerAccess
from s1harness.spec import codes
from s1harness.spec.bus import Envelope
from s1harness.spec.checks import Check
from s1harness.spec.identifiers import Eui64
from s1harness.testing import Harness, is_final
from s1harness.testing.expectations import (
    Case,
    ScenarioFailure,
    estate,
    expect,
    expect_smets1_response,
)
from s1harness.testing.harness import DEFAULT_TIMEOUT
from s1harness.testing.loop import Held, LoopThread


@dataclass(frozen=True)
class Target:
    """Where the suite runs: the bus, the broker, the roles another build plays (told over its
    control channel to load each scenario's estate), the run ID and how long a wait lasts."""

    bus: str = "mqtt"
    broker: str | None = None
    access: BrokerAccess | None = None
    """What the bus presents to the broker (None: from the environment)."""
    external: tuple[str, ...] = ()
    run: str | None = None
    """The run ID on the broker (None: a fresh one per scenario, or ``default`` with roles
    another build plays)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds a wait for a message lasts (``--s1h-timeout``)."""

    def describe(self) -> str:
        where = self.broker or ("embedded broker" if self.bus == "mqtt" else "in memory")
        roles = f"; external: {', '.join(self.external)}" if self.external else ""
        run = f"; run {self.run}" if self.run else ""
        return f"{self.bus} ({where}){roles}{run}"


@dataclass
class Sent:
    """One request a step sent, with what had arrived for it before (a replay adds to the
    exchange of the original)."""

    exchange: Exchange
    envelope: Envelope
    seen_before: int = 0


@dataclass
class World:
    """One scenario's state. The Harness starts on first use, with the switches set so far."""

    loop: LoopThread
    target: Target
    data_dir: Path | None = None
    dsp_mp107: bool = True
    not_updated: str | None = None
    mp058: bool = False
    case: Case | None = None
    device: Eui64 | None = None
    sent: list[Sent] = field(default_factory=list)
    before: dict[str, object] | None = None
    marks: dict[Eui64, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    _held: Held[Harness] | None = None

    # -- the estate -------------------------------------------------------------------------

    def configure(self, **switches: Any) -> None:
        if self._held is not None:
            raise ScenarioFailure("the estate is already running: set its switches first")
        for name, value in switches.items():
            setattr(self, name, value)

    def estate(self) -> Estate:
        chosen = estate(dsp_mp107=self.dsp_mp107, not_updated=self.not_updated)
        return dataclasses.replace(chosen, dsp=DspSpec(mp107=self.dsp_mp107, mp058=self.mp058))

    @property
    def h(self) -> Harness:
        """The running Harness (started now if no step has needed it yet)."""
        if self._held is None:
            self._held = self.loop.hold(
                Harness.start(
                    self.estate(),
                    bus=self.target.bus,
                    broker=self.target.broker,
                    access=self.target.access,
                    external=self.target.external,
                    data_dir=self.data_dir,
                    record=True,
                    run=self.target.run,
                    timeout=self.target.timeout,
                )
            )
        return self._held.value

    @property
    def started(self) -> bool:
        return self._held is not None

    def close(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release()

    def run(self, coroutine: Any) -> Any:
        return self.loop.run(coroutine)

    # The stores' SQLite connections belong to the loop's thread: read them there.

    def snapshot(self) -> dict[str, object]:
        return self.loop.call(self.h.snapshot)

    def slot_owner(self, device: Eui64) -> Eui64 | None:
        return self.loop.call(self.h.slot_owner, device)

    def judged(self, hop: str, check: Check | str) -> None:
        """A step judges ``check`` at ``hop`` (``DSP`` or a cohort): what ``s1harness conform``
        reports per check."""
        self.notes.setdefault("judged", set()).add((hop, str(check)))

    def expect_no_slot_owner(self, party: Eui64, what: str, device: Eui64 | None = None) -> None:
        """``party`` owns the certificates in the NO slot of a SMETS1 device (the one in play):
        read from the S1SP's slots where the Harness runs it, else asked of the S1SP over the
        wire (:meth:`Harness.probe_no_slot`) — the registered NO must be found the owner or not
        as ``party`` is it or not, and another ``party`` must be found the owner itself when
        both registration data checks let it through."""
        device = device or self.the_device()
        h = self.h
        hop = h.serves(device)
        if h.plays(hop):
            owner = self.slot_owner(device)
            expect(owner == party, f"{what}: {party} in the NO slot, found {owner}")
            return
        registered = self.registered_no(device)
        code = self.run(h.probe_no_slot(device, registered))
        owns = codes.S1VE2.code if party == registered else codes.S1VE64.code
        said = f"{what}: the {hop} S1SP to answer a probe by the registered NO {registered}"
        expect(code == owns, f"{said} with {owns} ({party} owns the slot), got {code}")
        if party != registered and self.dsp_mp107 and self.not_updated != hop:
            code = self.run(h.probe_no_slot(device, party))
            said = f"{what}: the {hop} S1SP to answer a probe by {party} with S1VE2"
            expect(code == codes.S1VE2.code, f"{said} (it owns the slot), got {code}")

    def registered_no(self, device: Eui64) -> Eui64:
        found = next(s.device for s in self.h.estate.devices if s.device_id == device)
        point = found.mpan or found.mprn
        period = self.loop.call(self.h.registration, str(point)) if point else None
        if period is None:
            raise ScenarioFailure(f"{device} has no registered Network Operator to probe with")
        return period.network_operator

    def probe_before(self, device: Eui64) -> None:
        """Before a request to a SMETS1 device whose S1SP another build plays: what a probe by
        the registered NO answers now (``nothing has changed`` probes again)."""
        h = self.h
        if device in h.system.cohorts and not h.plays(h.serves(device)):
            self.notes["probe"] = (
                device,
                self.run(h.probe_no_slot(device, self.registered_no(device))),
            )
        else:
            self.notes.pop("probe", None)

    def slots(self, device: Eui64) -> dict[tuple[SlotRole, SlotKind], Slot]:
        return self.loop.call(self.h.slots, device)

    # -- the parties --------------------------------------------------------------------------

    def network_operator(self, which: str) -> Eui64:
        """``registered`` or ``wrong``: the NOs of the device in play (a SMETS2 device is an
        ESME: the electricity distributors)."""
        if self.case is None:
            return NETWORK_OPERATOR if which == "registered" else WRONG_NETWORK_OPERATOR
        if which == "registered":
            return self.case.network_operator
        return self.case.wrong_network_operator

    def the_device(self) -> Eui64:
        if self.device is None:
            raise ScenarioFailure("no device in play: a Given step names one first")
        return self.device

    # -- sending ------------------------------------------------------------------------------

    def send(
        self,
        sender: Eui64,
        srv: str,
        body: RequestBody,
        *,
        device: Eui64 | None = None,
        alter: Callable[[bytes], bytes] | None = None,
        probe: bool = True,
    ) -> Sent:
        """Sign and send a request as ``sender`` (its signed octets changed by ``alter``, for
        bad input), after taking the state a refusal must leave unchanged (and, for an S1SP
        another build plays, probing it: ``probe``)."""
        h = self.h
        self.run(h.settle())
        target = device or self.the_device()
        if probe:
            self.probe_before(target)
        self.before = self.snapshot()
        user = h.system.users[sender]
        envelope = user.request(target, srv, body)
        if alter is not None:
            envelope = dataclasses.replace(envelope, payload=alter(envelope.payload))
        return self.publish(envelope, user.exchanges[envelope.correlation_id])

    def publish(self, envelope: Envelope, exchange: Exchange) -> Sent:
        sent = Sent(exchange, envelope, len(exchange.received))
        self.run(self.h.publish(envelope))
        self.sent.append(sent)
        return sent

    @property
    def last(self) -> Sent:
        if not self.sent:
            raise ScenarioFailure("no request sent yet")
        return self.sent[-1]

    def outcome(self, sent: Sent | None = None) -> Response:
        """The message that ends the request (after what had arrived before it was sent)."""
        sent = sent or self.last
        exchange, start = sent.exchange, sent.seen_before

        def found() -> Response | None:
            return next((r for r in exchange.received[start:] if is_final(r)), None)

        return self.run(self.h.wait(found, f"the outcome of {exchange.request_id}"))  # type: ignore[no-any-return]

    def expect_accepted(self, what: str, sent: Sent | None = None) -> Response:
        """The outcome of a request to a SMETS1 device, which must be its response."""
        outcome = self.outcome(sent)
        expect_smets1_response(outcome, what)
        return outcome

    def mark(self, *parties: Eui64) -> None:
        for party in parties:
            self.marks[party] = len(self.h.inbox(party))
