"""Every runnable configuration in ``emulators/`` is started and stopped here."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brokers import free_port, mosquitto, wait_for
from s1harness.estate import load, preset
from s1harness.estate.presets import EXAMPLES, resolve

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]

EMULATORS = Path(__file__).resolve().parents[2] / "emulators"
ESTATES = sorted(EXAMPLES.glob("*.yaml"))


def test_the_estate_files_are_the_small_estate_with_their_switches() -> None:
    small = preset("small")
    assert [p.name for p in ESTATES] == ["partial-rollout.yaml", "small.yaml", "switch-off.yaml"]
    for path in ESTATES:
        estate = load(path)
        assert dataclasses.replace(estate, name="small", dsp=small.dsp, s1sps=small.s1sps) == small
    assert load(EXAMPLES / "small.yaml") == small
    assert not load(EXAMPLES / "switch-off.yaml").dsp.mp107
    assert resolve("partial-rollout") == load(EXAMPLES / "partial-rollout.yaml")  # by name


@pytest.mark.parametrize("path", ESTATES, ids=lambda p: p.stem)
async def test_up_starts_and_stops_with_each_estate(path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "s1harness", "up", "--estate", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    ready = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert ready.startswith("s1harness up: ready") and "roles dsp, s1sp:IOC" in ready
    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "s1harness up: stopped"


def test_the_mosquitto_recipe_runs(tmp_path: Path) -> None:
    with mosquitto(tmp_path):  # skips (or fails in CI) without the binary
        pass
    port = free_port()
    config = (EMULATORS / "mosquitto" / "mosquitto.conf").read_text()
    assert "listener 1883 127.0.0.1" in config
    (tmp_path / "m.conf").write_text(config.replace("listener 1883", f"listener {port}"))
    binary = "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else "mosquitto"
    broker = subprocess.Popen(
        [binary, "-c", str(tmp_path / "m.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port, broker)
        up = subprocess.Popen(
            [sys.executable, "-m", "s1harness", "up", "--broker", f"mqtt://127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert up.stdout is not None
        line = up.stdout.readline()
        assert line.startswith(f"s1harness up: ready — broker mqtt://127.0.0.1:{port}"), line
        time.sleep(0.2)
        up.send_signal(signal.SIGTERM)
        _, err = up.communicate(timeout=30)
        assert up.returncode == 0, err
    finally:
        broker.terminate()
        broker.wait(5)
