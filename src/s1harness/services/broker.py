"""The embedded MQTT broker: amqtt in a child process the harness starts, on 127.0.0.1.

The default bus needs no install step: :class:`EmbeddedBroker` starts the broker as a child
Python process (``python -c "from s1harness.services.broker import serve; serve()"``) on a free
port (port 0, read back from the listening socket and reported on the child's first line) and
stops it with the run. The broker's work runs on its own core, not in the event loop of the
roles it carries. The child lives exactly as long as its parent's pipe to it: it ends when the
parent stops it, exits, or is killed (its standard input reaches end of file), and it ignores
the terminal's Ctrl-C, which its parent handles. It speaks MQTT 3.1.1 only, which is all the
bus contract uses.

It takes no anonymous client: at start it generates a password for each login of
:mod:`s1harness.spec.access` (``harness``, ``dsp``, ``s1sp-IOC``…; :meth:`EmbeddedBroker.access`
hands one to a bus of this process, :meth:`EmbeddedBroker.write_logins` to other processes),
and it holds each login to its access list — so no client on the machine can read the run's
traffic, write where its role may not, or acknowledge a message in another role's place.

Passing the plugin list explicitly leaves out amqtt's event, packet and ``$SYS`` plugins,
which cost a fifth to a third of the throughput. :meth:`EmbeddedBroker.stop` ends the child at
once — what a crashed broker looks like to its clients — and :meth:`EmbeddedBroker.start` again
binds the same port, so a test can take the broker away mid-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

from s1harness.services.loop import run as run_loop
from s1harness.services.mqtt import BrokerAccess
from s1harness.spec.access import ACCESS, LOGINS
from s1harness.spec.errors import HarnessError, InputError

for _name in ("amqtt", "transitions"):
    logging.getLogger(_name).setLevel(logging.ERROR)


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
        self._child: asyncio.subprocess.Process | None = None
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
        return self._child is not None and self._child.returncode is None

    async def start(self) -> None:
        """Start the broker's process listening (again, on the same port, after :meth:`stop`).

        Raises:
            BrokerError: when the broker cannot bind or its process does not report ready.
        """
        if self.running:
            return
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from s1harness.services.broker import serve; serve()",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdin is not None
        assert child.stdout is not None
        order = {"host": self.host, "port": self.port, "passwords": self._passwords}
        child.stdin.write(json.dumps(order).encode() + b"\n")
        try:
            await child.stdin.drain()
            line = await asyncio.wait_for(child.stdout.readline(), _READY_SECONDS)
            report = json.loads(line) if line else {"error": "the broker process ended"}
        except (OSError, TimeoutError, ValueError) as exc:
            report = {"error": f"no ready line from the broker process ({exc or 'timed out'})"}
        if "port" not in report:
            await _end(child)
            raise BrokerError(
                f"cannot start the embedded MQTT broker on {self.host}:{self.port} "
                f"({report.get('error', report)})"
            )
        self.port, self._child = int(report["port"]), child

    async def stop(self, timeout: float = 2.0) -> None:
        """End the broker's process: every connection drops and every queued message is lost,
        as when a broker crashes."""
        child, self._child = self._child, None
        if child is not None:
            await _end(child, timeout)

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


_READY_SECONDS = 60.0
"""How long a starting broker process may take to report its port (a loaded machine imports
slowly)."""


async def _end(child: asyncio.subprocess.Process, timeout: float = 2.0) -> None:
    """Close the child's standard input (it exits at end of file); kill it if it lingers."""
    if child.stdin is not None:
        child.stdin.close()
    try:
        await asyncio.wait_for(child.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()


def serve() -> None:
    """The broker process: read its order (host, port, passwords) as one JSON line on standard
    input, start the broker, report ``{"port": N}`` (or ``{"error": ...}``) as one line on
    standard output, and serve until standard input ends; then exit at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    order = json.loads(sys.stdin.buffer.readline())
    run_loop(_serve(order))


async def _serve(order: dict[str, Any]) -> None:
    try:
        _, port = await start_here(order["host"], order["port"], order["passwords"])
    except BrokerError as exc:
        _report({"error": str(exc)})
        return
    _report({"port": port})
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass
    os._exit(0)  # every socket closes with the process: nothing waits on a gone client


async def start_here(host: str, port: int, passwords: dict[str, str]) -> tuple[Broker, int]:
    """Start the broker in this process's event loop (what the broker process runs; a test may
    run it in its own loop to watch it), and return it with the port it bound. Stop it with its
    ``shutdown()``.

    Raises:
        BrokerError: when it cannot bind.
    """
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {f"{__name__}.GeneratedLogins": {"passwords": passwords}},
    }
    broker = _Broker(config)
    try:
        await broker.start()
    except Exception as exc:  # noqa: BLE001 - amqtt raises its own and OSError variants
        raise BrokerError(str(exc) or type(exc).__name__) from None
    return broker, _bound_port(broker) or port


def _report(report: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()


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


__all__ = ["BrokerError", "EmbeddedBroker", "GeneratedLogins", "serve", "start_here"]
