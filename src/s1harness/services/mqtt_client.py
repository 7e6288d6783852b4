"""A small asyncio MQTT 3.1.1 client: the part of the protocol the bus uses, and no more.

The bus (:mod:`.mqtt`) needs a client that connects with a clean session (user name, password,
TLS), subscribes at QoS 1, publishes at QoS 1 and waits for the broker's PUBACK, and hands on
what arrives; everything else (resending, end-to-end acknowledgement, reconnecting) is the
bus's. This client is one :class:`asyncio.Protocol`: a packet is parsed straight from the
bytes the loop read, a QoS 1 delivery is acknowledged (PUBACK) as it is parsed, and a publish
is one write. A general-purpose client spent half a round trip's protocol time on callbacks,
properties and byte-at-a-time reads (``s1harness bench bus`` over MQTT).

What it does not do: QoS 2 (a QoS 2 delivery, which it never asks for, ends the connection as a
protocol error), retained or will messages, MQTT 5. Any failure — the connection lost, a
malformed packet, a PUBACK or SUBACK not come within ``timeout`` — ends the connection and
raises :class:`MqttError`, and the bus connects again with a new client. A delivery whose topic
is not UTF-8 is acknowledged and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType

_CONNECT, _CONNACK, _PUBLISH, _PUBACK = 0x10, 0x20, 0x30, 0x40
_SUBSCRIBE, _SUBACK, _PINGREQ, _PINGRESP, _DISCONNECT = 0x82, 0x90, 0xC0, 0xD0, 0xE0
_PING = bytes((_PINGREQ, 0))
_BYE = bytes((_DISCONNECT, 0))
_PUBACK_HEAD = bytes((_PUBACK, 2))
_CLOSE_WAIT = 2.0
"""Seconds a closing connection waits for its socket to close before it drops it."""
_MAX_REMAINING = 268_435_455
"""The largest remaining length four length bytes can say (MQTT 3.1.1 §2.2.3)."""
_CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class MqttError(Exception):
    """The connection failed or broke; the client is unusable."""


class ConnectRefusedError(MqttError):
    """The broker answered CONNECT with a non-zero return code (``rc``)."""

    def __init__(self, rc: int) -> None:
        super().__init__(f"the broker refused the connection: {_CONNACK_REASONS.get(rc, rc)}")
        self.rc = rc


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes


class MqttClient:
    """One MQTT 3.1.1 connection (clean session), as an async context manager.

    Args:
        host, port: The broker.
        client_id: The client identifier.
        username, password: The login (none: anonymous).
        tls: A TLS context (none: plain TCP).
        keepalive: Seconds; a PINGREQ goes every half of it (0: none).
        timeout: Seconds to connect, and to wait for a PUBACK or SUBACK.
        max_inflight: Publishes awaiting their PUBACK at once (more wait their turn).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
        keepalive: int = 60,
        timeout: float = 10.0,
        max_inflight: int = 100,
    ) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self._username, self._password, self._tls = username, password, tls
        self._keepalive, self._timeout = keepalive, timeout
        self._window = asyncio.Semaphore(max_inflight)
        self._transport: asyncio.Transport | None = None
        self._waiting: dict[int, asyncio.Future[bytes]] = {}
        """Packet ID → the PUBACK or SUBACK awaited (its body)."""
        self._next_id = 0
        self._connack: asyncio.Future[int] | None = None
        self._lost: asyncio.Future[None] | None = None
        """Done when the socket is closed (the protocol's ``connection_lost``)."""
        self._inbox: asyncio.Queue[Message | MqttError] = asyncio.Queue()
        self._error: MqttError | None = None
        self._pinger: asyncio.Task[None] | None = None

    # -- life cycle ------------------------------------------------------------------------

    async def __aenter__(self) -> MqttClient:
        loop = asyncio.get_running_loop()
        self._connack, self._lost = loop.create_future(), loop.create_future()
        try:
            async with asyncio.timeout(self._timeout):
                transport, _ = await loop.create_connection(
                    lambda: _Protocol(self),
                    self.host,
                    self.port,
                    ssl=self._tls,
                    server_hostname=self.host if self._tls is not None else None,
                )
                self._transport = transport
                transport.write(self._connect_packet())
                rc = await self._connack
        except TimeoutError:  # the connection or the CONNACK
            await self._shut()
            raise MqttError(f"no connection to {self.host}:{self.port} and CONNACK within "
                            f"{self._timeout:g} s") from None  # fmt: skip
        except OSError as exc:  # refused, unreachable, TLS (ssl.SSLError is an OSError)
            await self._shut()
            raise MqttError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        except BaseException as exc:  # cancelled: no waiting for a TLS close
            await self._shut(at_once=isinstance(exc, asyncio.CancelledError))
            raise
        if rc != 0:
            await self._shut()
            raise ConnectRefusedError(rc)
        if self._keepalive:
            self._pinger = asyncio.create_task(self._ping_loop())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._transport is not None and self._error is None:
            self._transport.write(_BYE)
        try:
            await self._shut(at_once=kind is not None and issubclass(kind, asyncio.CancelledError))
        finally:
            if self._pinger is not None:
                self._pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError, MqttError):
                    await self._pinger

    async def _shut(self, *, at_once: bool = False) -> None:
        """End the connection and return once its socket is closed. Closing a TLS connection
        waits for the broker's close_notify (asyncio allows it half a minute): a loop that
        ended before it came would leave the socket open. After ``_CLOSE_WAIT`` seconds, when
        the wait is cancelled, or ``at_once``, the socket is dropped instead."""
        self._close()
        if self._transport is None or self._lost is None:
            return
        try:
            if not at_once:
                await self._until_lost()
        finally:
            if not self._lost.done():
                self._transport.abort()  # the socket closes in the loop's next step
        await self._until_lost()

    async def _until_lost(self) -> None:
        assert self._lost is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_CLOSE_WAIT):
                await asyncio.shield(self._lost)

    def _close(self, error: MqttError | None = None) -> None:
        """End the connection (``error``: why, for everything waiting) and close the socket
        now. A transport's ``close()`` waits for its write buffer to drain, which a broker that
        stopped reading never lets happen: the socket would stay open until the transport is
        collected. What is still buffered is dropped (the bus sends again whatever its consumer
        has not acknowledged)."""
        if self._transport is not None:
            if self._transport.get_write_buffer_size():
                self._transport.abort()
            else:
                self._transport.close()
        self._fail(error or MqttError("the client closed its connection"))

    def _fail(self, error: MqttError) -> None:
        """The connection is over: everything waiting learns it, once."""
        if self._error is not None:
            return
        self._error = error
        for future in [*self._waiting.values(), self._connack]:
            if future is not None and not future.done():
                future.set_exception(error)
                future.exception()  # retrieved: a caller gone meanwhile leaves no warning
        self._waiting.clear()
        self._inbox.put_nowait(error)

    async def _ping_loop(self) -> None:
        while self._error is None and self._transport is not None:
            await asyncio.sleep(self._keepalive / 2)
            self._write(_PING)

    # -- operations ------------------------------------------------------------------------

    async def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Publish; at QoS 1, return when the broker has acknowledged it (PUBACK)."""
        name = topic.encode()
        if qos == 0:
            self._write(_packet(_PUBLISH, _string(name) + payload))
            return
        if qos != 1:
            raise ValueError("this client publishes at QoS 0 or 1 only")
        async with self._window:
            packet_id, acked = self._expect()
            self._write(_packet(_PUBLISH | 0x02, _string(name) + _id(packet_id) + payload))
            await self._answer(packet_id, acked, "PUBACK")

    async def subscribe(self, topic: str, qos: int = 1) -> list[int]:
        """Subscribe to ``topic``; the broker's return codes (0x80: refused)."""
        packet_id, acked = self._expect()
        self._write(_packet(_SUBSCRIBE, _id(packet_id) + _string(topic.encode()) + bytes((qos,))))
        return list(await self._answer(packet_id, acked, "SUBACK"))

    @property
    def messages(self) -> AsyncIterator[Message]:
        """What arrives on the subscriptions; raises :class:`MqttError` when the connection
        breaks."""
        return self._messages()

    async def _messages(self) -> AsyncIterator[Message]:
        while True:
            item = await self._inbox.get()
            if isinstance(item, MqttError):
                self._inbox.put_nowait(item)  # every later reader learns it too
                raise item
            yield item

    def _expect(self) -> tuple[int, asyncio.Future[bytes]]:
        if self._error is not None:
            raise self._error
        packet_id = self._next_id
        while True:
            packet_id = packet_id % 0xFFFF + 1
            if packet_id not in self._waiting:
                break
        self._next_id = packet_id
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[packet_id] = future
        return packet_id, future

    async def _answer(self, packet_id: int, future: asyncio.Future[bytes], what: str) -> bytes:
        try:
            async with asyncio.timeout(self._timeout):
                return await future
        except TimeoutError:
            # A broker that let an acknowledgement go may let others go: the connection is
            # given up (its packet IDs with it), and the bus connects again.
            error = MqttError(f"no {what} within {self._timeout:g} s")
            self._close(error)
            raise error from None

    def _write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        assert self._transport is not None
        self._transport.write(data)

    def _connect_packet(self) -> bytes:
        flags, tail = 0x02, _string(self.client_id.encode())  # clean session
        if self._username is not None:
            flags |= 0x80
            tail += _string(self._username.encode())
            if self._password is not None:
                flags |= 0x40
                tail += _string(self._password.encode())
        head = _string(b"MQTT") + bytes((4, flags)) + struct.pack("!H", self._keepalive)
        return _packet(_CONNECT, head + tail)

    # -- what the protocol parsed ----------------------------------------------------------

    def _received(self, kind: int, flags: int, body: bytes) -> None:
        if kind == _PUBLISH:
            self._on_publish(flags, body)
        elif kind in (_PUBACK, _SUBACK):
            if len(body) < 2:
                raise MqttError("a malformed acknowledgement")
            future = self._waiting.pop(int.from_bytes(body[:2], "big"), None)
            if future is not None and not future.done():
                future.set_result(body[2:])
        elif kind == _CONNACK:
            if len(body) != 2 or self._connack is None or self._connack.done():
                raise MqttError("an unexpected CONNACK")
            self._connack.set_result(body[1])
        elif kind != _PINGRESP:
            raise MqttError(f"an unexpected packet of type {kind >> 4}")

    def _on_publish(self, flags: int, body: bytes) -> None:
        qos = (flags >> 1) & 0x03
        if qos > 1:
            raise MqttError("a QoS 2 delivery, never subscribed for")
        size = int.from_bytes(body[:2], "big")
        start = 2 + size + (2 if qos else 0)
        if len(body) < start:
            raise MqttError("a malformed PUBLISH")
        if qos:
            self._write(_PUBACK_HEAD + body[start - 2 : start])
        try:
            topic = body[2 : 2 + size].decode()
        except UnicodeDecodeError:  # not a topic name (a broker should have refused it)
            return
        self._inbox.put_nowait(Message(topic, body[start:]))


class _Protocol(asyncio.Protocol):
    """Bytes in, packets out: a packet is parsed once all of it has arrived."""

    def __init__(self, client: MqttClient) -> None:
        self._client = client
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start = 0
        try:
            while True:
                parsed = _next_packet(buffer, start)
                if parsed is None:
                    break
                head, body_start, end = parsed
                start = end
                self._client._received(head & 0xF0, head & 0x0F, bytes(buffer[body_start:end]))
        except (MqttError, UnicodeDecodeError, ValueError) as exc:
            error = exc if isinstance(exc, MqttError) else MqttError(f"a malformed packet: {exc}")
            self._client._close(error)
            return
        finally:
            del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        why = f": {exc}" if exc else ""
        self._client._fail(MqttError(f"the broker closed the connection{why}"))
        lost = self._client._lost
        if lost is not None and not lost.done():
            lost.set_result(None)


def _next_packet(buffer: bytearray, start: int) -> tuple[int, int, int] | None:
    """The packet at ``start`` of ``buffer``, if all of it is there: (first byte, where its
    body starts, where it ends)."""
    size, multiplier, at = 0, 1, start + 1
    while True:
        if at >= len(buffer):
            return None
        byte = buffer[at]
        size += (byte & 0x7F) * multiplier
        at += 1
        if not byte & 0x80:
            break
        multiplier *= 128
        if multiplier > 128**3:
            raise MqttError("a packet length longer than four bytes")
    end = at + size
    if size > _MAX_REMAINING or end > len(buffer):
        return None
    return buffer[start], at, end


def _packet(first: int, body: bytes) -> bytes:
    size, length = len(body), bytearray()
    while True:
        byte, size = size % 128, size // 128
        length.append(byte | (0x80 if size else 0))
        if not size:
            return bytes((first,)) + bytes(length) + body


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def _id(packet_id: int) -> bytes:
    return struct.pack("!H", packet_id)


__all__ = ["ConnectRefusedError", "Message", "MqttClient", "MqttError"]
