"""``s1harness up`` as its own OS process for a test: started, read until it says it is ready
(its broker's URL, its run ID and roles), and stopped cleanly with SIGTERM at the end — or killed
with SIGKILL by the test (:meth:`Running.kill`), or a process given by a command line of the
test's own (a deliberately broken build)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

READY = "s1harness up: ready"
STOPPED = "s1harness up: stopped"
WAIT = 60.0
"""Seconds to get ready, and to stop (a loaded machine is slow to start Python)."""


@dataclass
class Running:
    """A running ``up``: what its ready line says."""

    line: str
    process: asyncio.subprocess.Process | None = field(default=None, repr=False, compare=False)
    killed: bool = False
    """Killed by the test (:meth:`kill`): the block's end then checks nothing of its stop."""

    async def kill(self) -> None:
        """SIGKILL, as a crash would end it: nothing is flushed or closed."""
        assert self.process is not None and self.process.returncode is None, "not running"
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    @property
    def broker(self) -> str:
        return self.line.partition("broker ")[2].split(";")[0].strip()

    @property
    def roles(self) -> list[str]:
        return self.line.partition("; roles ")[2].split(";")[0].strip().split(", ")

    def env(self, login: str = "harness") -> dict[str, str]:
        """The environment a client process needs to log in to its embedded broker."""
        folder = self.line.partition("; broker logins ")[2].split(";")[0].strip()
        assert folder, f"no broker logins on the ready line: {self.line}"
        return {
            "S1HARNESS_BROKER_USERNAME": login,
            "S1HARNESS_BROKER_PASSWORD_FILE": f"{folder}/{login}",
        }


@asynccontextmanager
async def up_process(
    *args: str, command: Sequence[str] | None = None, env: dict[str, str] | None = None
) -> AsyncIterator[Running]:
    """``s1harness up ARGS`` (or ``command``) until the block ends.

    Raises:
        AssertionError: when it is not ready within :data:`WAIT` seconds, or does not stop
            cleanly (status 0, the stopped line, no traceback).
    """
    argv = command or [sys.executable, "-m", "s1harness", "up", *args]
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )  # fmt: skip
    assert process.stdout is not None
    running: Running | None = None
    try:
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), WAIT)).decode()
        except TimeoutError:
            line = ""
        if not line.startswith(READY):
            if process.returncode is None:
                process.kill()
            _, errors = await process.communicate()
            raise AssertionError(f"s1harness up not ready: {line.strip()!r} {errors.decode()}")
        running = Running(line.strip(), process)
        yield running
    finally:
        killed = running is not None and running.killed
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            rest, errors = await asyncio.wait_for(process.communicate(), WAIT)
        except TimeoutError:
            process.kill()
            rest, errors = await process.communicate()
    if killed:
        return
    clean = process.returncode == 0 and STOPPED in rest.decode() and b"Traceback" not in errors
    assert clean, f"s1harness up stopped with {process.returncode}: {errors.decode()[-3000:]}"
