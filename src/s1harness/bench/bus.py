"""``s1harness bench bus``: SMETS1 6.15.1 round trips through the whole emulated system.

One round trip is what a Network Operator's SRV 6.15.1 on a SMETS1 ESME costs end to end: the
User signs the CV 4 request, the DSP verifies it and signs the I0 with the pre-command, the User
verifies that, GBCS-signs the pre-command and sends CV 5, the DSP verifies it and the replacement
certificates' paths, acknowledges (I99), countersigns for the S1SP, which checks that and the
User's GBCS signature, instructs the device, and signs the SMETS1 response the DSP verifies and
relays, signed, with the SecurityCredentialsUpdated alert — every signature made and checked.

The bound is the ECDSA work alone: as many P-256 signatures and verifications as one round trip
makes, counted in a calibration round trip (``sys.setprofile`` sees every call into
``cryptography``'s signing and verifying) and timed on raw keys in the same run, interleaved
with the round trips. Targets: 0.5 in memory, 0.3 over MQTT (embedded broker).

``xml_floor_us`` is the libxml2 work of the calibration round trip's documents (:mod:`.xml_floor`),
timed in each round beside the bound, and ``ceilings`` the best ratio one process could reach
with it: the ECDSA bound over the bound plus that floor.

After the measured rounds, one more pass of ``count`` round trips is timed stage by stage
(:mod:`.stages`): the ``breakdown`` says, in microseconds per round trip, what each role spends
on each kind of envelope, how much of that is ECDSA, and what the bus costs.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.bench import xml_floor
from s1harness.bench.stages import REQUESTS, Stages
from s1harness.duis.messages import PreCommand, Response, ResponseMessage
from s1harness.estate.bodies import Bodies
from s1harness.estate.build import System, build
from s1harness.estate.presets import preset
from s1harness.registry.model import DeviceType, Smets
from s1harness.roles.user import DccUser, Exchange
from s1harness.services.buses import open_bus
from s1harness.services.loop import run as run_loop
from s1harness.services.runner import RoleRunner
from s1harness.spec import codes
from s1harness.spec.bus import Envelope, Kind, user_inbox
from s1harness.spec.clock import ManualClock
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

TARGETS = {"memory": 0.5, "mqtt": 0.3}
_ECDSA = ec.ECDSA(hashes.SHA256())
_NO = RemotePartyRole.NETWORK_OPERATOR


def run(
    *,
    count: int = 40,
    rounds: int = 3,
    window: int = 4,
    buses: tuple[str, ...] = ("memory", "mqtt"),
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Measure each bus; ``window`` round trips are kept in flight at once."""
    return run_loop(_run(count, rounds, window, buses, progress))


async def _run(
    count: int,
    rounds: int,
    window: int,
    buses: tuple[str, ...],
    progress: Callable[[], None] | None,
) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    breakdown: dict[str, Any] = {}
    ceilings: dict[str, float] = {}
    floors: dict[str, float] = {}
    operations: Counter[str] = Counter()
    documents: list[xml_floor.Prepared] = []
    for kind in buses:
        async with _Estate(kind) as estate:
            operations = await estate.calibrate()
            documents = documents or xml_floor.prepare(estate.documents)
            subject, bound, floor = [], [], []
            for _ in range(rounds):
                subject.append(await estate.round_trips(count, window))
                bound.append(bound_rate(operations, count))
                floor.append(xml_floor.floor_seconds(documents, repeats=count))
                if progress is not None:
                    progress()
            breakdown[kind] = await estate.breakdown(count, window)
        rates[f"{kind}: round trips"] = summary(subject)
        rates[f"{kind}: ECDSA bound"] = summary(bound)
        ratios[kind] = round(statistics.median(subject) / statistics.median(bound), 3)
        floors[kind] = statistics.median(floor)
        ceilings[kind] = xml_floor.ceiling(statistics.median(bound), floors[kind])
    return {
        "benchmark": "bus",
        "count": count,
        "rounds": rounds,
        "window": window,
        "ecdsa_per_round_trip": {"sign": operations["sign"], "verify": operations["verify"]},
        "rates": rates,
        "ratios": ratios,
        "ratio": min(ratios.values()),
        "targets": {k: TARGETS[k] for k in buses},
        "meets_target": all(ratios[k] >= TARGETS[k] for k in buses),
        "breakdown": breakdown,
        "xml_documents": {
            "count": len(documents),
            "signed": sum(d.signed_info is not None for d in documents),
            "validated": sum(d.validated for d in documents),
        },
        "xml_floor_us": {kind: round(seconds * 1e6, 1) for kind, seconds in floors.items()},
        "ceilings": ceilings,
    }


class _Estate:
    """The ``small`` estate running on one bus, with Network Operators to send from."""

    def __init__(self, kind: str) -> None:
        estate = preset("small")
        self.kind, self.clock = kind, ManualClock(estate.start)
        self.system: System = build(estate, clock=self.clock)
        self.bodies = Bodies(self.system)
        self.targets = [
            (self.system.estate.holder(spec, _NO) or Eui64("0" * 16), spec.device_id)
            for spec in estate.devices
            if spec.device.generation is Smets.SMETS1
            and spec.device.device_type is DeviceType.ESME
            and not estate.wrong_network_operator(spec)
        ]
        self.documents: list[tuple[bytes, bool]] = []
        """The XML documents of the calibration round trip, each with whether its receiver
        validates it against the DUIS schema (the DSP, the Users' requests)."""
        self._waiting: dict[str, tuple[Exchange, asyncio.Future[None]]] = {}
        """Round trips awaiting their final response, by RequestID (the correlation ID)."""
        self.stages = Stages()

    async def __aenter__(self) -> _Estate:
        self._bus = open_bus(self.kind)
        opened = await self._bus.__aenter__()
        self.transport = opened.transport
        routes = self.system.routes(exclude=("users",))
        routes += [(user_inbox(u), self._user(user)) for u, user in self.system.users.items()]
        self._runner = RoleRunner(self.transport, [(p, self.stages.wrap(p, h)) for p, h in routes])
        await self._runner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.__aexit__(None, None, None)
        await self._bus.__aexit__(None, None, None)
        self.system.close()

    def _user(self, user: DccUser) -> Callable[[Envelope], list[Envelope]]:
        def receive(envelope: Envelope) -> list[Envelope]:
            out = user.receive(envelope)
            waiting = self._waiting.get(envelope.correlation_id)
            if waiting is not None and _finished(waiting[0]) and not waiting[1].done():
                waiting[1].set_result(None)  # wakes only the round trip it finishes
            return out

        return receive

    async def round_trip(self, index: int) -> None:
        sender, device = self.targets[index % len(self.targets)]
        user = self.system.users[sender]
        with self.stages.stage(REQUESTS):
            body = self.bodies.update_credentials(sender)
            envelope = user.request(device, "6.15.1", body)
        exchange = user.exchanges[envelope.correlation_id]
        finished = asyncio.get_running_loop().create_future()
        self._waiting[envelope.correlation_id] = (exchange, finished)
        try:
            await self.transport.publish(envelope)
            await asyncio.wait_for(finished, 30)
        finally:
            del self._waiting[envelope.correlation_id]
        final = next(r for r in exchange.received if _final(r))
        if final.header.response_code != codes.I0.code or self._runner.failures:
            raise RuntimeError(f"a benchmark round trip failed: {exchange.codes}")

    async def round_trips(self, count: int, window: int) -> float:
        start = time.perf_counter()
        for first in range(0, count, window):
            size = min(window, count - first)
            await asyncio.gather(*(self.round_trip(first + i) for i in range(size)))
        return count / (time.perf_counter() - start)

    async def calibrate(self) -> Counter[str]:
        """Count the ECDSA signatures and verifications of one round trip."""
        await self.round_trip(0)  # warm-up: schemas, caches
        counted: Counter[str] = Counter()

        def hook(frame: FrameType, event: str, arg: Any) -> None:
            if event == "c_call":
                name = getattr(arg, "__qualname__", "")
                if name == "ECPrivateKey.sign":
                    counted["sign"] += 1
                    self.stages.count("sign")
                elif name == "ECPublicKey.verify":
                    counted["verify"] += 1
                    self.stages.count("verify")

        seen: list[Envelope] = []
        self.stages.seen = seen
        sys.setprofile(hook)
        try:
            await self.round_trip(1)
        finally:
            sys.setprofile(None)
            self.stages.seen = None
        self.documents = [
            (e.payload, e.kind is Kind.DUIS_REQUEST) for e in seen if e.payload.startswith(b"<")
        ]
        return counted

    async def breakdown(self, count: int, window: int) -> dict[str, Any]:
        """One more pass of ``count`` round trips, timed stage by stage (:mod:`.stages`)."""
        with self.stages.timing():
            start = time.perf_counter()
            await self.round_trips(count, window)
            elapsed = time.perf_counter() - start
        return self.stages.breakdown(count, elapsed, _ecdsa_seconds())


def _final(response: Response) -> bool:
    if response.header.response_code == codes.I99.code:
        return False
    body = response.body
    return not (isinstance(body, ResponseMessage) and isinstance(body.content, PreCommand))


def _finished(exchange: Exchange) -> bool:
    return any(_final(r) for r in exchange.received)


_KEY = ec.generate_private_key(ec.SECP256R1())
_MESSAGE = b"s1harness bench bus " * 20


def bound_rate(operations: Counter[str], count: int) -> float:
    """Round trips per second if the ECDSA work were all there was."""
    signature = _KEY.sign(_MESSAGE, _ECDSA)
    public = _KEY.public_key()
    start = time.perf_counter()
    for _ in range(count):
        for _ in range(operations["sign"]):
            _KEY.sign(_MESSAGE, _ECDSA)
        for _ in range(operations["verify"]):
            public.verify(signature, _MESSAGE, _ECDSA)
    return count / (time.perf_counter() - start)


def _ecdsa_seconds(samples: int = 200) -> dict[str, float]:
    """Seconds per raw ECDSA signature and verification, timed now."""
    signature = _KEY.sign(_MESSAGE, _ECDSA)
    public = _KEY.public_key()
    start = time.perf_counter()
    for _ in range(samples):
        _KEY.sign(_MESSAGE, _ECDSA)
    middle = time.perf_counter()
    for _ in range(samples):
        public.verify(signature, _MESSAGE, _ECDSA)
    end = time.perf_counter()
    return {"sign": (middle - start) / samples, "verify": (end - middle) / samples}


def summary(rates: list[float]) -> dict[str, float]:
    return {
        "per_second": round(statistics.median(rates), 1),
        "low": round(min(rates), 1),
        "high": round(max(rates), 1),
    }
