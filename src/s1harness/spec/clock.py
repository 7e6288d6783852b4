"""Clocks the roles read time from: a settable one for tests and scenarios, the system's for
long-running services. A role takes any ``Callable[[], datetime]``; both are one."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from s1harness.spec.errors import InputError


class ManualClock:
    """Time that moves only when told: every check, certificate validity and future-dated
    execution in a run is reproducible."""

    def __init__(self, start: datetime) -> None:
        if start.utcoffset() is None:
            raise InputError(f"the clock needs a timezone-aware start, got {start.isoformat()}")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; returns the new time.

        Raises:
            InputError: for a negative ``delta`` (time never runs backwards).
        """
        if delta < timedelta(0):
            raise InputError(f"the clock cannot go back ({delta})")
        self._now += delta
        return self._now


class RunningClock:
    """Time that starts at ``start`` and runs at the machine's pace: a long-running estate
    keeps the certificate validity and registration dates it was made for, whatever the
    machine's date."""

    def __init__(self, start: datetime) -> None:
        if start.utcoffset() is None:
            raise InputError(f"the clock needs a timezone-aware start, got {start.isoformat()}")
        self._start, self._origin = start.astimezone(UTC), time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def set(self, now: datetime) -> None:
        """Run on from ``now`` (a test run sets the clock of the build it tests this way).

        Raises:
            InputError: for a time without a timezone.
        """
        if now.utcoffset() is None:
            raise InputError(f"the clock needs a timezone-aware time, got {now.isoformat()}")
        self._start, self._origin = now.astimezone(UTC), time.monotonic()


class SystemClock:
    """The machine's UTC time."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


__all__ = ["ManualClock", "RunningClock", "SystemClock"]
