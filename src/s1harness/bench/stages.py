"""Where a benchmark round trip's time goes: each role's handling of each kind of envelope.

A stage is one role taking one kind of envelope (``dsp <- duis-request``: the DSP reading a
User's request and answering it) or the bench's Users building their first request. Its time
is the handler's wall time, summed over a pass of round trips and divided by their number; what
no handler accounts for is the bus: queues, scheduling and, over MQTT, the client and the broker.
The ECDSA operations of each stage are counted in the calibration round trip and priced at the
per-operation times measured alongside, so the rest of a stage is its own work.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from s1harness.spec.bus import Envelope

Handler = Callable[[Envelope], list[Envelope]]
REQUESTS = "users: request (CV 4)"
"""The stage of the Users building and signing the round trip's first request."""


class Stages:
    """Times and ECDSA counts per stage; timing is off until :meth:`timing` turns it on."""

    def __init__(self) -> None:
        self.current: str | None = None
        """The stage running now (the calibration hook attributes ECDSA calls to it)."""
        self.seconds: dict[str, float] = {}
        self.ecdsa: dict[str, Counter[str]] = {}
        self.seen: list[Envelope] | None = None
        """Every envelope handed to a wrapped handler, while a list is set here."""
        self._timing = False

    def wrap(self, pattern: str, handler: Handler) -> Handler:
        """``handler`` (subscribed to ``pattern``), reporting to these stages."""
        role = pattern.split("/", maxsplit=1)[0]

        def staged(envelope: Envelope) -> list[Envelope]:
            if self.seen is not None:
                self.seen.append(envelope)
            with self.stage(f"{role} <- {envelope.kind}"):
                return handler(envelope)

        return staged

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Attribute what runs in the block to the stage ``name``."""
        outer, self.current = self.current, name
        start = time.perf_counter() if self._timing else 0.0
        try:
            yield
        finally:
            if self._timing:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.current = outer

    def count(self, operation: str) -> None:
        """One ECDSA ``operation`` (sign or verify) in the current stage."""
        self.ecdsa.setdefault(self.current or "bus", Counter())[operation] += 1

    @contextmanager
    def timing(self) -> Iterator[None]:
        """Time every stage while the block runs (from zero)."""
        self.seconds.clear()
        self._timing = True
        try:
            yield
        finally:
            self._timing = False

    def breakdown(
        self, round_trips: int, elapsed: float, ecdsa_seconds: dict[str, float]
    ) -> dict[str, Any]:
        """Microseconds per round trip by stage, the part of each that is ECDSA, and the bus."""
        stages: dict[str, Any] = {}
        for name, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            counted = self.ecdsa.get(name, Counter())
            ecdsa = sum(n * ecdsa_seconds[op] for op, n in counted.items())
            stages[name] = {
                "us": _us(seconds / round_trips),
                "ecdsa_us": _us(ecdsa),
                "sign": counted["sign"],
                "verify": counted["verify"],
            }
        handled = sum(self.seconds.values())
        return {
            "stages": stages,
            "bus_us": _us((elapsed - handled) / round_trips),
            "total_us": _us(elapsed / round_trips),
        }


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 1)


__all__ = ["REQUESTS", "Handler", "Stages"]
