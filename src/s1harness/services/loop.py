"""The event loop of the harness's own long-running processes: uvloop where it is installed
(a dependency on Linux and macOS), else asyncio's.

``s1harness up``, ``campaign``, the embedded broker's child process and the bus and campaign
benchmarks run on it. Over MQTT every message is a few socket reads and writes and callbacks
in each process it passes through, and uvloop's are cheaper: it takes about a sixth off the
embedded broker's work per round trip (``s1harness bench bus``). The roles' behaviour does not
depend on the loop; the test suite runs on asyncio's. ``S1HARNESS_LOOP=asyncio`` picks
asyncio's loop everywhere (to rule the loop out when something looks wrong).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

try:
    import uvloop
except ImportError:  # not installed (no wheel for Windows): asyncio's loop
    uvloop = None  # type: ignore[assignment]

LOOP_VARIABLE = "S1HARNESS_LOOP"
T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for asyncio's (not installed, or not wanted)."""
    if uvloop is None or os.environ.get(LOOP_VARIABLE, "").strip().lower() == "asyncio":
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """:func:`asyncio.run` on :func:`loop_factory`'s loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


__all__ = ["LOOP_VARIABLE", "loop_factory", "run"]
