"""Which subscriptions take a topic, worked out once per topic (both buses use it).

A bus holds a few dozen subscriptions (one per role route) and sees a handful of distinct
topics, and it used to match every envelope against every filter: most of the cost of a
publish on the in-memory bus. :class:`TopicIndex` keeps, per topic, the subscriptions whose
filters match it — exactly what matching would give, in subscription order, so envelopes
reach the same queues in the same order — and forgets everything whenever a subscription
comes or goes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Generic, Protocol, TypeVar

from s1harness.spec.bus import Envelope, matches

TOPIC_CACHE_LIMIT = 4096
"""Topics kept at once; past it the table starts again (matching as it goes)."""


class Filtered(Protocol):
    """A subscription: it takes the topics its MQTT filter matches."""

    @property
    def pattern(self) -> str: ...


S = TypeVar("S", bound=Filtered)


class TopicIndex(Generic[S]):
    """Subscriptions in order, and topic → the subscriptions that take it."""

    def __init__(self) -> None:
        self.subscriptions: list[S] = []
        self._by_topic: dict[str, tuple[S, ...]] = {}

    def add(self, subscription: S) -> None:
        self.subscriptions.append(subscription)
        self._by_topic.clear()

    def remove(self, subscription: S) -> bool:
        """Forget ``subscription``; False when it was not there."""
        if subscription not in self.subscriptions:
            return False
        self.subscriptions.remove(subscription)
        self._by_topic.clear()
        return True

    def clear(self) -> None:
        self.subscriptions.clear()
        self._by_topic.clear()

    def for_topic(self, topic: str) -> tuple[S, ...]:
        """The subscriptions whose filters match ``topic``, in subscription order."""
        found = self._by_topic.get(topic)
        if found is None:
            found = tuple(s for s in self.subscriptions if matches(s.pattern, topic))
            if len(self._by_topic) >= TOPIC_CACHE_LIMIT:
                self._by_topic.clear()
            self._by_topic[topic] = found
        return found


Settle = Callable[[bool], None]
"""Told, once, whether the consumer handled a message (True) or failed on it (False)."""


class QueuedSubscription:
    """Envelopes matching one topic filter, in arrival order: what both buses hand out. The
    bus delivers what its :class:`TopicIndex` says matches; ``close`` gives the subscription
    back to the bus (``release``)."""

    def __init__(
        self,
        pattern: str,
        release: Callable[[QueuedSubscription], None],
        *,
        observe: bool = False,
        handled: bool = False,
    ) -> None:
        self.pattern = pattern
        self.observe = observe
        """An observer sees what it matches but never consumes it: a bus acknowledges a
        message only for a subscription that consumes it, so watching the traffic of a role
        someone else plays never takes that role's messages from it."""
        self.handled = handled and not observe
        """The consumer says when it has handled each message (:meth:`done`): a bus that
        acknowledges end to end acknowledges it only then, and offers it again if the consumer
        failed on it."""
        self._release = release
        self._queue: asyncio.Queue[tuple[Envelope, Settle | None, str | None]] = asyncio.Queue()
        self._taken: deque[Settle | None] = deque()

    def deliver(
        self, envelope: Envelope, settle: Settle | None = None, message_id: str | None = None
    ) -> None:
        """Queue an envelope already known to match this subscription's filter; ``settle`` is
        told the outcome when the consumer calls :meth:`done` for it; ``message_id`` is the ID
        it travelled under (None on a bus without them)."""
        self._queue.put_nowait((envelope, settle, message_id))

    async def get(self, timeout: float | None = None) -> Envelope:
        """The next envelope; raises ``TimeoutError`` after ``timeout`` seconds."""
        envelope, _ = await self.take(timeout)
        return envelope

    async def take(self, timeout: float | None = None) -> tuple[Envelope, str | None]:
        """The next envelope and its message ID (see :meth:`get`)."""
        envelope, settle, message_id = await asyncio.wait_for(self._queue.get(), timeout)
        if self.handled:
            self._taken.append(settle)
        return envelope, message_id

    def done(self, ok: bool = True) -> None:
        """The consumer has handled (``ok``) or failed on the oldest envelope it took and has
        not yet said so of."""
        if self._taken:
            settle = self._taken.popleft()
            if settle is not None:
                settle(ok)

    def pending(self) -> int:
        return self._queue.qsize()

    def __aiter__(self) -> AsyncIterator[Envelope]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Envelope]:
        while True:
            yield await self.get()

    def close(self) -> None:
        """Give the subscription back; what it took or held and never settled counts as not
        handled (its producer's next copy goes to whoever consumes the topic then)."""
        self._release(self)
        while self._taken:
            self.done(ok=False)
        while not self._queue.empty():
            _, settle, _ = self._queue.get_nowait()
            if settle is not None:
                settle(False)


__all__ = ["TOPIC_CACHE_LIMIT", "Filtered", "QueuedSubscription", "Settle", "TopicIndex"]
