"""The project's MQTT 3.1.1 client, against a scripted peer (exact bytes, split and joined
anyhow) and against the embedded broker."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from brokers import tls_files
from s1harness.services import mqtt_client
from s1harness.services.broker import EmbeddedBroker
from s1harness.services.mqtt_client import (
    ConnectRefusedError,
    Message,
    MqttClient,
    MqttError,
    _next_packet,
    _packet,
)

CONNACK_OK = bytes((0x20, 2, 0, 0))


def _publish(topic: str, payload: bytes, packet_id: int | None) -> bytes:
    name = topic.encode()
    body = struct.pack("!H", len(name)) + name
    if packet_id is not None:
        body += struct.pack("!H", packet_id)
    return _packet(0x32 if packet_id is not None else 0x30, body + payload)


class _Peer:
    """A TCP server that answers CONNECT with ``connack`` and then with what ``script``
    returns for each packet it reads (its first byte and body)."""

    def __init__(self, connack: bytes, script: Callable[[int, bytes], bytes]) -> None:
        self.connack, self.script = connack, script
        self.received: list[tuple[int, bytes]] = []
        self.writer: asyncio.StreamWriter | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        try:
            while True:
                first = (await reader.readexactly(1))[0]
                size, multiplier = 0, 1
                while True:
                    byte = (await reader.readexactly(1))[0]
                    size += (byte & 0x7F) * multiplier
                    multiplier *= 128
                    if not byte & 0x80:
                        break
                body = await reader.readexactly(size)
                self.received.append((first, body))
                writer.write(self.connack if first == 0x10 else self.script(first, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@asynccontextmanager
async def _peer(
    script: Callable[[int, bytes], bytes] = lambda first, body: b"",
    connack: bytes = CONNACK_OK,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[tuple[_Peer, int]]:
    peer = _Peer(connack, script)
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0, ssl=tls)
    try:
        yield peer, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        if peer.writer is not None:
            peer.writer.close()


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def _client(
    port: int, *, username: str | None = None, password: str | None = None,
    keepalive: int = 60, timeout: float = 5.0,
) -> MqttClient:  # fmt: skip
    return MqttClient("127.0.0.1", port, client_id="c1", username=username, password=password,
                      keepalive=keepalive, timeout=timeout)  # fmt: skip


def test_remaining_lengths_of_one_to_four_bytes_round_trip() -> None:
    for size in (0, 127, 128, 16_383, 16_384, 2_097_152):
        packet = _packet(0x30, bytes(size))
        first, body_start, end = _next_packet(bytearray(packet), 0) or (0, 0, 0)
        assert (first, end - body_start, end) == (0x30, size, len(packet))
        assert _next_packet(bytearray(packet[:-1]), 0) is None if size else True


def test_a_fifth_length_byte_is_a_protocol_error() -> None:
    with pytest.raises(MqttError, match="four bytes"):
        _next_packet(bytearray(b"\x30\xff\xff\xff\xff\x01"), 0)


async def test_connect_sends_the_login_and_a_clean_session() -> None:
    async with _peer() as (peer, port):
        async with _client(port, username="dsp", password="pw", keepalive=30):
            pass
        await _until(lambda: len(peer.received) == 2)
    first, body = peer.received[0]
    assert first == 0x10
    assert body == (
        b"\x00\x04MQTT\x04" + bytes((0xC2,)) + b"\x00\x1e" + b"\x00\x02c1" + b"\x00\x03dsp"
        b"\x00\x02pw"
    )
    assert peer.received[-1] == (0xE0, b"")  # DISCONNECT on the way out


async def test_a_refused_connect_names_its_return_code() -> None:
    async with _peer(connack=bytes((0x20, 2, 0, 4))) as (_, port):
        with pytest.raises(ConnectRefusedError, match="bad user name or password") as caught:
            async with _client(port):
                pass
    assert caught.value.rc == 4


async def test_a_publish_returns_only_when_its_puback_comes() -> None:
    acks: list[bytes] = []

    def script(first: int, body: bytes) -> bytes:
        if first == 0x32:
            acks.append(bytes((0x40, 2)) + body[2 + body[1] : 4 + body[1]])
        return b""

    async with _peer(script) as (peer, port), _client(port) as client:
        sending = asyncio.create_task(client.publish("a/b", b"payload"))
        await _until(lambda: bool(acks))
        await asyncio.sleep(0.05)
        assert not sending.done()  # no PUBACK yet
        assert peer.writer is not None
        peer.writer.write(acks[0])
        await asyncio.wait_for(sending, 5)
    assert peer.received[1] == (0x32, b"\x00\x03a/b\x00\x01payload")


async def test_deliveries_split_and_joined_anyhow_are_parsed_and_acknowledged() -> None:
    packets = [_publish("t/1", b"x" * 300, 7), _publish("t/2", b"", None), _publish("t/3", b"z", 9)]
    stream = b"".join(packets)
    async with _peer() as (peer, port), _client(port) as client:
        assert peer.writer is not None
        # one byte, then a packet and a half, then the rest
        for piece in (stream[:1], stream[1 : len(packets[0]) + 5], stream[len(packets[0]) + 5 :]):
            peer.writer.write(piece)
            await peer.writer.drain()
            await asyncio.sleep(0.02)
        got = [await asyncio.wait_for(anext(client.messages), 5) for _ in packets]
        await _until(lambda: sum(p[0] == 0x40 for p in peer.received) == 2)
    assert got == [Message("t/1", b"x" * 300), Message("t/2", b""), Message("t/3", b"z")]
    assert [p for p in peer.received if p[0] == 0x40] == [(0x40, b"\x00\x07"), (0x40, b"\x00\x09")]


@pytest.mark.parametrize(
    ("junk", "why"),
    [
        (_publish("t", b"x", 3)[:1] + b"\x05" + b"\xff\xff" + b"t" * 3, "malformed"),
        (bytes((0x34, 6, 0, 1)) + b"t\x00\x01x", "QoS 2"),
        (bytes((0x70, 2, 0, 1)), "unexpected packet"),
    ],
)
async def test_a_malformed_or_unexpected_packet_ends_the_connection(junk: bytes, why: str) -> None:
    async with _peer() as (peer, port), _client(port) as client:
        assert peer.writer is not None
        peer.writer.write(junk)
        with pytest.raises(MqttError, match=why):
            await asyncio.wait_for(anext(client.messages), 5)
        with pytest.raises(MqttError):
            await client.publish("t", b"after")


async def test_a_lost_connection_fails_the_publishes_waiting_for_their_puback() -> None:
    async with _peer() as (peer, port), _client(port) as client:
        sending = asyncio.create_task(client.publish("t", b"x"))
        await _until(lambda: len(peer.received) == 2)
        assert peer.writer is not None
        peer.writer.close()
        with pytest.raises(MqttError, match="closed the connection"):
            await asyncio.wait_for(sending, 5)


async def test_a_missing_puback_times_out() -> None:
    async with _peer() as (_, port), _client(port, timeout=0.2) as client:
        with pytest.raises(MqttError, match="no PUBACK within"):
            await client.publish("t", b"x")
        with pytest.raises(MqttError, match="no PUBACK within"):  # the connection is given up
            await asyncio.wait_for(anext(client.messages), 5)


async def test_round_trips_and_refusals_on_the_embedded_broker() -> None:
    async with EmbeddedBroker() as broker:
        host, port = "127.0.0.1", broker.port
        harness = broker.access("harness")
        async with MqttClient(
            host, port, client_id="one", username=harness.username, password=harness.password
        ) as client:
            assert await client.subscribe("s1h/v3/r/users/+/inbox") == [1]
            assert await client.subscribe("not/in/the/access/list") == [0x80]
            await client.publish("s1h/v3/r/users/90B3D51F30020000/inbox", b"hello")
            got = await asyncio.wait_for(anext(client.messages), 10)
        assert got == Message("s1h/v3/r/users/90B3D51F30020000/inbox", b"hello")
        with pytest.raises(ConnectRefusedError) as caught:
            async with MqttClient(
                host, port, client_id="two", username=harness.username, password="wrong"
            ):
                pass
        assert caught.value.rc in (4, 5)


async def test_a_delivery_whose_topic_is_not_utf8_is_acknowledged_and_dropped() -> None:
    raw = _packet(0x32, b"\x00\x03t/\xff" + b"\x00\x05" + b"x")
    async with _peer() as (peer, port), _client(port) as client:
        assert peer.writer is not None
        peer.writer.write(raw + _publish("t/ok", b"y", 6))
        got = await asyncio.wait_for(anext(client.messages), 5)
        await _until(lambda: sum(p[0] == 0x40 for p in peer.received) == 2)
    assert got == Message("t/ok", b"y")
    assert [p for p in peer.received if p[0] == 0x40] == [(0x40, b"\x00\x05"), (0x40, b"\x00\x06")]


async def test_leaving_a_broker_that_stopped_reading_closes_the_socket_at_once() -> None:
    """``close()`` on a transport waits for its buffer to drain; a broker that reads no more
    never drains it, and the socket would stay open until collected."""
    accepted: list[asyncio.StreamWriter] = []

    async def stalled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        await reader.read(1024)  # the CONNECT
        writer.write(CONNACK_OK)  # and then it reads nothing

    server = await asyncio.start_server(stalled, "127.0.0.1", 0)
    try:
        async with _client(server.sockets[0].getsockname()[1]) as client:
            await client.publish("t", bytes(32 << 20), qos=0)  # more than the socket takes
            assert client._transport is not None
            sock = client._transport.get_extra_info("socket")
        assert sock.fileno() == -1
    finally:
        server.close()
        for writer in accepted:
            writer.transport.abort()


def _tls_server_context(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context for 127.0.0.1, client context trusting it)."""
    ca, cert, key = tls_files()
    (folder / "cert.pem").write_bytes(cert)
    (folder / "key.pem").write_bytes(key)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return server, ssl.create_default_context(cadata=ca.decode())


async def test_leaving_a_tls_connection_returns_with_its_socket_closed(tmp_path: Path) -> None:
    """A TLS close waits for the peer's close_notify; a loop that ended meanwhile (a test, a
    command) would leave the socket open for the garbage collector to find."""
    server_tls, client_tls = _tls_server_context(tmp_path)
    async with _peer(tls=server_tls) as (peer, port):
        async with MqttClient("127.0.0.1", port, client_id="c1", tls=client_tls) as client:
            transport = client._transport
            assert transport is not None
            sock = transport.get_extra_info("socket")
            assert sock.fileno() != -1
            aborted: list[bool] = []
            transport.abort = lambda: aborted.append(True)  # type: ignore[method-assign]
        assert sock.fileno() == -1  # no loop step since: closed before the block was left
        assert not aborted  # closed as TLS closes, not dropped
        assert peer.received[-1] == (0xE0, b"")  # DISCONNECT, then the TLS close


@contextmanager
def _silent_tls_peer(server_tls: ssl.SSLContext) -> Iterator[int]:
    """A TLS peer (its port) that answers the CONNECT and then reads nothing, so never
    answers a TLS close."""
    done = threading.Event()

    def silent(listener: socket.socket) -> None:
        raw, _ = listener.accept()
        with server_tls.wrap_socket(raw, server_side=True) as conn:
            conn.recv(1024)  # the CONNECT
            conn.sendall(CONNACK_OK)
            done.wait(30)

    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=silent, args=(listener,), daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1]
        finally:
            done.set()
            thread.join(30)


async def test_a_tls_peer_that_never_answers_the_close_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer that stopped reading never sends its close_notify: the client waits
    ``_CLOSE_WAIT`` for it (asyncio alone would wait half a minute), then drops the socket."""
    monkeypatch.setattr(mqtt_client, "_CLOSE_WAIT", 0.2)
    server_tls, client_tls = _tls_server_context(tmp_path)
    with _silent_tls_peer(server_tls) as port:
        client = MqttClient("127.0.0.1", port, client_id="c1", tls=client_tls)
        async with asyncio.timeout(20):
            async with client:
                assert client._transport is not None
                sock = client._transport.get_extra_info("socket")
        assert sock.fileno() == -1


async def test_a_cancelled_client_drops_its_tls_connection_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled (a command stopping, the bus closing): no wait for the peer's close_notify."""
    monkeypatch.setattr(mqtt_client, "_CLOSE_WAIT", 120)
    server_tls, client_tls = _tls_server_context(tmp_path)
    inside = asyncio.Event()
    with _silent_tls_peer(server_tls) as port:
        client = MqttClient("127.0.0.1", port, client_id="c1", tls=client_tls)

        async def use() -> None:
            async with client:
                inside.set()
                await asyncio.sleep(120)

        task = asyncio.create_task(use())
        await inside.wait()
        assert client._transport is not None
        sock = client._transport.get_extra_info("socket")
        task.cancel()
        await asyncio.wait([task], timeout=20)  # not the two minutes of _CLOSE_WAIT
        assert task.cancelled()
        assert sock.fileno() == -1
