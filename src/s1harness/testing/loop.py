"""One asyncio event loop on a background thread, for synchronous callers (the BDD steps).

pytest-bdd steps are plain functions; the Harness is asyncio. Rather than a loop per step (which
would tear down the bus, the broker connections and every role between steps), one loop runs for
the whole session on its own thread and each step hands it a coroutine and waits for the result::

    loop = LoopThread()
    held = loop.hold(Harness.start("small", bus="mqtt"))   # enters the context in the loop
    harness = held.value
    loop.run(harness.send(...))
    held.release()                                          # leaves it, in the same task
    loop.close()

A context manager held this way is entered and left by one long-lived task, so everything it
ties to its task (timeouts, task groups, cancel scopes) stays valid between steps.

A step written as ``async def`` would return a coroutine that nobody awaits and pass silently;
:func:`refuse_async_step` is what the step library calls before every step to fail loudly instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from s1harness.spec.errors import HarnessError

_T = TypeVar("_T")

DEFAULT_STEP_TIMEOUT = 60.0
"""Seconds a synchronous caller waits for one coroutine (every Harness wait has its own,
shorter, timeout; this one only catches a loop that has stopped answering)."""


class AsyncStepError(HarnessError):
    """A step function is a coroutine function: it would never run (use the loop instead)."""

    code = "ASYNC-STEP"


def refuse_async_step(step: Callable[..., Any]) -> None:
    """Raise :class:`AsyncStepError` if ``step`` is an ``async def`` (or returns awaitables
    by being a coroutine function behind a wrapper that keeps the marker)."""
    target = inspect.unwrap(step)
    if inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target):
        name = getattr(target, "__qualname__", repr(target))
        raise AsyncStepError(
            f"step {name} is 'async def': steps are synchronous and run coroutines with "
            "loop.run(...) on the session's event loop"
        )


class LoopThread:
    """An event loop running forever on a daemon thread until :meth:`close`."""

    def __init__(self, *, name: str = "s1harness-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float = DEFAULT_STEP_TIMEOUT) -> _T:
        """Run ``coroutine`` on the loop and return its result (or raise its exception).

        Raises:
            TimeoutError: when it has not finished after ``timeout`` seconds (it is cancelled).
        """
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("LoopThread.run called from the loop's own thread")
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        done, _ = concurrent.futures.wait([future], timeout)
        if not done:
            future.cancel()
            raise TimeoutError(f"the event loop did not finish a step in {timeout:g} s")
        return future.result()

    def call(self, function: Callable[..., _T], *args: Any) -> _T:
        """Call a plain function on the loop's thread (for objects bound to it, such as the
        roles' SQLite connections) and return what it returns."""

        async def on_loop() -> _T:
            return function(*args)

        return self.run(on_loop())

    def hold(
        self, manager: AbstractAsyncContextManager[_T], timeout: float = DEFAULT_STEP_TIMEOUT
    ) -> Held[_T]:
        """Enter ``manager`` in a task of its own that stays inside until :meth:`Held.release`."""
        held: Held[_T] = Held(self)
        self.run(held.start(manager), timeout)
        return held

    def close(self) -> None:
        """Cancel what is left, stop the loop and join the thread."""
        if self.loop.is_closed():
            return

        async def cancel_all() -> None:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
        self.loop.close()


class Held(Generic[_T]):
    """An async context manager entered by a task on a :class:`LoopThread`."""

    def __init__(self, owner: LoopThread) -> None:
        self._owner = owner
        self._value: _T | None = None
        self._entered = False
        self._leave: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def value(self) -> _T:
        """What the context manager gave on entry."""
        if not self._entered:
            raise RuntimeError("the context manager is not entered")
        return self._value  # type: ignore[return-value]

    async def start(self, manager: AbstractAsyncContextManager[_T]) -> None:
        entered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._leave = asyncio.Event()
        self._task = asyncio.create_task(self._inside(manager, entered))
        await entered

    async def _inside(
        self, manager: AbstractAsyncContextManager[_T], entered: asyncio.Future[None]
    ) -> None:
        assert self._leave is not None
        try:
            async with manager as value:
                self._value, self._entered = value, True
                entered.set_result(None)
                await self._leave.wait()
        except BaseException as exc:
            if not entered.done():
                entered.set_exception(exc)
                return
            raise

    def release(self, timeout: float = DEFAULT_STEP_TIMEOUT) -> None:
        """Leave the context manager (its exit runs in the task that entered it); raises what
        the exit raised."""
        if self._task is None:
            return
        task, self._task = self._task, None

        async def leave() -> None:
            assert self._leave is not None
            self._leave.set()
            await task

        try:
            self._owner.run(leave(), timeout)
        finally:
            self._entered = False


__all__ = ["DEFAULT_STEP_TIMEOUT", "AsyncStepError", "Held", "LoopThread", "refuse_async_step"]
