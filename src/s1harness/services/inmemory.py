"""The in-memory bus: the transport interface without a network, for tests and single-process
runs. Delivery is in publish order, at-least-once semantics are trivially exactly-once, and
subscribers get their own queues, so a slow subscriber never blocks a publisher. Which
subscriptions take a topic is worked out once per topic (:class:`~.topics.TopicIndex`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType

from s1harness.services.topics import TopicIndex
from s1harness.spec.bus import Envelope, matches


class Subscription:
    """Envelopes matching one topic filter, in arrival order."""

    def __init__(self, bus: InMemoryBus, pattern: str) -> None:
        self.pattern = pattern
        self._bus = bus
        self._queue: asyncio.Queue[Envelope] = asyncio.Queue()

    def offer(self, envelope: Envelope) -> None:
        if matches(self.pattern, envelope.topic):
            self._queue.put_nowait(envelope)

    def deliver(self, envelope: Envelope) -> None:
        """Queue an envelope already known to match this subscription's filter."""
        self._queue.put_nowait(envelope)

    async def get(self, timeout: float | None = None) -> Envelope:
        """The next envelope; raises ``TimeoutError`` after ``timeout`` seconds."""
        return await asyncio.wait_for(self._queue.get(), timeout)

    def pending(self) -> int:
        return self._queue.qsize()

    def __aiter__(self) -> AsyncIterator[Envelope]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Envelope]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)


class InMemoryBus:
    """Publish/subscribe with MQTT topic filters, inside one event loop."""

    def __init__(self) -> None:
        self._index: TopicIndex[Subscription] = TopicIndex()
        self.published: list[Envelope] = []
        """Every envelope ever published, in order (what tests audit)."""

    async def publish(self, envelope: Envelope) -> None:
        self.published.append(envelope)
        for subscription in self._index.for_topic(envelope.topic):
            subscription.deliver(envelope)

    def subscribe(self, pattern: str) -> Subscription:
        subscription = Subscription(self, pattern)
        self._index.add(subscription)
        return subscription

    async def subscribed(self) -> None:
        """Subscriptions take effect at once."""

    def busy(self) -> bool:
        """Delivery is immediate: nothing is ever on its way."""
        return False

    def unsubscribe(self, subscription: Subscription) -> None:
        self._index.remove(subscription)

    async def __aenter__(self) -> InMemoryBus:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._index.clear()
