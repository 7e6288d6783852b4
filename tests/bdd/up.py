"""Roles in their own process for one scenario: ``s1harness up --only ROLE`` with the scenario's
estate on the scenario's broker, its databases in a folder the Harness opens too — so a step
that looks at a device's slots reads those the process keeps — until the scenario ends, and
then a clean stop (``--s1h-up``)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from s1harness.estate import Estate, dumps
from s1harness.testing.expectations import ScenarioFailure

READY = "s1harness up: ready"
STOPPED = "s1harness up: stopped"
WAIT = 30.0
"""Seconds to get ready, and to stop."""


@asynccontextmanager
async def up(folder: Path, estate: Estate, broker: str, roles: Sequence[str]) -> AsyncIterator[str]:
    """``s1harness up`` playing ``roles`` in its own process until the block ends, with
    ``estate`` and its databases in ``folder``; yields its ready line.

    Raises:
        ScenarioFailure: when it is not ready within :data:`WAIT` seconds, or does not stop
            cleanly (status 0, the stopped line, no traceback).
    """
    (folder / "estate.yaml").write_text(dumps(estate))
    only = [arg for role in roles for arg in ("--only", role)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "s1harness", "up", "--estate", str(folder), "--broker", broker,
        "--data-dir", str(folder), *only,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    try:
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), WAIT)).decode()
        except TimeoutError:
            line = ""
        if not line.startswith(READY):
            if process.returncode is None:
                process.kill()
            _, errors = await process.communicate()
            said = line.strip() or f"nothing in {WAIT:g} s"
            raise ScenarioFailure(f"s1harness up to get ready, got {said}: {errors.decode()}")
        playing = line.partition("; roles ")[2].split(";")[0].strip().split(", ")
        missing = [role for role in roles if role not in playing]
        if missing:
            raise ScenarioFailure(f"s1harness up to play {', '.join(missing)}: {line.strip()}")
        yield line
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            rest, errors = await asyncio.wait_for(process.communicate(), WAIT)
        except TimeoutError:
            process.kill()
            rest, errors = await process.communicate()
    if process.returncode != 0 or STOPPED not in rest.decode() or b"Traceback" in errors:
        status, said = process.returncode, errors.decode()
        raise ScenarioFailure(f"s1harness up to stop cleanly, got status {status}: {said}")
