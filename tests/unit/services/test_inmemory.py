"""The in-memory bus and topic filters."""

from __future__ import annotations

import asyncio

import pytest

from s1harness.services.inmemory import PUBLISHED_LIMIT, InMemoryBus
from s1harness.spec.bus import Envelope, Kind, dsp_requests, matches, user_inbox


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("dsp/requests", "dsp/requests", True),
        ("users/+/inbox", "users/90B3D51F30020000/inbox", True),
        ("users/+/inbox", "users/a/b/inbox", False),
        ("#", "s1sp/IOC/requests", True),
        ("s1sp/+", "s1sp/IOC/requests", False),
        ("dsp/requests", "dsp", False),
    ],
)
def test_topic_filters(pattern: str, topic: str, expected: bool) -> None:
    assert matches(pattern, topic) is expected


def _envelope(topic: str, n: int) -> Envelope:
    return Envelope(topic, Kind.GBCS_COMMAND, bytes([n]), correlation_id=str(n))


def test_publish_and_subscribe_in_order_with_wildcards() -> None:
    async def scenario() -> None:
        async with InMemoryBus() as bus:
            everything = bus.subscribe("#")
            inboxes = bus.subscribe(user_inbox("+"))
            for n in range(3):
                await bus.publish(_envelope(user_inbox("90B3D51F30020000"), n))
            await bus.publish(_envelope(dsp_requests(), 9))
            assert [(await inboxes.get(1)).payload for _ in range(3)] == [b"\x00", b"\x01", b"\x02"]
            assert everything.pending() == 4 and inboxes.pending() == 0
            inboxes.close()
            await bus.publish(_envelope(user_inbox("X"), 5))
            assert inboxes.pending() == 0 and everything.pending() == 5
            with pytest.raises(TimeoutError):
                await inboxes.get(timeout=0.01)
            assert len(bus.published) == 5

    asyncio.run(scenario())


def test_the_record_of_what_was_published_keeps_the_newest_only() -> None:
    async def scenario() -> None:
        async with InMemoryBus() as bus:
            for n in range(2 * PUBLISHED_LIMIT + 1):
                await bus.publish(_envelope(dsp_requests(), n % 256))
            assert len(bus.published) == PUBLISHED_LIMIT + 1
            assert bus.published[-1].payload == bytes([(2 * PUBLISHED_LIMIT) % 256])

    asyncio.run(scenario())
