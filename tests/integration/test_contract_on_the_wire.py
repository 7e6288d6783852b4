"""What the runtime really puts on the broker passes the bus contract: a plain MQTT client
listens to every topic while scenarios run over MQTT, and checks each message it hears —
envelopes and acknowledgements — against ``docs/asyncapi.yaml``."""

from __future__ import annotations

import asyncio
import contextlib

import aiomqtt
import pytest

from s1harness.services.contract import check
from s1harness.spec.bus import PREFIX, Kind
from s1harness.spec.wire import decode
from s1harness.testing import Harness
from s1harness.testing.scenarios import catalogue

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]


async def test_every_message_on_the_broker_passes_the_contract() -> None:
    heard: list[tuple[str, bytes]] = []
    scenarios = [s for s in catalogue() if s.name.endswith("IOC-ESME") or "SMETS2" in s.name]
    for scenario in scenarios:
        async with Harness.start(scenario.estate, bus="mqtt") as h:
            assert h.broker is not None
            async with aiomqtt.Client(h.broker.host, h.broker.port) as sniffer:
                await sniffer.subscribe(f"{PREFIX}/#", qos=1)
                listening = asyncio.create_task(_listen(sniffer, heard))
                try:
                    await scenario.check(h)
                    await h.settle()
                    await asyncio.sleep(0.1)
                finally:
                    listening.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await listening
    problems = [issue for topic, data in heard for issue in check(topic, data)]
    assert problems == []
    kinds = {decode(t, d).envelope.kind for t, d in heard if "/acks/" not in t}
    assert kinds == set(Kind)
    assert any("/acks/" in topic for topic, _ in heard)


async def _listen(client: aiomqtt.Client, heard: list[tuple[str, bytes]]) -> None:
    async for message in client.messages:
        if isinstance(message.payload, bytes | bytearray):
            heard.append((message.topic.value, bytes(message.payload)))
