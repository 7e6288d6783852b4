"""The MQTT bus: the transport interface over an MQTT 3.1.1 broker, with nothing lost.

Envelopes travel in their wire form (:mod:`s1harness.spec.wire`) at QoS 1. QoS 1 alone ends
at the broker: a broker that acknowledges a message and then stops has lost it. So delivery is
acknowledged end to end: every message carries an ID and where to acknowledge it; the producer
keeps it in its **outbox** and sends it again, with the same ID, until its consumer
acknowledges it (or it has tried for ``give_up_after`` seconds, which is logged); a consumer
hands each ID to its subscriptions once and acknowledges repeats without handing them on again.
A restarted broker therefore costs time, never a message, and never runs one twice.

Only the consumer of a message's topic (:func:`s1harness.spec.bus.consumer`) can end its
resending: it acknowledges under its own login, which a secured broker enforces. A subscription
made with ``handled`` (the role runner's) is acknowledged only when its consumer says it has
handled the message; if the handler failed, the ID is forgotten and the next copy handled.

The connection is made again after any failure, with a backoff, each time with a new
:class:`~s1harness.services.mqtt_client.MqttClient` (the project's own MQTT 3.1.1 client: one
connection, nothing kept across); subscriptions are renewed and the outbox resent. Each
subscription takes only the topics matching its own filter: the embedded amqtt broker (0.11,
0.12) pushes retained messages to clients that never subscribed to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import ssl
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from s1harness.services.mqtt_client import ConnectRefusedError, MqttClient, MqttError
from s1harness.services.topics import QueuedSubscription, TopicIndex
from s1harness.spec.access import LOGINS
from s1harness.spec.bus import DEFAULT_RUN, Envelope, consumer, off_wire, on_wire, run_id
from s1harness.spec.errors import InputError
from s1harness.spec.wire import (
    Delivery,
    WireError,
    acknowledgements,
    acks,
    decode,
    decode_ack,
    encode,
    encode_ack,
)

log = logging.getLogger("s1harness.bus")
DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
SEEN_LIMIT = 200_000
"""How many received message IDs a bus remembers to recognise repeats."""
CLOSE_GRACE = 0.5
"""Seconds :meth:`MqttBus.close` waits for what the bus sent to be confirmed and acknowledged."""
_DRAIN_POLL = 0.002
HEARTBEAT = 2.0
"""Seconds between the heartbeats a bus sends itself (on its acknowledgement topic)."""
SESSION_LOST = 10.0
"""Seconds without its own heartbeat after which a bus takes its session for lost."""
ACK_DELAY = 0.003
"""Seconds a consumer gathers acknowledgements before sending them: one acknowledgement
message then answers several deliveries (about half as many broker messages for them under
load), a delay far below any retransmission interval."""


def parse_url(url: str) -> tuple[str, int]:
    """``mqtt://HOST[:PORT]`` or ``mqtts://HOST[:PORT]`` (TLS) → (host, port).

    Credentials never go in the URL (it is printed, logged and kept in shell history): a user
    name or password there is refused, without echoing the password (see :class:`BrokerAccess`).

    Raises:
        InputError: for anything else.
    """
    scheme, found, rest = url.partition("://")
    if found and "@" in rest:  # whatever a password holds (/, ?, #), none of it is shown
        shown = f"{scheme}://***@{rest.rpartition('@')[2]}"
        raise InputError(
            f"broker URL {shown!r}: credentials go in {USERNAME_VARIABLE} and "
            f"{PASSWORD_VARIABLE} (or {PASSWORD_FILE_VARIABLE}), not the URL"
        )
    parts, shown = urlsplit(url), url  # no user information left to hide
    try:
        port = parts.port or (DEFAULT_TLS_PORT if parts.scheme == "mqtts" else DEFAULT_PORT)
    except ValueError:
        raise InputError(f"broker URL {shown!r}: the port is not a number 1-65535") from None
    if (
        parts.scheme not in ("mqtt", "mqtts")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise InputError(f"broker URL {shown!r}: expected mqtt://HOST[:PORT] or mqtts://…")
    return parts.hostname, port


USERNAME_VARIABLE = "S1HARNESS_BROKER_USERNAME"
PASSWORD_VARIABLE = "S1HARNESS_BROKER_PASSWORD"
PASSWORD_FILE_VARIABLE = "S1HARNESS_BROKER_PASSWORD_FILE"
CA_VARIABLE = "S1HARNESS_BROKER_CA"


@dataclass(frozen=True)
class BrokerAccess:
    """What a bus presents to an external broker beyond its address: TLS (``mqtts://``,
    checking the broker's certificate and host name against ``ca_file`` or the system's roots)
    and a user name and password. Read from the environment, never from the URL or a command
    line, and the password is never printed (not even by ``repr``).
    """

    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None

    @classmethod
    def of(cls, url: str, environ: Mapping[str, str] = os.environ) -> BrokerAccess:
        """The access for ``url`` from ``environ``: :data:`USERNAME_VARIABLE`,
        :data:`PASSWORD_VARIABLE` or :data:`PASSWORD_FILE_VARIABLE` (its first line), and
        :data:`CA_VARIABLE` (a PEM file; mqtts only).

        Raises:
            InputError: for a password without a user name, both password variables, a
                password file or CA file that cannot be read, or a CA for plain mqtt://.
        """
        tls = urlsplit(url).scheme == "mqtts"
        username = environ.get(USERNAME_VARIABLE) or None
        password = environ.get(PASSWORD_VARIABLE) or None
        password_file = environ.get(PASSWORD_FILE_VARIABLE) or None
        if password is not None and password_file is not None:
            raise InputError(f"set {PASSWORD_VARIABLE} or {PASSWORD_FILE_VARIABLE}, not both")
        if password_file is not None:
            try:
                lines = Path(password_file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                why = getattr(exc, "strerror", None) or type(exc).__name__
                raise InputError(f"{PASSWORD_FILE_VARIABLE}: cannot read it ({why})") from None
            password = lines[0] if lines else ""
        if password is not None and username is None:
            raise InputError(f"a broker password needs a user name ({USERNAME_VARIABLE})")
        ca = environ.get(CA_VARIABLE) or None
        if ca is not None and not tls:
            raise InputError(f"{CA_VARIABLE} is for mqtts:// brokers, not plain mqtt://")
        if ca is not None and not Path(ca).is_file():
            raise InputError(f"{CA_VARIABLE}: {ca} is not a file")
        return cls(tls, username, password, None if ca is None else Path(ca))

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context for the connection, or None for plain MQTT.

        Raises:
            InputError: for a CA file that holds no certificate.
        """
        if not self.tls:
            return None
        try:
            return ssl.create_default_context(
                cafile=None if self.ca_file is None else str(self.ca_file)
            )
        except (ssl.SSLError, OSError) as exc:
            raise InputError(f"{CA_VARIABLE}: {self.ca_file}: not a PEM CA file ({exc})") from None


@dataclass
class _Outgoing:
    topic: str
    data: bytes
    consumer: str
    """Who alone may acknowledge it (:func:`s1harness.spec.bus.consumer` of its topic)."""
    first_sent: float
    last_sent: float = 0.0
    attempts: int = 0
    on_acked: Callable[[str], None] | None = None
    """Told the message's ID when its consumer acknowledges it (a journal's outbox)."""


@dataclass
class _Handling:
    """A message handed to consumers that say when they have handled it."""

    delivery: Delivery
    topic: str
    waiting: int
    succeeded: set[QueuedSubscription] = field(default_factory=set)
    """The subscriptions that handled it (this time or an earlier one)."""
    failed: bool = False

    def settle(
        self, then: Callable[[_Handling], None], subscription: QueuedSubscription
    ) -> Callable[[bool], None]:
        """What ``subscription`` calls, once, with its outcome; ``then`` runs after the last."""

        def settled(ok: bool) -> None:
            if ok:
                self.succeeded.add(subscription)
            self.failed |= not ok
            self.waiting -= 1
            if self.waiting == 0:
                then(self)

        return settled


@dataclass
class BusStats:
    """What a bus has done, for status views and benchmarks."""

    published: int = 0
    sent: int = 0
    resent: int = 0
    received: int = 0
    repeats: int = 0
    undecodable: int = 0
    given_up: int = 0
    connections: int = 0
    acked: int = 0
    forged_acks: int = 0
    handler_failures: int = 0
    last_error: str = ""
    history: deque[str] = field(default_factory=lambda: deque(maxlen=20))


class MqttBus:
    """A transport over an MQTT broker (see the module docstring).

    Args:
        url: ``mqtt://HOST[:PORT]``, or ``mqtts://HOST[:PORT]`` for TLS; credentials and a CA
            come from the environment (:class:`BrokerAccess`).
        client_id: The MQTT client identifier (also names this bus's acknowledgement topic).
        retry_interval: Seconds before an unacknowledged message is sent again.
        give_up_after: Seconds after which an unacknowledged message is dropped and logged.
        connect_timeout: Seconds :meth:`__aenter__` waits for the first connection.
        run: The run ID: every topic this bus uses sits under ``s1h/v3/<run>/`` on the
            broker, so runs sharing a broker never hear each other.
        ack_delay: Seconds acknowledgements are gathered before they are sent
            (:data:`ACK_DELAY`); 0 sends them as soon as the loop gets to them.
        access: TLS and credentials (default: :meth:`BrokerAccess.of` the URL and the
            environment).
    """

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        retry_interval: float = 2.0,
        give_up_after: float = 600.0,
        connect_timeout: float = 10.0,
        ack_delay: float = ACK_DELAY,
        run: str = DEFAULT_RUN,
        access: BrokerAccess | None = None,
    ) -> None:
        self.url = url
        self.run = run_id(run)
        self.host, self.port = parse_url(url)
        self.access = BrokerAccess.of(url) if access is None else access
        self._tls = self.access.tls_context()
        self.client_id = client_id or f"s1h-{secrets.token_hex(12)}"
        # Not the client ID: an ack_to seen on the wire must not tell anyone how to connect in
        # this bus's place (a second client with its ID would take over its session).
        self.ack_topic = acks(secrets.token_hex(16))
        self.login = self.access.username if self.access.username in LOGINS else "harness"
        """Whom this bus's heartbeats name (``<ack_topic>/<login>``): a secured broker lets a
        login publish acknowledgements under its own name only (a login that is no role's
        name heartbeats as ``harness``, the contract's name for anything else)."""
        self.stats = BusStats()
        self._retry, self._give_up, self._connect_timeout = (
            retry_interval,
            give_up_after,
            connect_timeout,
        )
        self._ack_delay = ack_delay
        self._index: TopicIndex[QueuedSubscription] = TopicIndex()
        self._patterns: dict[str, int] = {}
        self._outbox: OrderedDict[str, _Outgoing] = OrderedDict()
        self._to_send: asyncio.Queue[str] = asyncio.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()
        """Message IDs handled (or handed to consumers that do not say when they are done)."""
        self._handling: dict[str, _Handling] = {}
        """Message IDs handed to consumers that say when they are done, not yet done."""
        self._redo: OrderedDict[str, set[QueuedSubscription]] = OrderedDict()
        """Message IDs a consumer failed on, with the subscriptions that did handle them."""
        self._client: MqttClient | None = None
        self._connected = asyncio.Event()
        self._pending_subscribes: set[asyncio.Task[None]] = set()
        self._acks_due: dict[str, list[str]] = {}
        self._ack_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        """Publishes awaiting the broker's PUBACK (see :meth:`_send_loop`)."""
        self._closing = False
        self._heard = time.monotonic()
        self._first_outcome = asyncio.Event()
        """Set on the first connection, or on a refusal trying again cannot mend."""

    # -- life cycle ------------------------------------------------------------------------

    async def __aenter__(self) -> MqttBus:
        self._tasks = [
            asyncio.create_task(self._connection_loop(), name=f"mqtt {self.client_id}"),
            asyncio.create_task(self._retransmit_loop(), name=f"mqtt retry {self.client_id}"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_outcome.wait(), self._connect_timeout)
        if not self.stats.connections:  # (connected at least once: a drop since is retried)
            await self.close()
            why = f" ({self.stats.last_error})" if self.stats.last_error else ""
            raise InputError(f"cannot reach the MQTT broker at {self.url}{why}") from None
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closing = True
        await self._drain()
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks = []

    async def _drain(self) -> None:
        """Give what this bus sent up to :data:`CLOSE_GRACE` seconds to be confirmed by the
        broker and acknowledged by its consumers before going: a message still in the outbox
        when the bus closes is never sent again, and a client that disconnects while the broker
        is still writing to it can leave amqtt's side of the connection half-closed."""
        if not self._connected.is_set():
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CLOSE_GRACE
        while (self._outbox or self._in_flight) and loop.time() < deadline:
            await asyncio.sleep(_DRAIN_POLL)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # -- the transport interface -------------------------------------------------------------

    async def publish(
        self,
        envelope: Envelope,
        *,
        message_id: str | None = None,
        on_acked: Callable[[str], None] | None = None,
    ) -> None:
        """Queue ``envelope``; it is sent (again) until a consumer acknowledges it. A
        ``message_id`` given (a journal's, kept across restarts) is the one it carries, and
        ``on_acked`` is told it when its consumer acknowledges it."""
        message_id = message_id or uuid.uuid4().hex
        if message_id in self._outbox:
            return  # already on its way
        data = encode(Delivery(envelope, message_id, self.ack_topic))
        topic = on_wire(self.run, envelope.topic)
        self._outbox[message_id] = _Outgoing(
            topic, data, consumer(envelope.topic), time.monotonic(), on_acked=on_acked
        )
        self.stats.published += 1
        self._to_send.put_nowait(message_id)

    def subscribe(
        self, pattern: str, *, observe: bool = False, handled: bool = False
    ) -> QueuedSubscription:
        subscription = QueuedSubscription(
            pattern, self.unsubscribe, observe=observe, handled=handled
        )
        self._index.add(subscription)
        self._patterns[pattern] = self._patterns.get(pattern, 0) + 1
        if self._patterns[pattern] == 1 and self._client is not None:
            task = asyncio.create_task(self._subscribe(self._client, pattern))
            self._pending_subscribes.add(task)
            task.add_done_callback(self._pending_subscribes.discard)
        return subscription

    async def subscribed(self) -> None:
        """Return once every subscription so far is in place at the broker.

        Raises:
            InputError: when the broker refused one (this login may not read that topic).
        """
        await self._connected.wait()
        if self._pending_subscribes:
            done = await asyncio.gather(*self._pending_subscribes, return_exceptions=True)
            for outcome in done:
                if isinstance(outcome, SubscriptionRefusedError):
                    raise InputError(f"MQTT broker at {self.url}: {outcome}")

    def unsubscribe(self, subscription: QueuedSubscription) -> None:
        if self._index.remove(subscription):
            self._patterns[subscription.pattern] -= 1

    def busy(self) -> bool:
        """Messages not yet acknowledged, or received and not yet handled."""
        return (
            bool(self._outbox)
            or bool(self._handling)
            or any(s.pending() for s in self._index.subscriptions)
        )

    # -- the connection ------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        backoff = 0.05
        while not self._closing:
            try:
                async with MqttClient(
                    self.host, self.port, client_id=self.client_id, timeout=10.0,
                    username=self.access.username, password=self.access.password,
                    tls=self._tls,
                ) as client:  # fmt: skip
                    try:
                        await self._on_connect(client)
                        backoff = 0.05
                        await self._serve(client)
                    finally:
                        # Before the client is left (a TLS close waits for the broker's answer):
                        # a subscription made meanwhile waits for the next connection.
                        self._client = None
            except MqttError as exc:
                self.stats.last_error = str(exc).strip()
                if self._connected.is_set():
                    log.warning("lost the MQTT broker at %s: %s", self.url, exc)
                self._refused(exc)
            except Exception as exc:  # noqa: BLE001 - the connection is made again, whatever broke
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.error("the MQTT connection to %s failed: %s", self.url, self.stats.last_error)
                self._refused(exc)
            finally:
                self._connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def _refused(self, exc: BaseException) -> None:
        """Before the first connection, a refusal of these credentials or of the broker's
        certificate ends the wait at once: trying again would not mend it. (Later, the
        connection loop keeps trying: a broker being reconfigured may take them again.)"""
        if self.stats.connections:
            return
        chain = (exc, exc.__cause__, exc.__context__)
        certificate = any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or (
            "CERTIFICATE_VERIFY_FAILED" in str(exc)
        )
        credentials = isinstance(exc, ConnectRefusedError) and exc.rc in _REFUSALS
        if certificate or credentials or isinstance(exc, SubscriptionRefusedError):
            self._first_outcome.set()

    async def _on_connect(self, client: MqttClient) -> None:
        for pattern in [
            acknowledgements(self.ack_topic, "+"),
            *(p for p, n in self._patterns.items() if n),
        ]:
            await self._subscribe(client, pattern)
        self._client = client
        self.stats.connections += 1
        if self.stats.connections > 1:
            log.info("reconnected to %s; resending %d unacknowledged", self.url, len(self._outbox))
        while not self._to_send.empty():
            self._to_send.get_nowait()
        for message_id in self._outbox:
            self._to_send.put_nowait(message_id)
        self._connected.set()
        self._first_outcome.set()

    async def _subscribe(self, client: MqttClient, pattern: str) -> None:
        granted = await client.subscribe(on_wire(self.run, pattern), qos=1)
        if any(code >= _SUBACK_FAILURE for code in granted):
            raise SubscriptionRefusedError(
                f"the broker refused {self.login!r} a subscription to {pattern} "
                "(not in that login's access list)"
            )

    async def _serve(self, client: MqttClient) -> None:
        """Read until the connection fails, or until the session is found lost (the heartbeat
        this bus sends itself no longer comes back): either way the connection loop connects
        again."""
        helpers = [
            asyncio.create_task(self._send_loop(client), name=f"mqtt send {self.client_id}"),
            asyncio.create_task(self._ack_loop(client), name=f"mqtt ack {self.client_id}"),
        ]
        watched = [
            asyncio.create_task(self._read(client), name=f"mqtt read {self.client_id}"),
            asyncio.create_task(self._heartbeat(client), name=f"mqtt beat {self.client_id}"),
        ]
        try:
            done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # the failure that ended it, if any
        finally:
            for task in [*watched, *helpers]:
                await cancel_and_wait(task)

    async def _read(self, client: MqttClient) -> None:
        async for message in client.messages:
            try:
                await self._receive(client, message.topic, message.payload)
            except Exception as exc:  # noqa: BLE001 - one message never stops the bus
                self.stats.undecodable += 1
                log.warning("dropped a message on %s: %s: %s",
                            message.topic, type(exc).__name__, exc)  # fmt: skip

    async def _heartbeat(self, client: MqttClient) -> None:
        """Send this bus an acknowledgement of no message of its own (``heartbeat``) every
        :data:`HEARTBEAT` seconds; when none has come back for :data:`SESSION_LOST` seconds the
        broker no longer delivers to this session (another client took its ID, a broker lost
        its subscriptions): raise, to connect again."""
        self._heard = time.monotonic()
        topic = on_wire(self.run, acknowledgements(self.ack_topic, self.login))
        while True:
            await client.publish(topic, encode_ack(["heartbeat"]), qos=1)
            await asyncio.sleep(HEARTBEAT)
            silent = time.monotonic() - self._heard
            if silent > SESSION_LOST:
                self.stats.history.append(f"session lost: silent {silent:.0f} s")
                raise MqttError(f"no heartbeat for {silent:.0f} s: the session is lost")

    async def _send_loop(self, client: MqttClient) -> None:
        """Hand each queued message to the client, in queue order, without waiting for the
        broker's PUBACK of the one before: QoS 1 publishes are pipelined (the client keeps up to
        ``max_inflight`` unacknowledged), instead of one broker round trip each."""
        in_flight = self._in_flight
        failed = asyncio.Event()
        try:
            while True:
                message_id = await self._to_send.get()
                if failed.is_set():
                    # A publish failed on this connection: stop here; the connection loop
                    # connects again and sends the whole outbox.
                    self._to_send.put_nowait(message_id)
                    return
                outgoing = self._outbox.get(message_id)
                if outgoing is None:
                    continue  # acknowledged meanwhile
                outgoing.attempts += 1
                outgoing.last_sent = time.monotonic()
                self.stats.sent += 1
                self.stats.resent += outgoing.attempts > 1
                # A task runs its first step (the client's synchronous publish) in creation
                # order, so the messages leave in queue order.
                task = asyncio.create_task(self._publish(client, message_id, outgoing, failed))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        finally:
            for task in in_flight:
                task.cancel()  # each awaits only its PUBACK; the outbox still has the message

    async def _publish(
        self, client: MqttClient, message_id: str, outgoing: _Outgoing, failed: asyncio.Event
    ) -> None:
        try:
            await client.publish(outgoing.topic, outgoing.data, qos=1)
        except MqttError:
            self._to_send.put_nowait(message_id)
            failed.set()

    async def _retransmit_loop(self) -> None:
        while True:
            await asyncio.sleep(min(self._retry / 2, 1.0))
            now = time.monotonic()
            for message_id, outgoing in list(self._outbox.items()):
                if now - outgoing.first_sent > self._give_up:
                    del self._outbox[message_id]
                    self.stats.given_up += 1
                    log.error(
                        "no consumer acknowledged %s on %s after %d attempts; dropped",
                        message_id, outgoing.topic, outgoing.attempts,
                    )  # fmt: skip
                elif self._connected.is_set() and now - outgoing.last_sent >= self._retry:
                    outgoing.last_sent = now
                    self._to_send.put_nowait(message_id)

    # -- receiving -----------------------------------------------------------------------------

    async def _ack_loop(self, client: MqttClient) -> None:
        """Acknowledge what arrived, batched per producer and consumer: one message each for
        what arrived within ``ack_delay`` of the first unacknowledged delivery, on
        ``<ack_to>/<consumer>`` (the consumer of the topic it arrived on)."""
        while True:
            await self._ack_ready.wait()
            if self._ack_delay > 0:
                await asyncio.sleep(self._ack_delay)
            self._ack_ready.clear()
            due, self._acks_due = self._acks_due, {}
            for topic, ids in due.items():
                # If this publish fails, the producer will send those messages again, and they
                # will be acknowledged as repeats then.
                await client.publish(on_wire(self.run, topic), encode_ack(ids), qos=1)

    async def _receive(self, client: MqttClient, wire_topic: str, data: bytes) -> None:
        topic = off_wire(self.run, wire_topic)
        if topic is None:
            return  # another run's (amqtt's retained-message leak)
        ack_topic, _, acker = topic.rpartition("/")
        if ack_topic == self.ack_topic:
            self._heard = time.monotonic()
            self._acknowledged(topic, acker, data)
            return
        takers = self._index.for_topic(topic)
        if not takers:
            return  # not ours (amqtt's retained-message leak)
        try:
            delivery = decode(topic, data)
        except WireError as exc:
            self.stats.undecodable += 1
            log.warning("dropped a message: %s", exc.message)
            return
        self.stats.received += 1
        self._take(delivery, topic, takers)

    def _take(self, delivery: Delivery, topic: str, takers: tuple[QueuedSubscription, ...]) -> None:
        """Hand a message on once, and acknowledge it when its consumers have it (or, for
        those that say so, when they have handled it). A copy of a message a consumer failed
        on goes only to the consumers that have not handled it."""
        message_id, consumed = delivery.message_id, not all(s.observe for s in takers)
        if message_id in self._handling:
            self.stats.repeats += 1  # acknowledged when handled
            return
        if message_id in self._seen:
            self.stats.repeats += 1
            self._acknowledge(delivery, topic, consumed)
            return
        done = self._redo.get(message_id)
        if done is not None:  # handled again only where it failed (or by a new consumer)
            self.stats.repeats += 1
            self._handle(delivery, topic, [s for s in takers if s.handled and s not in done], done)
            return
        handlers = [s for s in takers if s.handled]
        for subscription in takers:
            if not subscription.handled:
                subscription.deliver(delivery.envelope, message_id=message_id)
        if not handlers:
            self._remember(message_id)
            self._acknowledge(delivery, topic, consumed)
            return
        self._handle(delivery, topic, handlers, set())

    def _handle(
        self,
        delivery: Delivery,
        topic: str,
        handlers: list[QueuedSubscription],
        done: set[QueuedSubscription],
    ) -> None:
        """Hand ``delivery`` to ``handlers`` (none: wait for the producer's next copy)."""
        if not handlers:
            return
        handling = _Handling(delivery, topic, len(handlers), set(done))
        self._handling[delivery.message_id] = handling
        for subscription in handlers:
            settle = handling.settle(self._settled, subscription)
            subscription.deliver(delivery.envelope, settle, delivery.message_id)

    def _settled(self, handling: _Handling) -> None:
        """Every consumer that handles the message has said: acknowledge it if all handled it;
        if one failed, keep who handled it, so that the producer's next copy is handled again
        by the others only."""
        message_id = handling.delivery.message_id
        self._handling.pop(message_id, None)
        if handling.failed:
            self.stats.handler_failures += 1
            self._redo[message_id] = handling.succeeded
            while len(self._redo) > SEEN_LIMIT:
                self._redo.popitem(last=False)
            log.warning("not acknowledging %s on %s: its handler failed; it is handled again "
                        "when resent", message_id, handling.topic)  # fmt: skip
            return
        self._redo.pop(message_id, None)
        self._remember(message_id)
        self._acknowledge(handling.delivery, handling.topic, consumed=True)

    def _acknowledge(self, delivery: Delivery, topic: str, consumed: bool) -> None:
        if delivery.ack_to and consumed:
            to = acknowledgements(delivery.ack_to, consumer(topic))
            self._acks_due.setdefault(to, []).append(delivery.message_id)
            self._ack_ready.set()

    def _acknowledged(self, topic: str, acker: str, data: bytes) -> None:
        """Take an acknowledgement ``acker`` sent: it ends the resending of a message only if
        ``acker`` is that message's consumer. Anyone else's is counted, logged and ignored."""
        try:
            ids = decode_ack(topic, data)
        except WireError as exc:
            log.warning("dropped an acknowledgement: %s", exc.message)
            return
        for message_id in ids:
            outgoing = self._outbox.get(message_id)
            if outgoing is None:
                continue
            if outgoing.consumer != acker:
                self.stats.forged_acks += 1
                log.warning("ignored %r acknowledging %s on %s: only %r may",
                            acker, message_id, outgoing.topic, outgoing.consumer)  # fmt: skip
                continue
            del self._outbox[message_id]
            self.stats.acked += 1
            if outgoing.on_acked is not None:
                outgoing.on_acked(message_id)

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        if len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)


class SubscriptionRefusedError(MqttError):
    """The broker refused a subscription (SUBACK 0x80): the login may not read that topic."""


_SUBACK_FAILURE = 0x80
_REFUSALS = frozenset({4, 5})
"""CONNACK return codes for bad credentials and not authorised (MQTT 3.1.1 §3.2.2.3)."""


async def cancel_and_wait(task: asyncio.Task[None], attempts: int = 50) -> None:
    """Cancel ``task`` and wait for it to end, cancelling again if a cancellation is lost
    (CPython 3.11's ``wait_for`` can swallow one: python/cpython#86296)."""
    for _ in range(attempts):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    if task.done() and not task.cancelled():
        with contextlib.suppress(asyncio.CancelledError, Exception):
            task.result()


__all__ = [
    "BrokerAccess",
    "BusStats",
    "MqttBus",
    "SubscriptionRefusedError",
    "cancel_and_wait",
    "parse_url",
]
