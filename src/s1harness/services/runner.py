"""Runs sans-IO roles on a bus: each route's handler gets every envelope on its topic filter,
and what it returns is published.

A :class:`RoleRunner` owns one named task per route. A handler that raises is a
bug in a role or a fault of what it stands on (a locked database; rejections are data, not
exceptions): the runner records it in :attr:`RoleRunner.failures` and carries on with the next
envelope, so one bad message never stops a role; whoever drives the run checks the failures
(the Harness raises them). The runner tells the bus when each envelope has been handled, and
whether it failed: on MQTT a message is acknowledged only once its handler returned and what it
produced is in the outbox, and one whose handler failed is handled again when its producer
resends it — an accepted request is not dropped by a passing fault.

A route with a :class:`~s1harness.services.journal.Journal` (a role whose state is in SQLite)
is handled exactly once across restarts: each message inside one of the journal's units — a
message the journal already holds is acknowledged without being handled again, and what the
handler wrote, the message's ID and what it produced commit together before anything is
published — and on entry the runner sends again what the journal's outbox still holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

from s1harness.services.journal import Journal
from s1harness.services.transport import Subscription, Transport
from s1harness.spec.bus import Envelope

Handler = Callable[[Envelope], list[Envelope]]


@dataclass(frozen=True, slots=True)
class HandlerFailure:
    """A handler raised: which route, on which envelope, with what."""

    pattern: str
    envelope: Envelope
    error: BaseException

    def __str__(self) -> str:
        kind = type(self.error).__name__
        return (
            f"handler for {self.pattern} failed on {self.envelope.kind} "
            f"{self.envelope.correlation_id!r}: {kind}: {self.error}"
        )


class RoleRunner:
    """Delivers a transport's envelopes to role handlers until closed (an async context).

    Args:
        transport: The bus.
        routes: (topic filter, handler) of the roles run here: they consume what they take.
        observers: (topic filter, handler) that watch without consuming (a recorder of the
            traffic of roles another build plays).
        journals: The journal of a route's role, by the route's topic filter (see the module
            docstring); a route without one is handled at most once per run of this process.
    """

    def __init__(
        self,
        transport: Transport,
        routes: Sequence[tuple[str, Handler]],
        *,
        observers: Sequence[tuple[str, Handler]] = (),
        journals: Mapping[str, Journal] | None = None,
    ) -> None:
        self._transport = transport
        self._journals = dict(journals or {})
        self._routes = [(pattern, handler, False) for pattern, handler in routes]
        self._routes += [(pattern, handler, True) for pattern, handler in observers]
        self._subscriptions: list[Subscription] = []
        self._busy = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.failures: list[HandlerFailure] = []
        self.delivered = 0

    async def __aenter__(self) -> RoleRunner:
        for journal in {id(j): j for j in self._journals.values()}.values():
            for message_id, envelope in journal.unsent():  # produced before a restart
                await self._transport.publish(
                    envelope, message_id=message_id, on_acked=journal.sent
                )
        for index, (pattern, handler, observe) in enumerate(self._routes):
            subscription = self._transport.subscribe(pattern, observe=observe, handled=True)
            self._subscriptions.append(subscription)
            self._tasks.append(
                asyncio.create_task(
                    self._serve(pattern, handler, subscription), name=f"route {index}: {pattern}"
                )
            )
        await self._transport.subscribed()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Not a TaskGroup: the routes only ever end by cancellation (handlers' errors are
        # recorded), and an error in the caller's block must reach the caller unwrapped.
        for subscription in self._subscriptions:
            subscription.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, pattern: str, handler: Handler, subscription: Subscription) -> None:
        journal = self._journals.get(pattern)
        while True:
            envelope, message_id = await subscription.take()
            self._busy += 1
            ok = False
            ids: list[str | None] = []
            try:
                if journal is None:
                    outputs = handler(envelope)
                else:
                    outputs, ids = _journaled(journal, handler, envelope, message_id)
                ok = True
            except Exception as error:  # noqa: BLE001 - a role's bug is recorded, not fatal
                self.failures.append(HandlerFailure(pattern, envelope, error))
                outputs = []
            finally:
                self.delivered += 1
            try:
                if journal is None:
                    for output in outputs:
                        await self._transport.publish(output)
                else:
                    for output, output_id in zip(outputs, ids, strict=True):
                        await self._transport.publish(
                            output, message_id=output_id, on_acked=journal.sent
                        )
            finally:
                self._busy -= 1
                # Its effects are committed and what it produced is in the outbox: only now is
                # the message acknowledged (a failed one is taken again when resent).
                subscription.done(ok)

    def idle(self) -> bool:
        """Nothing queued for any route, no handler running, nothing on its way."""
        return (
            self._busy == 0
            and all(s.pending() == 0 for s in self._subscriptions)
            and not self._transport.busy()
        )

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until :meth:`idle` holds after the loop has had a turn.

        Raises:
            TimeoutError: if the roles are still busy after ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                await asyncio.sleep(0)
                if self.idle():
                    await asyncio.sleep(0)
                    if self.idle():
                        return
                await asyncio.sleep(0.001)


def _journaled(
    journal: Journal, handler: Handler, envelope: Envelope, message_id: str | None
) -> tuple[list[Envelope], list[str | None]]:
    """Handle ``envelope`` in one of ``journal``'s units: nothing when it was handled before."""
    with journal.unit():
        if message_id is not None and journal.handled(message_id):
            return [], []
        outputs = handler(envelope)
        return outputs, list(journal.record(message_id, outputs))


__all__ = ["Handler", "HandlerFailure", "RoleRunner"]
