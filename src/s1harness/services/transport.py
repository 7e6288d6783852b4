"""The transport interface every bus implements: the in-memory bus and the MQTT bus.

A transport publishes envelopes and hands out subscriptions by MQTT topic filter; a
subscription yields matching envelopes in arrival order. Roles never see a transport: the
:class:`~s1harness.services.runner.RoleRunner` sits between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from s1harness.spec.bus import Envelope


class Subscription(Protocol):
    """Envelopes matching one topic filter."""

    pattern: str

    async def get(self, timeout: float | None = None) -> Envelope:
        """The next envelope; ``TimeoutError`` after ``timeout`` seconds."""

    async def take(self, timeout: float | None = None) -> tuple[Envelope, str | None]:
        """The next envelope and the message ID it travelled under (None on a bus without
        them); ``TimeoutError`` after ``timeout`` seconds."""

    def pending(self) -> int:
        """How many envelopes wait to be taken."""

    def done(self, ok: bool = True) -> None:
        """For a subscription made with ``handled``: the oldest envelope taken and not yet
        settled has been handled (``ok``) or failed."""

    def close(self) -> None:
        """Stop receiving."""


class Transport(Protocol):
    """What a bus offers."""

    async def publish(
        self,
        envelope: Envelope,
        *,
        message_id: str | None = None,
        on_acked: Callable[[str], None] | None = None,
    ) -> None:
        """Send ``envelope`` on its topic; once this returns, it will not be lost. A producer
        that keeps its outbox itself (a :class:`~s1harness.services.journal.Journal`) gives the
        ``message_id`` it recorded, and ``on_acked`` is called with it once the consumer has
        acknowledged it (at once on a bus that acknowledges nothing)."""

    def subscribe(
        self, pattern: str, *, observe: bool = False, handled: bool = False
    ) -> Subscription:
        """Envelopes on topics matching ``pattern`` from now on. With ``observe`` they are seen
        without consuming them: a message only observed is not acknowledged, so its producer
        goes on offering it to the consumer it is for. With ``handled`` the consumer calls
        :meth:`Subscription.done` after handling each envelope: a bus that acknowledges end to
        end acknowledges it only then — once its effects are committed and what it produced is
        in the bus's outbox — and takes it again when resent after a failure."""

    async def subscribed(self) -> None:
        """Return once every subscription so far is in place (a broker has confirmed it)."""

    def busy(self) -> bool:
        """Whether messages this transport sent or received are still on their way (a bus
        that cannot know says False)."""


__all__ = ["Subscription", "Transport"]
