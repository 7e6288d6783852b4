"""Interleaved rate measurement.

Each operation runs in rounds, alternating with its bound, and the median round rate is kept:
on a noisy two-core machine, alternating keeps slow phases from favouring either side.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

Operation = Callable[[int], object]
"""Called with an index 0..n-1; does one unit of work."""


@dataclass(frozen=True, slots=True)
class Rate:
    """Operations per second: the median of the rounds, with the range."""

    median: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {
            "per_second": round(self.median, 1),
            "low": round(self.low, 1),
            "high": round(self.high, 1),
        }


def measure_pair(
    subject: Operation,
    bound: Operation,
    *,
    count: int,
    rounds: int,
    progress: Callable[[], None] | None = None,
) -> tuple[Rate, Rate]:
    """Rates of ``subject`` and ``bound``, measured in alternating rounds of ``count`` calls."""
    subject(0)
    bound(0)  # warm-up: caches, templates, lazy imports
    subject_rates: list[float] = []
    bound_rates: list[float] = []
    for round_index in range(rounds):
        offset = (round_index + 1) * count
        subject_rates.append(_rate(subject, offset, count))
        bound_rates.append(_rate(bound, offset, count))
        if progress is not None:
            progress()
    return _summary(subject_rates), _summary(bound_rates)


def _rate(operation: Operation, offset: int, count: int) -> float:
    start = time.perf_counter()
    for index in range(offset, offset + count):
        operation(index)
    return count / (time.perf_counter() - start)


def _summary(rates: list[float]) -> Rate:
    return Rate(statistics.median(rates), min(rates), max(rates))
