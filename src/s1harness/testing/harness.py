"""The Harness: one estate running on a bus, driven as any party (docs/harness.md).

.. code-block:: python

    async with Harness.start("small") as h:
        esme = h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=True)
        sent = await h.send(WRONG_NETWORK_OPERATOR, esme, "6.15.1",
                            h.bodies.update_credentials(NETWORK_OPERATOR))
        outcome = await h.outcome(sent)          # the SMETS1 response (or the refusal)
        assert h.slot_owner(esme) == NETWORK_OPERATOR

The clock is the estate's and moves only with :meth:`Harness.advance`. Every wait takes a
timeout and raises :class:`TimeoutError` naming what it waited for. A role that raises while
handling a message is a bug: the next wait raises :class:`RoleFailureError` with what failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    DCCAlertMessage,
    DeviceAlertMessage,
    FutureDatedDeviceAlertMessage,
    RequestBody,
    Response,
    ResponseMessage,
    SMETS1DeviceAlertMessage,
    SMETS1ResponseMessage,
    parse_message,
)
from s1harness.estate.bodies import Bodies
from s1harness.estate.build import System, build
from s1harness.estate.model import Estate
from s1harness.estate.presets import resolve
from s1harness.estate.provisioning import export
from s1harness.registry.model import Cohort, DeviceType, RegistrationPeriod, Smets
from s1harness.roles.s1sp.store import Slot, SlotKind, SlotRole
from s1harness.roles.smets2.cells import TrustAnchorCells
from s1harness.roles.user import Exchange, is_final, refusal
from s1harness.services.broker import EmbeddedBroker
from s1harness.services.buses import open_bus
from s1harness.services.control import Controller
from s1harness.services.inmemory import InMemoryBus
from s1harness.services.mqtt import BrokerAccess
from s1harness.services.runner import RoleRunner
from s1harness.services.transport import Transport
from s1harness.smki.keys import derive_private_key
from s1harness.smki.keystore import Keystore, KeystoreEntry
from s1harness.spec.bus import DEFAULT_RUN, Envelope, new_run_id, user_inbox
from s1harness.spec.clock import ManualClock
from s1harness.spec.errors import HarnessError, InputError
from s1harness.spec.identifiers import Eui64

DEFAULT_TIMEOUT = 5.0
_T = TypeVar("_T")


PROBE_KEY = derive_private_key(b"s1harness probe", "a key in no slot")
"""Signs a probe's pre-command (:meth:`Harness.probe_no_slot`): no certificate carries it."""


class NotObservableError(HarnessError):
    """What was asked cannot be judged from the wire: the role is another build's."""

    code = "NOT-OBSERVABLE"


class RoleFailureError(HarnessError):
    """A role raised while handling a message (a bug, not a rejection)."""

    code = "ROLE-FAILURE"


TRAFFIC = tuple(f"{area}/#" for area in ("dsp", "users", "s1sp", "devices"))
"""The role topics of the bus contract (everything but the transport's acknowledgements)."""

EXTERNAL_ROLES = ("dsp", "s1sp:IOC", "s1sp:MOC", "s1sp:FOC", "devices")
"""Roles another build may play (``external``): the Harness then runs no emulator for them."""


class Harness:
    """An estate's roles on a bus (see the module docstring)."""

    def __init__(
        self,
        estate: Estate,
        *,
        data_dir: Path | None = None,
        external: Iterable[str] = (),
    ) -> None:
        self.estate = estate
        self.external = frozenset(external)
        unknown = sorted(self.external - set(EXTERNAL_ROLES))
        if unknown:
            known = ", ".join(EXTERNAL_ROLES)
            raise InputError(f"unknown role {unknown[0]!r} (roles: {known})")
        self.clock = ManualClock(estate.start)
        self.system: System = build(estate, clock=self.clock, data_dir=data_dir)
        if "dsp" not in self.external:
            try:
                _ = self.system.dsp.schema  # a missing DUIS XSD fails here, not mid-scenario
            except HarnessError:
                self.system.close()
                raise
        self.bodies = Bodies(self.system)
        self.bus: Transport = InMemoryBus()
        self.run = DEFAULT_RUN
        """The run ID the bus's topics sit under on a broker."""
        self.timeout = DEFAULT_TIMEOUT
        """Seconds a wait lasts unless told otherwise."""
        self.controller = Controller(self.bus)
        """The control channel to the builds playing external roles."""
        self.builds: dict[str, dict[str, object]] = {}
        """What each external build said of itself (its ``hello``): name, version…"""
        self.broker: EmbeddedBroker | None = None
        self._inbox: dict[Eui64, list[Response]] = {}
        self.traffic: list[Envelope] = []
        """Every envelope seen on the bus's role topics, in arrival order (see ``record``)."""
        self._arrived = asyncio.Event()
        self._runner: RoleRunner | None = None

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        estate: Estate | str | Path = "small",
        *,
        bus: str = "memory",
        broker: str | None = None,
        access: BrokerAccess | None = None,
        external: Iterable[str] = (),
        data_dir: Path | None = None,
        record: bool = False,
        run: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        provision: bool = True,
    ) -> AsyncIterator[Harness]:
        """Build ``estate`` (an Estate, a preset name or a path), run it, stop it on exit.

        Args:
            bus: ``memory`` or ``mqtt`` (on ``broker``, a URL, or else an embedded broker).
            access: What the bus presents to ``broker`` (default: from the environment).
            external: Roles another build plays over the bus (:data:`EXTERNAL_ROLES`).
            data_dir: Where the registry and S1SP databases are kept (else in memory).
            record: Keep every envelope on the role topics in :attr:`traffic` — what this
                process's roles and any external build send (the evidence a report carries).
                Recording observes: it never takes a message from the role it is for.
            run: The run ID every topic sits under on a broker; by default a fresh random
                one, or — with external roles — ``default``, the run ``s1harness up`` serves.
            timeout: Seconds every wait lasts unless told otherwise, a build's answer to its
                control channel included.
            provision: Tell each build playing an external role (but ``devices``), over its
                control channel, to load its role's provisioning document of ``estate`` before
                anything else (else the build is trusted to hold the estate already).
        """
        harness = cls(resolve(estate), data_dir=data_dir, external=external)
        harness.timeout = timeout
        observers = [(pattern, harness._record) for pattern in TRAFFIC] if record else []
        harness.run = run or (DEFAULT_RUN if harness.external else new_run_id())
        try:
            async with open_bus(bus, broker=broker, run=harness.run, access=access) as opened:
                harness.bus, harness.broker = opened.transport, opened.broker
                harness.controller = Controller(harness.bus)
                routes = [
                    *harness.system.routes(exclude=harness.external),
                    (user_inbox("+"), harness._observe),
                    harness.controller.route(),
                ]
                async with RoleRunner(harness.bus, routes, observers=observers) as runner:
                    harness._runner = runner
                    if provision:
                        await harness._provision_external()
                    yield harness
        finally:
            harness._runner = None
            harness.system.close()

    async def _provision_external(self) -> None:
        """Have each build playing an external role load its part of the estate."""
        for role in sorted(self.external - {"devices"}):
            if role != "dsp" and Cohort(role.removeprefix("s1sp:")) not in self.system.s1sps:
                continue  # an S1SP the estate does not deploy
            hello = await self.controller.ask(role, "hello", self.timeout)
            self.builds[role] = dict(hello.data.get("build") or {})
            await self.controller.provision(role, export(self.system, role), self.timeout)

    # -- acting as a party ---------------------------------------------------------------------

    async def send(
        self,
        sender: Eui64 | str,
        device: Eui64 | str,
        srv: str,
        body: RequestBody,
        *,
        command_variant: int | None = None,
    ) -> Exchange:
        """Send a request as ``sender`` (a critical SR's CV 5 follows by itself)."""
        user = self.system.users.get(Eui64(sender))
        if user is None:
            raise InputError(f"{sender} is not a party of the estate")
        envelope = user.request(device, srv, body, command_variant=command_variant)
        await self.publish(envelope)
        return user.exchanges[envelope.correlation_id]

    async def publish(self, *envelopes: Envelope) -> None:
        """Put envelopes on the bus as they are (hand-made or replayed messages)."""
        for envelope in envelopes:
            await self.bus.publish(envelope)

    # -- waiting -------------------------------------------------------------------------------

    async def outcome(self, exchange: Exchange, timeout: float | None = None) -> Response:
        """The message that ends the request: a response, an error or an S1SP alert."""
        return await self.wait(
            lambda: next((r for r in exchange.received if is_final(r)), None),
            f"the outcome of {exchange.request_id}",
            timeout,
        )

    async def alert(
        self,
        user: Eui64 | str,
        *,
        code: str | None = None,
        after: int = 0,
        timeout: float | None = None,
    ) -> Response:
        """The first DCC or device alert to ``user`` after the first ``after`` inbox messages,
        with alert ``code`` if given (``N42``, ``8F36``…)."""

        def found() -> Response | None:
            for response in self.inbox(user)[after:]:
                found_code = alert_code(response)
                if found_code and code in (None, found_code):
                    return response
            return None

        return await self.wait(found, f"an alert {code or ''} to {user}", timeout)

    async def wait(
        self, found: Callable[[], _T | None], what: str, timeout: float | None = None
    ) -> _T:
        """Wait until ``found()`` gives something (for ``timeout`` seconds, by default the
        Harness's :attr:`timeout`).

        Raises:
            TimeoutError: naming ``what`` after ``timeout`` seconds.
            RoleFailureError: if a role failed meanwhile.
        """
        timeout = timeout or self.timeout
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.raise_failures()
                    value = found()
                    if value is not None:
                        return value
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            self.raise_failures()
            raise TimeoutError(f"waited {timeout:g} s for {what}") from None

    async def settle(self, timeout: float | None = None) -> None:
        """Wait until every role has handled everything sent so far."""
        assert self._runner is not None, "use the Harness inside Harness.start()"
        await self._runner.settle(timeout or self.timeout)
        self.raise_failures()

    def raise_failures(self) -> None:
        if self._runner is not None and self._runner.failures:
            failures = self._runner.failures
            raise RoleFailureError(f"{len(failures)} role failure(s); first: {failures[0]}")

    def inbox(self, user: Eui64 | str) -> list[Response]:
        """Everything the DSP sent ``user``, in order."""
        return self._inbox.get(Eui64(user), [])

    def _record(self, envelope: Envelope) -> list[Envelope]:
        self.traffic.append(envelope)
        return []

    def _observe(self, envelope: Envelope) -> list[Envelope]:
        user = Eui64(envelope.topic.split("/")[-2])
        try:
            message = parse_message(xml.parse(envelope.payload))
        except DuisParseError:
            return []  # not DUIS: the User refuses it (DccUser.refused)
        if isinstance(message, Response):
            self._inbox.setdefault(user, []).append(message)
        self._arrived.set()
        return []

    # -- time and the physical world -------------------------------------------------------------

    async def advance(self, delta: timedelta) -> datetime:
        """Move the clock: SMETS2 devices run what falls due and send their alerts, and the DSP
        answers E21 for requests whose device has not answered in time."""
        now = self.clock.advance(delta)
        if "devices" not in self.external:
            for device_id, device in self.system.smets2.due(now):
                await self.publish(*self.system.smets2_frames(device_id, device.tick(), "tick"))
        await self.settle()
        if "dsp" not in self.external:
            await self.publish(*self.system.dsp.tick())
        else:  # the DSP build moves its own clock and does what falls due
            moment = now.isoformat().replace("+00:00", "Z")
            await self.controller.ask("dsp", "clock", self.timeout, now=moment)
        return now

    async def power_outage(self, device: Eui64 | str, duration: timedelta) -> None:
        """Cut a SMETS1 device's supply now and restore it ``duration`` later (the clock moves)."""
        device_id = Eui64(device)
        emulator = self.system.smets1.get(device_id)
        if emulator is None or "devices" in self.external:
            raise InputError(f"{device} is not a SMETS1 device this Harness emulates")
        frames = emulator.power_outage()
        await self.publish(*self.system.smets1_frames(device_id, frames, "outage"))
        self.clock.advance(duration)
        frames = emulator.power_restored()
        await self.publish(*self.system.smets1_frames(device_id, frames, "restored"))

    # -- looking inside --------------------------------------------------------------------------

    def device(
        self,
        *,
        smets: int,
        device_type: str,
        cohort: str | None = None,
        wrong_no: bool = False,
    ) -> Eui64:
        """The first device of the estate of that kind (holding a wrong NO's certificates, or
        the registered NO's)."""
        for spec in self.estate.devices:
            d = spec.device
            if (
                d.generation is (Smets.SMETS1 if smets == 1 else Smets.SMETS2)
                and d.device_type is DeviceType(device_type)
                and d.cohort == (Cohort(cohort) if cohort else None)
                and self.estate.wrong_network_operator(spec) is wrong_no
            ):
                return d.device_id
        raise InputError(f"the estate has no such device (SMETS{smets} {device_type} {cohort})")

    async def probe_no_slot(self, device: Eui64 | str, prober: Eui64 | str) -> str | None:
        """Ask a SMETS1 device's S1SP, over the wire and changing nothing, whether ``prober``
        owns the certificate in the device's Network Operator slot.

        ``prober`` sends SRV 6.15.1 for its own NO certificates with the pre-command signed by
        a key that is in no slot. An S1SP that finds ``prober`` the owner passes S1SR 4.2 and
        refuses at the authorising signature (S1VE2); one that finds another owner refuses at
        S1SR 4.2 (S1VE64). The registered NO always passes both registration data checks, so
        its probe always reaches S1SR 4.2.

        Returns:
            The refusal code (None when the request was carried out: a broken S1SP).
        """
        user = self.system.users[Eui64(prober)]
        kept = user.signing_key
        user.use_signing_key(PROBE_KEY)
        try:
            body = self.bodies.update_credentials(prober)
            return refusal(await self.outcome(await self.send(prober, device, "6.15.1", body)))
        finally:
            user.use_signing_key(kept)

    def dsp_trust(self) -> tuple[Keystore, Eui64]:
        """The DSP's XML-signing certificate (in a keystore) and the DCC's EUI: what checks that
        a DUIS document comes from the DSP."""
        certificate = self.system.keys.dsp_xml(self.estate.dcc_id).certificate
        return Keystore([KeystoreEntry(certificate)]), self.estate.dcc_id

    def serves(self, device: Eui64 | str) -> str:
        """The hop name of the S1SP serving a SMETS1 device (``IOC``…)."""
        cohort = self.system.cohorts.get(Eui64(device))
        if cohort is None:
            raise InputError(f"{device} is not a SMETS1 device of the estate")
        return str(cohort)

    def plays(self, hop: str) -> bool:
        """Whether this Harness runs the role behind a hop name (``DSP``, ``IOC``…)."""
        role = "dsp" if hop == "DSP" else f"s1sp:{hop}"
        return role not in self.external

    def slots(self, device: Eui64 | str) -> dict[tuple[SlotRole, SlotKind], Slot]:
        """A SMETS1 device's virtual anchor slots at its S1SP (one this Harness runs: another
        build's slots are its own, judged by what it sends — :meth:`probe_no_slot`).

        Raises:
            NotObservableError: when another build plays the device's S1SP.
        """
        device_id = Eui64(device)
        hop = self.serves(device_id)
        if not self.plays(hop):
            raise NotObservableError(
                f"the slots of {device_id} are the external S1SP {hop}'s own (judge them by "
                "what it sends)"
            )
        store = self.system.s1sps[Cohort(hop)].store
        return {
            (role, kind): slot
            for role in SlotRole
            for kind in SlotKind
            if (slot := store.slot(device_id, role, kind)) is not None
        }

    def slot_owner(
        self, device: Eui64 | str, role: SlotRole = SlotRole.NETWORK_OPERATOR
    ) -> Eui64 | None:
        """Whose certificate is in a SMETS1 device's critical slot for ``role``."""
        slot = self.slots(device).get((role, SlotKind.CRITICAL))
        return slot.owner if slot else None

    def cells(self, device: Eui64 | str) -> TrustAnchorCells:
        """A SMETS2 device's trust anchor cells."""
        emulator = self.system.smets2.get(Eui64(device))
        if emulator is None:
            raise InputError(f"{device} is not a SMETS2 device of the estate")
        return emulator.cells

    def registration(self, mpxn: str, at: datetime | None = None) -> RegistrationPeriod | None:
        """Who is registered for an MPAN or MPRN now (or at ``at``)."""
        return self.system.registry.registered(mpxn, at or self.clock())

    def snapshot(self) -> dict[str, object]:
        """Every store's contents and every role's state: the registry, the DSP, each S1SP
        database, each device (compare before and after a refused request). Roles played by
        another build are left out — their state is theirs."""
        system = self.system
        out: dict[str, object] = {"registry": system.registry.snapshot()}
        if "dsp" not in self.external:
            out["dsp"] = system.dsp.snapshot()
        if "devices" not in self.external:
            out["smets1"] = {d: device.state for d, device in system.smets1.items()}
            out["smets2"] = {
                d: (dict(device.cells), device.floors, device.pending, device.next_alert_counter)
                for d, device in system.smets2.items()
            }
        for cohort, s1sp in system.s1sps.items():
            if f"s1sp:{cohort}" not in self.external:
                out[f"s1sp-{cohort}"] = s1sp.store.snapshot()
        return out


def alert_code(response: Response) -> str | None:
    """The alert code of a DCC alert (``N42``…), a device alert (``8F36``…) or a future-dated
    command's execution alert (``8F66``/``8F67``, the response to the command), else None."""
    body = response.body
    if isinstance(body, DCCAlertMessage):
        return body.dcc_alert_code
    if isinstance(body, DeviceAlertMessage):
        return body.alert_code
    if isinstance(body, ResponseMessage) and isinstance(
        body.content, FutureDatedDeviceAlertMessage
    ):
        return body.content.alert_code
    if isinstance(body, SMETS1ResponseMessage):
        inner = body.signed_response.response.body
        if isinstance(inner, SMETS1DeviceAlertMessage) and inner.content is not None:
            return inner.content.gbcs_hex_alert_code
    return None


__all__ = [
    "DEFAULT_TIMEOUT",
    "EXTERNAL_ROLES",
    "Harness",
    "NotObservableError",
    "RoleFailureError",
    "alert_code",
    "is_final",
    "refusal",
]
