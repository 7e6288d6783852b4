"""The in-memory bus: the transport interface without a network, for tests and single-process
runs. Delivery is in publish order, at-least-once semantics are trivially exactly-once, and
subscribers get their own queues, so a slow subscriber never blocks a publisher. Which
subscriptions take a topic is worked out once per topic (:class:`~.topics.TopicIndex`)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from s1harness.services.topics import QueuedSubscription, TopicIndex
from s1harness.spec.bus import Envelope

PUBLISHED_LIMIT = 10_000
"""How many envelopes :attr:`InMemoryBus.published` keeps at least (at most twice as many)."""


class InMemoryBus:
    """Publish/subscribe with MQTT topic filters, inside one event loop."""

    def __init__(self) -> None:
        self._index: TopicIndex[QueuedSubscription] = TopicIndex()
        self.published: list[Envelope] = []
        """The envelopes published, in order (what tests audit): every one, up to
        :data:`PUBLISHED_LIMIT`; past it, the oldest go first (a long campaign would otherwise
        hold every message it ever sent)."""

    async def publish(
        self,
        envelope: Envelope,
        *,
        message_id: str | None = None,
        on_acked: Callable[[str], None] | None = None,
    ) -> None:
        self.published.append(envelope)
        if len(self.published) > 2 * PUBLISHED_LIMIT:
            del self.published[:PUBLISHED_LIMIT]
        for subscription in self._index.for_topic(envelope.topic):
            subscription.deliver(envelope, message_id=message_id)
        if message_id is not None and on_acked is not None:
            on_acked(message_id)  # delivered, nothing to resend

    def subscribe(
        self, pattern: str, *, observe: bool = False, handled: bool = False
    ) -> QueuedSubscription:
        """(Nothing is resent in memory: ``handled`` changes nothing here.)"""
        subscription = QueuedSubscription(pattern, self.unsubscribe, observe=observe)
        self._index.add(subscription)
        return subscription

    async def subscribed(self) -> None:
        """Subscriptions take effect at once."""

    def busy(self) -> bool:
        """Delivery is immediate: nothing is ever on its way."""
        return False

    def unsubscribe(self, subscription: QueuedSubscription) -> None:
        self._index.remove(subscription)

    async def __aenter__(self) -> InMemoryBus:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._index.clear()
