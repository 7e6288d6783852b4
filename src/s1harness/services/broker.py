"""The embedded MQTT broker: amqtt inside the harness's own event loop, on 127.0.0.1.

The default bus needs no install step and no second process: the broker starts in about 50 ms
on a free port (port 0, read back from the listening socket) and stops with the run.
It speaks MQTT 3.1.1 only, which is all the bus contract uses.

It takes no anonymous client: at start it generates a password for each login of
:mod:`s1harness.spec.access` (``harness``, ``dsp``, ``s1sp-IOC``…; :meth:`EmbeddedBroker.access`
hands one to a bus of this process, :meth:`EmbeddedBroker.write_logins` to other processes),
and it holds each login to its access list — so no client on the machine can read the run's
traffic, write where its role may not, or acknowledge a message in another role's place.

Passing the plugin list explicitly leaves out amqtt's event, packet and ``$SYS`` plugins,
which cost a fifth to a third of the throughput. :meth:`EmbeddedBroker.stop` and
:meth:`EmbeddedBroker.start` again on the same port let a test take the broker away mid-run.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

from s1harness.services.mqtt import BrokerAccess
from s1harness.spec.access import ACCESS, LOGINS
from s1harness.spec.errors import HarnessError, InputError

for _name in ("amqtt", "transitions"):
    logging.getLogger(_name).setLevel(logging.ERROR)
log = logging.getLogger("s1harness.broker")


class GeneratedLogins(BaseAuthPlugin):  # type: ignore[misc]
    """amqtt authentication: a client is in only with a login and its generated password."""

    @dataclass
    class Config:
        passwords: dict[str, str] = field(default_factory=dict)

    async def authenticate(self, *, session: Session) -> bool:
        if session.will_flag:
            return False  # a will is published by the broker unchecked: the bus never sets one
        expected = self.config.passwords.get(session.username or "")
        given = session.password or ""
        return expected is not None and hmac.compare_digest(expected.encode(), given.encode())


class _Broker(Broker):  # type: ignore[misc]
    """amqtt's broker holding each login to its access list (:data:`ACCESS`): it subscribes,
    receives and publishes within it, and nothing is retained (the contract never retains, and
    amqtt hands retained messages to every new client whatever it subscribed to).

    The check replaces amqtt's topic-plugin call (a private method, amqtt pinned to 0.12): a
    topic plugin is awaited through tasks for every delivery, and amqtt walks its subscription
    table across that await, which a concurrent subscribe then breaks ("dictionary changed size
    during iteration", the message lost to that broadcast). This check never suspends.
    """

    async def _topic_filtering(self, session: Session, topic: str, action: Action) -> bool:
        access = ACCESS.get(session.username or "")
        if access is None:
            return False
        if action == Action.PUBLISH:
            return access.may_publish(topic)
        return access.may_subscribe(topic)  # a filter to subscribe, a topic to receive

    async def retain_message(self, *args: object, **kwargs: object) -> None:
        """Retain nothing."""

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        """Serve one TCP client, and close its socket however the session ended: amqtt leaves
        it open when the client vanishes while the broker is writing to it (its close drains
        first, and the drain raises), or when the first packet never comes."""
        try:
            await super().stream_connected(reader, writer, listener_name)
        finally:
            writer.close()


class BrokerError(HarnessError):
    """The embedded broker could not start."""

    code = "BROKER"


class EmbeddedBroker:
    """An amqtt broker bound to ``host`` (an async context manager).

    Args:
        host: The address to bind; 127.0.0.1 keeps it local.
        port: 0 picks a free port (read :attr:`port` after starting).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._broker: Broker | None = None
        self._passwords = {login: secrets.token_urlsafe(24) for login in LOGINS}

    def access(self, login: str = "harness") -> BrokerAccess:
        """What a bus of this process presents to log in as ``login``."""
        return BrokerAccess(username=login, password=self._passwords[login])

    def write_logins(self, folder: Path) -> Path:
        """Write each login's password to ``folder/<login>`` (readable by this user only), for
        other processes: ``S1HARNESS_BROKER_USERNAME=<login>`` and
        ``S1HARNESS_BROKER_PASSWORD_FILE=folder/<login>``. Returns ``folder``.

        Raises:
            InputError: when the folder cannot be written.
        """
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            for login, password in self._passwords.items():
                path = folder / login
                path.unlink(missing_ok=True)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w", encoding="ascii") as out:
                    out.write(password + "\n")
        except OSError as exc:
            raise InputError(f"{folder}: cannot write the broker logins ({exc.strerror})") from None
        return folder

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def start(self) -> None:
        """Start listening (again, on the same port, after :meth:`stop`)."""
        if self._broker is not None:
            return
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {f"{__name__}.GeneratedLogins": {"passwords": self._passwords}},
        }
        broker = _Broker(config)
        try:
            await broker.start()
        except Exception as exc:  # noqa: BLE001 - amqtt raises its own and OSError variants
            raise BrokerError(
                f"cannot start the embedded MQTT broker on {self.host}:{self.port} ({exc})"
            ) from None
        self.port = _bound_port(broker) or self.port
        self._broker = broker

    async def stop(self, timeout: float = 2.0) -> None:
        """Stop listening and drop every connection and queued message.

        amqtt's own shutdown can wait on deliveries that will never be acknowledged once
        clients are gone; after ``timeout`` seconds the listener is closed, every client
        connection aborted and amqtt's tasks cancelled — what a crashed broker looks like
        to its clients.
        """
        broker, self._broker = self._broker, None
        if broker is None:
            return
        shutdown = asyncio.create_task(broker.shutdown(), name="amqtt shutdown")
        done, _ = await asyncio.wait({shutdown}, timeout=timeout)
        if not done:
            log.warning("the embedded broker did not stop within %g s; aborting it", timeout)
            await _abort(broker, shutdown)

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def _abort(broker: Broker, shutdown: asyncio.Task[None]) -> None:
    for server in getattr(broker, "_servers", {}).values():
        instance = getattr(server, "instance", None)
        if instance is not None:
            instance.close()
    for _session, handler in list(getattr(broker, "_sessions", {}).values()):
        writer = getattr(getattr(handler, "writer", None), "_writer", None)
        transport = getattr(writer, "transport", None)
        if transport is not None:
            transport.abort()
    current = asyncio.current_task()
    doomed = [shutdown] + [
        task for task in asyncio.all_tasks() if task is not current and _is_amqtt(task)
    ]
    for task in doomed:
        task.cancel()
    await asyncio.gather(*doomed, return_exceptions=True)


_AMQTT = f"{os.sep}amqtt{os.sep}"


def _is_amqtt(task: asyncio.Task[object]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and _AMQTT in code.co_filename


def _bound_port(broker: Broker) -> int | None:
    """The port the listener bound (amqtt has no public API for it)."""
    servers = getattr(broker, "_servers", {})
    server = servers.get("default")
    instance = getattr(server, "instance", None)
    for sock in getattr(instance, "sockets", ()) or ():
        name = sock.getsockname()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return int(name[1])
    return None


__all__ = ["BrokerError", "EmbeddedBroker", "GeneratedLogins"]
