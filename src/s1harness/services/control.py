"""The control channel: how a test run drives the builds it tests (docs/asyncapi.yaml, the
``control`` channels; docs/contract.md, "Control channel").

Before each scenario the harness tells every build playing a role of the run — a Service
Provider's S1SP or DSP in place of an emulator — to load the provisioning document of that
role (:mod:`s1harness.estate.provisioning`) and waits for its answer; it moves the clock of a
build the same way. A request is a JSON document ``{"v": 1, "op": ..., ...}`` on
``control/<role>`` (``control/dsp``, ``control/s1sp/IOC``…); the answer
``{"v": 1, "op": ..., "status": "ok" | "error" | "not-supported", "detail": ...}`` comes back
on ``control/replies`` with the request's correlation ID. The operations:

* ``hello`` — the build says what it is (``build``: name, version);
* ``provision`` — forget everything and load ``document``, whose clock, switches, slots and
  floors the next scenario starts from;
* ``clock`` — the build's clock now reads ``now`` (it then does what falls due: a DSP answers
  E21 for requests whose device has not answered in time);
* ``remediate`` — Requirement 2's one-off data update on the build's own database (an S1SP that
  does not offer it answers ``not-supported``, and those scenarios are not applicable).

:class:`Controller` is the harness's side; :class:`RoleHost` is ``s1harness up``'s: the roles
it plays, which a ``provision`` replaces by the emulator the document describes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from s1harness import __version__
from s1harness.estate.build import System
from s1harness.estate.provisioned import build_dsp, build_s1sp
from s1harness.estate.provisioning import ProvisioningError, read
from s1harness.registry.model import Cohort
from s1harness.remediation import NoRegister, remediate
from s1harness.services.journal import Journal
from s1harness.services.transport import Transport
from s1harness.spec.bus import Envelope, Kind, control, control_replies
from s1harness.spec.clock import RunningClock
from s1harness.spec.errors import HarnessError, InputError

VERSION = 1
OK, ERROR, NOT_SUPPORTED = "ok", "error", "not-supported"
Handler = Callable[[Envelope], list[Envelope]]


class ControlError(HarnessError):
    """A build did not do what the run asked of it (or did not answer)."""

    code = "CONTROL"


@dataclass(frozen=True)
class Reply:
    """A build's answer to one control request."""

    role: str
    op: str
    status: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def request(role: str, op: str, **body: Any) -> Envelope:
    """A control request to the build playing ``role``."""
    payload = json.dumps({"v": VERSION, "op": op, **body}, separators=(",", ":")).encode()
    return Envelope(control(role), Kind.CONTROL_REQUEST, payload, f"control-{uuid.uuid4().hex}")


def reply(to: Envelope, role: str, op: str, status: str, detail: str = "", **data: Any) -> Envelope:
    """The answer to control request ``to``."""
    document = {"v": VERSION, "op": op, "status": status, "detail": detail, **data}
    payload = json.dumps(document, separators=(",", ":")).encode()
    headers = (("role", role),)
    return Envelope(control_replies(), Kind.CONTROL_REPLY, payload, to.correlation_id, headers)


def read_reply(envelope: Envelope) -> Reply:
    """Read an answer.

    Raises:
        ControlError: for one that is not a control reply of this version.
    """
    try:
        document = json.loads(envelope.payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ControlError(f"a control reply that is not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise ControlError(f"a control reply that is not version {VERSION}")
    status, op, detail = document.get("status"), document.get("op"), document.get("detail", "")
    if status not in (OK, ERROR, NOT_SUPPORTED) or not isinstance(op, str):
        raise ControlError(f"a control reply with status {status!r} and op {op!r}")
    rest = {k: v for k, v in document.items() if k not in {"v", "op", "status", "detail"}}
    return Reply(envelope.header("role") or "", op, status, str(detail), rest)


# -- the harness's side --------------------------------------------------------------------------


class Controller:
    """Sends control requests and waits for their answers (the harness's side).

    Args:
        transport: The run's bus; :meth:`route` must be among the runner's routes.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._waiting: dict[str, asyncio.Future[Reply]] = {}

    def route(self) -> tuple[str, Handler]:
        return control_replies(), self._on_reply

    def _on_reply(self, envelope: Envelope) -> list[Envelope]:
        waiting = self._waiting.get(envelope.correlation_id)
        if waiting is not None and not waiting.done():
            try:
                waiting.set_result(read_reply(envelope))
            except ControlError as exc:
                waiting.set_exception(exc)
        return []

    async def ask(self, role: str, op: str, timeout: float, **body: Any) -> Reply:
        """Send ``op`` to the build playing ``role`` and wait for its answer.

        Raises:
            ControlError: when no answer comes within ``timeout`` seconds.
        """
        envelope = request(role, op, **body)
        waiting: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[envelope.correlation_id] = waiting
        try:
            await self._transport.publish(envelope)
            async with asyncio.timeout(timeout):
                return await waiting
        except TimeoutError:
            raise ControlError(
                f"the build playing {role} did not answer its control channel ({op}) within "
                f"{timeout:g} s: is it running, connected to this broker, serving this run ID?"
            ) from None
        finally:
            del self._waiting[envelope.correlation_id]

    async def provision(self, role: str, document: dict[str, Any], timeout: float) -> Reply:
        """Have ``role``'s build load ``document``.

        Raises:
            ControlError: when it does not answer, or answers other than ``ok``.
        """
        answer = await self.ask(role, "provision", timeout, document=document)
        if answer.status != OK:
            said = f": {answer.detail}" if answer.detail else ""
            raise ControlError(f"the build playing {role} did not load its estate{said}")
        return answer


# -- s1harness up's side -------------------------------------------------------------------------


class RoleHost:
    """The roles ``s1harness up`` plays, answering their control channels.

    Args:
        system: The estate's roles as built at start.
        roles: The roles played here (``dsp``, ``s1sp:IOC``…, ``devices``).
        clock: The clock every role reads (a ``provision`` or ``clock`` request sets it).
        data_dir: Where the S1SP databases live (a ``provision`` replaces them), or None.
    """

    def __init__(
        self, system: System, roles: list[str], *, clock: RunningClock, data_dir: Path | None
    ) -> None:
        self.system, self.roles, self.clock, self._data_dir = system, roles, clock, data_dir
        self._handlers = self._current()
        self._journals: dict[str, Journal] = {}

    def _current(self) -> dict[str, dict[str, Handler]]:
        every = self.system.roles()
        return {role: dict(every.get(role, [])) for role in self.roles}

    def routes(self) -> list[tuple[str, Handler]]:
        """Each role's routes, reaching whichever emulator plays it now, and its control
        channel."""
        out: list[tuple[str, Handler]] = []
        for role in self.roles:
            for pattern in self._handlers[role]:
                out.append((pattern, self._late(role, pattern)))
            out.append((control(role), self._control(role)))
        return out

    def journals(self) -> dict[str, Journal]:
        """Each route's bus journal, by topic filter, when the roles keep their state on disk
        (a data dir): the DSP's in ``dsp.sqlite`` (its counters and requests in flight written
        in the same transaction), an S1SP's in its own database, the devices' in
        ``devices.sqlite`` (the SMETS1 and SMETS2 devices' state). The DSP's and the devices'
        control channels are journaled too (a ``clock`` request's E21s go once, and a copy of
        one handled before a restart sets no time back); an S1SP's, whose ``provision``
        replaces the database its journal is in, is answered at most once per run of ``up``."""
        if self._data_dir is None:
            return {}
        out: dict[str, Journal] = {}
        for role in self.roles:
            journal = self.journal(role)
            if journal is not None:
                out.update(dict.fromkeys(self._handlers[role], journal))
        for role in ("dsp", "devices"):
            if role in self._journals:
                out[control(role)] = self._journals[role]
        return out

    def journal(self, role: str) -> Journal | None:
        """``role``'s bus journal (one per role, made at the first call), or None without a
        data dir."""
        if self._data_dir is None:
            return None
        journal = self._journals.get(role)
        if journal is not None:
            return journal
        system = self.system
        state, devices = system.dsp_state, system.device_store
        if role == "dsp" and state is not None:
            system.dsp.attach(state)  # its counters and requests in flight, as last committed
            journal = Journal(lambda: state.db)
            journal.before_commit(lambda: system.dsp.flush())  # noqa: PLW0108 - the DSP playing now
            journal.on_rollback(lambda: system.dsp.reload())  # noqa: PLW0108
        elif role.startswith("s1sp:"):
            cohort = Cohort(role.removeprefix("s1sp:"))
            journal = Journal(lambda: system.s1sps[cohort].store.connection)
        elif role == "devices" and devices is not None:
            journal = Journal(lambda: devices.connection)
            journal.on_rollback(system.reload_devices)
        if journal is not None:
            self._journals[role] = journal
        return journal

    def _late(self, role: str, pattern: str) -> Handler:
        def handle(envelope: Envelope) -> list[Envelope]:  # whichever emulator plays it now
            return self._handlers[role][pattern](envelope)

        return handle

    def _control(self, role: str) -> Handler:
        return lambda envelope: self.on_control(role, envelope)

    def on_control(self, role: str, envelope: Envelope) -> list[Envelope]:
        """Carry out one control request for ``role``; returns what to publish."""
        try:
            document = json.loads(envelope.payload)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return [reply(envelope, role, "?", ERROR, "a control request that is not JSON")]
        op = document.get("op") if isinstance(document, dict) else None
        if (
            not isinstance(document, dict)
            or document.get("v") != VERSION
            or not isinstance(op, str)
        ):
            return [reply(envelope, role, str(op), ERROR, f"not a version {VERSION} request")]
        try:
            return self._do(role, op, document, envelope)
        except InputError as exc:
            return [reply(envelope, role, op, ERROR, exc.message)]

    def _do(
        self, role: str, op: str, document: dict[str, Any], envelope: Envelope
    ) -> list[Envelope]:
        if op == "hello":
            build = {"name": "s1harness", "version": __version__, "role": role}
            return [reply(envelope, role, op, OK, build=build)]
        if op == "provision" and role != "devices":
            self._provision(role, document.get("document"))
            return [reply(envelope, role, op, OK)]
        if op == "clock":
            out = self._set_clock(str(document.get("now")))
            return [*out, reply(envelope, role, op, OK)]
        if op == "remediate" and role.startswith("s1sp:") and self._data_dir is not None:
            report = self._remediate(role, document)
            return [reply(envelope, role, op, OK, report=report)]
        return [reply(envelope, role, op, NOT_SUPPORTED, f"{op} is not offered for {role}")]

    def _provision(self, role: str, data: object) -> None:
        provisioning = read(data, f"the {role} provisioning document")
        if provisioning.role != role:
            raise ProvisioningError(f"a document for {provisioning.role}, sent to {role}")
        self.clock.set(provisioning.clock)
        if role == "dsp":
            self.system.dsp = build_dsp(provisioning, clock=self.clock)
            state = self.system.dsp_state
            if "dsp" in self._journals and state is not None:
                state.clear()  # another estate: nothing of the last one's carries on
                self.system.dsp.attach(state)
        else:
            cohort = Cohort(role.removeprefix("s1sp:"))
            store = self._data_dir / f"s1sp-{cohort}.sqlite" if self._data_dir else None
            self.system.s1sps[cohort].store.close()
            self.system.s1sps[cohort] = build_s1sp(provisioning, clock=self.clock, store=store)
        self._handlers = self._current()

    def _remediate(self, role: str, document: dict[str, Any]) -> dict[str, Any]:
        """Requirement 2's data update on this S1SP's own database, as it runs."""
        assert self._data_dir is not None
        cohort = Cohort(role.removeprefix("s1sp:"))
        s1sp = self.system.s1sps[cohort]
        register = NoRegister.loads(json.dumps(document.get("register")), "remediate.register")
        at = _moment(str(document.get("at")))
        dry_run = document.get("dry_run") is True
        database = self._data_dir / f"s1sp-{cohort}.sqlite"
        keys = self.system.keys
        trust = (keys.trust_anchors(), keys.path_certificates())
        report = remediate(
            {cohort: database}, s1sp.registry, register, at=at, dry_run=dry_run, trust=trust
        )
        return report.as_json()

    def _set_clock(self, now: str) -> list[Envelope]:
        self.clock.set(_moment(now))
        return self.system.dsp.tick() if "dsp" in self.roles else []


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 time") from None


__all__ = ["ControlError", "Controller", "Reply", "RoleHost", "read_reply", "reply", "request"]
