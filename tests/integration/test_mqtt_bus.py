"""The MQTT bus on the embedded broker: delivery, end-to-end acknowledgement, repeats handled
once, a broker restart costing nothing, and bad input refused by name."""

from __future__ import annotations

import asyncio
import socket

import aiomqtt
import pytest

from brokers import login
from s1harness.services.broker import EmbeddedBroker
from s1harness.services.mqtt import MqttBus, parse_url
from s1harness.services.runner import RoleRunner
from s1harness.spec.bus import DEFAULT_RUN, Envelope, Kind, on_wire
from s1harness.spec.errors import InputError
from s1harness.spec.wire import Delivery, acks, decode_ack, encode

pytestmark = pytest.mark.mqtt


def _envelope(n: int, topic: str = "test/a") -> Envelope:
    return Envelope(topic, Kind.GBCS_COMMAND, bytes([n % 256]) * 40, str(n))


async def _drained(bus: MqttBus, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while bus.busy():
            await asyncio.sleep(0.01)


async def test_delivery_in_order_with_filters_and_acknowledgement() -> None:
    async with (
        EmbeddedBroker() as broker,
        MqttBus(broker.url, access=broker.access()) as a,
        MqttBus(broker.url, access=broker.access()) as b,
    ):
        everything, only_b = b.subscribe("test/#"), b.subscribe("test/b")
        await b.subscribed()
        for n in range(50):
            await a.publish(_envelope(n, "test/a" if n % 2 else "test/b"))
        got = [await everything.get(5) for _ in range(50)]
        assert [e.correlation_id for e in got] == [str(n) for n in range(50)]
        assert [(await only_b.get(5)).correlation_id for _ in range(25)] == [
            str(n) for n in range(0, 50, 2)
        ]
        await _drained(a)
        assert a.stats.acked == 50
        # The broker sends a message once per matching filter; each subscription gets it once.
        assert everything.pending() == only_b.pending() == 0


async def test_a_repeated_message_id_is_handed_on_once_and_acknowledged_again() -> None:
    async with EmbeddedBroker() as broker, MqttBus(broker.url, access=broker.access()) as b:
        subscription = b.subscribe("test/#")
        await b.subscribed()
        async with aiomqtt.Client(broker.host, broker.port, **login(broker)) as raw:
            await raw.subscribe(on_wire(DEFAULT_RUN, f"{acks('raw')}/+"), qos=1)
            data = encode(Delivery(_envelope(1), "same-id", acks("raw")))
            for _ in range(3):
                await raw.publish(on_wire(DEFAULT_RUN, "test/a"), data, qos=1)
            acknowledged: list[str] = []
            async with asyncio.timeout(5):
                async for message in raw.messages:
                    # test/a is no role's topic: its consumer is the harness
                    assert message.topic.value.endswith("/raw/harness")
                    acknowledged += decode_ack(message.topic.value, message.payload)  # type: ignore[arg-type]
                    if len(acknowledged) == 3:
                        break
            assert acknowledged == ["same-id"] * 3
        assert (await subscription.get(5)).correlation_id == "1"
        with pytest.raises(TimeoutError):
            await subscription.get(0.2)
        assert b.stats.repeats == 2


async def test_a_broker_restart_loses_nothing_and_runs_nothing_twice() -> None:
    async with (
        EmbeddedBroker() as broker,
        MqttBus(broker.url, access=broker.access(), retry_interval=0.2) as a,
        MqttBus(broker.url, access=broker.access(), retry_interval=0.2) as b,
    ):
        subscription = b.subscribe("test/#")
        await b.subscribed()
        for n in range(20):
            await a.publish(_envelope(n))
        await broker.stop()
        for n in range(20, 40):  # published while there is no broker at all
            await a.publish(_envelope(n))
        await asyncio.sleep(0.3)
        await broker.start()
        got = [(await subscription.get(20)).correlation_id for _ in range(40)]
        await _drained(a, 20)
        assert sorted(got, key=int) == [str(n) for n in range(40)]
        with pytest.raises(TimeoutError):
            await subscription.get(0.5)
        assert a.stats.connections >= 2


async def test_undecodable_and_foreign_messages_are_dropped() -> None:
    async with EmbeddedBroker() as broker, MqttBus(broker.url, access=broker.access()) as b:
        subscription = b.subscribe("test/#")
        await b.subscribed()
        async with aiomqtt.Client(broker.host, broker.port, **login(broker)) as raw:
            await raw.publish(on_wire(DEFAULT_RUN, "test/a"), b"not an envelope", qos=1)
            # A retained message on a topic b never subscribed to: amqtt may push it anyway.
            await raw.subscribe("elsewhere/status", qos=1)
            await raw.publish("elsewhere/status", b"retained", qos=1, retain=True)
        async with MqttBus(broker.url, access=broker.access()) as late:
            other = late.subscribe("test/#")
            await late.subscribed()
            await asyncio.sleep(0.3)
            assert other.pending() == 0
        await asyncio.sleep(0.1)
        assert subscription.pending() == 0
        assert b.stats.undecodable == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://127.0.0.1:1884", ("127.0.0.1", 1884)),
        ("mqtt://broker", ("broker", 1883)),
        ("mqtts://broker", ("broker", 8883)),
    ],
)
def test_broker_urls(url: str, expected: tuple[str, int]) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://x:1", "mqtt://", "mqtt://h:99999", "mqtt://h/path", "mqtt://h?x=1"]
)
def test_bad_broker_urls(url: str) -> None:
    with pytest.raises(InputError, match="broker URL"):
        parse_url(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mqtts://user:s3cret-word@h:8883", "S1HARNESS_BROKER_PASSWORD"),
        ("mqtt://user:s3cret-word@h:1883", "credentials"),
        ("mqtt://user@h", "credentials"),
        ("mqtt://user:s3cret-word@h:99999", "credentials"),
        ("mqtt://user:s3cret/word@h", "credentials"),
        ("mqtt://user:s3cret#word?@h:1", "credentials"),
    ],
)
def test_credentials_in_a_broker_url_are_refused_and_the_password_not_shown(
    url: str, why: str
) -> None:
    with pytest.raises(InputError, match=why) as refused:
        parse_url(url)
    assert "s3cret" not in refused.value.message


async def test_an_unreachable_broker_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening
        with pytest.raises(
            InputError, match=f"cannot reach the MQTT broker at mqtt://127.0.0.1:{port}"
        ):
            async with MqttBus(f"mqtt://127.0.0.1:{port}", connect_timeout=0.5):
                pass


async def test_a_message_whose_handler_failed_is_handled_again_and_acknowledged_only_then() -> None:
    """A passing fault (a locked database, say) in the handler does not drop an accepted
    message: it is acknowledged only once handled, so the producer's next copy is handled."""
    calls: list[str] = []

    def flaky(envelope: Envelope) -> list[Envelope]:
        calls.append(envelope.correlation_id)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return [_envelope(99, "test/answers")]

    async with (
        EmbeddedBroker() as broker,
        MqttBus(broker.url, access=broker.access(), retry_interval=0.2) as producer,
        MqttBus(broker.url, access=broker.access()) as consumer,
        RoleRunner(consumer, [("test/requests", flaky)]) as runner,
    ):
        answers = producer.subscribe("test/answers")
        await producer.subscribed()
        await producer.publish(_envelope(1, "test/requests"))
        assert (await answers.get(10)).correlation_id == "99"
        await _drained(producer)
        await _drained(consumer)
        with pytest.raises(TimeoutError):
            await answers.get(0.5)  # handled once: one answer
    assert calls == ["1", "1"]
    assert [str(f.error) for f in runner.failures] == ["database is locked"]
    assert consumer.stats.handler_failures == 1
    assert producer.stats.acked == 1


async def test_a_resend_after_a_failure_goes_only_to_the_consumer_that_failed() -> None:
    """Two routes take a topic and an observer watches it: one route fails once. The copy the
    producer sends again is handled by that route only; the other route and the observer see
    the message once."""
    calls: dict[str, int] = {"steady": 0, "flaky": 0}

    def steady(envelope: Envelope) -> list[Envelope]:
        calls["steady"] += 1
        return []

    def flaky(envelope: Envelope) -> list[Envelope]:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("database is locked")
        return []

    async with (
        EmbeddedBroker() as broker,
        MqttBus(broker.url, access=broker.access(), retry_interval=0.2) as producer,
        MqttBus(broker.url, access=broker.access()) as consumer,
    ):
        watched = consumer.subscribe("test/requests", observe=True)
        routes = [("test/requests", steady), ("test/requests", flaky)]
        async with RoleRunner(consumer, routes) as runner:
            await producer.publish(_envelope(1, "test/requests"))
            await _drained(producer)  # acknowledged: both routes have handled it
        assert calls == {"steady": 1, "flaky": 2}
        assert len(runner.failures) == 1
        assert watched.pending() == 1  # the observer saw it once


async def test_a_subscription_closed_before_it_handled_a_message_loses_nothing() -> None:
    async with (
        EmbeddedBroker() as broker,
        MqttBus(broker.url, access=broker.access(), retry_interval=0.2) as producer,
        MqttBus(broker.url, access=broker.access()) as consumer,
    ):
        first = consumer.subscribe("test/requests", handled=True)
        await consumer.subscribed()
        await producer.publish(_envelope(1, "test/requests"))
        assert (await first.get(10)).correlation_id == "1"
        first.close()  # taken, never handled: its consumer went away
        second = consumer.subscribe("test/requests", handled=True)
        assert (await second.get(10)).correlation_id == "1"  # the producer's next copy
        second.done()
        await _drained(producer)
        assert producer.stats.acked == 1
        assert not consumer.busy()
