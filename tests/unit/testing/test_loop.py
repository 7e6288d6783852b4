"""The session event loop the synchronous BDD steps drive, and its guard against async steps."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from s1harness.testing.loop import AsyncStepError, LoopThread, refuse_async_step

TESTS = Path(__file__).resolve().parents[2]


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def test_run_returns_what_the_coroutine_returns_and_raises_what_it_raises(
    loop: LoopThread,
) -> None:
    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    async def waits_too_long() -> None:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)

    assert loop.run(double(21)) == 42
    with pytest.raises(TimeoutError) as raised:
        loop.run(waits_too_long())
    assert "did not finish a step" not in str(raised.value)  # the coroutine's own timeout


def test_run_gives_up_on_a_coroutine_that_never_ends(loop: LoopThread) -> None:
    with pytest.raises(TimeoutError, match=r"did not finish a step in 0\.05 s"):
        loop.run(asyncio.sleep(10), timeout=0.05)


def test_call_runs_on_the_loop_thread(loop: LoopThread) -> None:
    import threading

    assert loop.call(threading.current_thread) is not threading.current_thread()
    assert loop.call(lambda a, b: a + b, 2, 3) == 5


def test_a_held_context_is_entered_and_left_by_one_task(loop: LoopThread) -> None:
    seen: list[asyncio.Task[object] | None] = []

    @asynccontextmanager
    async def task_bound() -> AsyncIterator[str]:
        seen.append(asyncio.current_task())
        async with asyncio.timeout(30):  # a timeout is bound to the task that entered it
            yield "inside"
        seen.append(asyncio.current_task())

    held = loop.hold(task_bound())
    assert held.value == "inside"
    assert loop.run(asyncio.sleep(0, "between steps")) == "between steps"
    held.release()
    assert len(seen) == 2 and seen[0] is seen[1]


def test_a_failing_entry_raises_in_the_caller(loop: LoopThread) -> None:
    @asynccontextmanager
    async def broken() -> AsyncIterator[None]:
        raise RuntimeError("no estate")
        yield

    with pytest.raises(RuntimeError, match="no estate"):
        loop.hold(broken())


def test_refuse_async_step() -> None:
    def plain() -> None: ...

    async def coroutine_step() -> None: ...

    refuse_async_step(plain)
    with pytest.raises(AsyncStepError, match="coroutine_step is 'async def'"):
        refuse_async_step(coroutine_step)


@pytest.mark.slow
def test_a_suite_with_an_async_step_fails_loudly(tmp_path: Path) -> None:
    """An ``async def`` step would pass without running; the step library fails it instead."""
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "a.feature").write_text(
        textwrap.dedent("""\
        Feature: a
          Scenario: an async step
            Given an async step
        """)
    )
    (tmp_path / "test_a.py").write_text(
        textwrap.dedent("""\
        from pytest_bdd import given, scenarios

        scenarios("a.feature")

        @given("an async step")
        async def an_async_step():
            raise AssertionError("never runs")
        """)
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nbdd_features_base_dir = features/\n")
    done = subprocess.run(  # the step library's plugin loads from the package's entry point
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "AsyncStepError" in done.stdout and "'async def'" in done.stdout
