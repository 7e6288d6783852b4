"""What the runtime really puts on the broker passes the bus contract: a plain MQTT client
listens to every topic while the feature suite runs scenarios on that broker, and checks each
message it hears — envelopes and acknowledgements — against ``docs/asyncapi.yaml``."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiomqtt
import pytest

from brokers import login, login_env
from feature_runs import run_features_async
from s1harness.services.broker import EmbeddedBroker
from s1harness.services.contract import check
from s1harness.spec.bus import CONTROL_KINDS, ROOT, Kind
from s1harness.spec.wire import decode

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]

SELECTED = "IOC-ESME or SMETS2"
"""Every scenario on an ESME of the IOC S1SP, and the SMETS2 baselines."""
SCENARIOS = 15


async def test_every_message_on_the_broker_passes_the_contract(tmp_path: Path) -> None:
    heard: list[tuple[str, bytes]] = []
    async with (
        EmbeddedBroker() as broker,
        aiomqtt.Client(broker.host, broker.port, **login(broker)) as sniffer,
    ):
        await sniffer.subscribe(f"{ROOT}/#", qos=1)  # every run on the broker
        listening = asyncio.create_task(_listen(sniffer, heard))
        try:
            done = await run_features_async(
                tmp_path,
                "-k",
                SELECTED,
                "--s1h-bus",
                "mqtt",
                "--s1h-broker",
                broker.url,
                env=login_env(broker),
            )
            await asyncio.sleep(0.1)
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
    done.expect_all_passed(SCENARIOS)
    problems = [issue for topic, data in heard for issue in check(topic, data)]
    assert problems == []
    kinds = {decode(t, d).envelope.kind for t, d in heard if "/acks/" not in t}
    assert kinds == set(Kind) - CONTROL_KINDS  # no build under test: no control messages
    assert any("/acks/" in topic for topic, _ in heard)


async def _listen(client: aiomqtt.Client, heard: list[tuple[str, bytes]]) -> None:
    async for message in client.messages:
        if isinstance(message.payload, bytes | bytearray):
            heard.append((message.topic.value, bytes(message.payload)))
