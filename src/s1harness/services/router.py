"""Deterministic synchronous delivery between sans-IO roles: the in-memory wiring tests use
to run whole scenarios without an event loop.

Handlers subscribe with MQTT topic filters; :meth:`Router.run` delivers every envelope in
publish order, feeds handlers' outputs back in, and stops when nothing is left. Envelopes
nobody subscribes to (a User's inbox the test reads) are kept in :attr:`Router.log`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from s1harness.spec.bus import Envelope, matches

Handler = Callable[[Envelope], list[Envelope]]


class Router:
    """Topic-filter routing to role handlers, run to quiescence."""

    def __init__(self, *, limit: int = 10_000) -> None:
        self._routes: list[tuple[str, Handler]] = []
        self._queue: deque[Envelope] = deque()
        self.log: list[Envelope] = []
        """Every envelope delivered or published, in order."""
        self._limit = limit

    def route(self, pattern: str, handler: Handler) -> None:
        self._routes.append((pattern, handler))

    def publish(self, *envelopes: Envelope) -> None:
        self._queue.extend(envelopes)

    def run(self, *envelopes: Envelope) -> list[Envelope]:
        """Deliver ``envelopes`` and everything they cause; returns what was published."""
        self.publish(*envelopes)
        start = len(self.log)
        steps = 0
        while self._queue:
            steps += 1
            if steps > self._limit:
                raise RuntimeError(f"more than {self._limit} deliveries: a message loop?")
            envelope = self._queue.popleft()
            self.log.append(envelope)
            for pattern, handler in self._routes:
                if matches(pattern, envelope.topic):
                    self._queue.extend(handler(envelope))
        return self.log[start:]
