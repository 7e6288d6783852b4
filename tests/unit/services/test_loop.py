"""The event loop the harness's own processes run on."""

from __future__ import annotations

import asyncio

import pytest

from s1harness.services import loop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_the_processes_run_on_uvloop_where_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.delenv(loop.LOOP_VARIABLE, raising=False)
    assert loop.run(_loop_module()).startswith("uvloop")


def test_s1harness_loop_asyncio_picks_asyncio_s_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loop.LOOP_VARIABLE, "asyncio")
    assert loop.loop_factory() is None
    assert loop.run(_loop_module()).startswith("asyncio")
