"""Hostile clients on the bus (on 127.0.0.1 only, a bounded handful of messages each): what they
send changes no database and no device, and the estate still answers afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt
import pytest

from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.presets import NETWORK_OPERATOR, WRONG_NETWORK_OPERATOR
from s1harness.services.broker import EmbeddedBroker
from s1harness.services.mqtt import MqttBus
from s1harness.spec.bus import dsp_from_s1sp, dsp_requests, on_wire, s1sp_requests
from s1harness.testing import Harness, refusal
from s1harness.testing.expectations import estate

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]


@asynccontextmanager
async def _running() -> AsyncIterator[tuple[Harness, EmbeddedBroker]]:
    async with (
        EmbeddedBroker() as broker,
        Harness.start(estate(), bus="mqtt", broker=broker.url, timeout=30) as h,
    ):
        yield h, broker


async def _still_answers(h: Harness) -> None:
    """The wrong NO's 6.15.1 on a device of each S1SP runs to its SMETS1 response."""
    for cohort in ("IOC", "MOC"):
        device = h.device(smets=1, cohort=cohort, device_type="ESME", wrong_no=True)
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        outcome = await h.outcome(await h.send(WRONG_NETWORK_OPERATOR, device, "6.15.1", body))
        assert isinstance(outcome.body, SMETS1ResponseMessage), refusal(outcome)


@pytest.mark.parametrize(
    "octets",
    [b"[" * 100_000, b'{"a":' * 50_000, b"\xff\xfe" * 1000, b"", b'{"v": 1, "kind": 7}'],
    ids=["deep-array", "deep-object", "not-utf8", "empty", "wrong-types"],
)
async def test_any_octets_on_any_role_topic_change_nothing(octets: bytes) -> None:
    async with _running() as (h, broker):
        await h.settle()
        before = h.snapshot()
        async with aiomqtt.Client(broker.host, broker.port) as attacker:
            for topic in (dsp_requests(), s1sp_requests("IOC"), dsp_from_s1sp()):
                await attacker.publish(on_wire(h.run, topic), octets, qos=1)
        await asyncio.sleep(0.3)
        await h.settle()
        assert h.snapshot() == before
        assert isinstance(h.bus, MqttBus) and h.bus.stats.undecodable >= 3
        await _still_answers(h)


async def test_a_client_that_takes_the_harness_client_id_does_not_deafen_it() -> None:
    async with _running() as (h, broker):
        assert isinstance(h.bus, MqttBus)
        assert h.bus.client_id not in h.bus.ack_topic  # nothing on the wire names it
        async with aiomqtt.Client(broker.host, broker.port, identifier=h.bus.client_id):
            await asyncio.sleep(1.0)  # the broker hands the session to the intruder
        await _still_answers(h)
