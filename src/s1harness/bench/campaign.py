"""``s1harness bench campaign``: devices the Requirement 1 campaign corrects per second.

A ``fia`` estate (``devices`` SMETS1 devices, ``share`` of each S1SP × device type holding
another NO's certificates) is written once; each round runs :func:`s1harness.campaign.campaign`
on a fresh copy of it, so every round corrects the same devices through the full emulated DSP,
S1SPs and devices. The bound is the ECDSA work alone: the P-256 signatures and verifications one
corrected device costs (counted in a calibration run with ``sys.setprofile``), timed on raw keys
in the same run after each round.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from s1harness.bench.bus import bound_rate, summary
from s1harness.campaign import CORRECTED, CampaignReport, campaign
from s1harness.estate.fia import generate
from s1harness.services.loop import run as run_loop

DEVICES = 20_000
SHARE = 0.3
TARGET = 0.5
"""The ratio the campaign is held to in memory (as the bus benchmark's memory round trips)."""


def run(
    *,
    devices: int = DEVICES,
    share: float = SHARE,
    rounds: int = 3,
    window: int = 32,
    bus: str = "memory",
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Measure ``rounds`` campaigns on copies of one estate (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="s1harness-bench-campaign-") as scratch:
        base = Path(scratch) / "estate"
        generate(base, devices=devices, wrong=share)
        operations = _calibrate(base, Path(scratch) / "calibrate", bus)
        subject: list[float] = []
        bound: list[float] = []
        corrected = 0
        seconds: list[float] = []
        for index in range(rounds):
            folder = Path(scratch) / f"round-{index}"
            shutil.copytree(base, folder)
            report = run_loop(campaign(folder, bus=bus, window=window))
            shutil.rmtree(folder)
            corrected = report.total(CORRECTED)
            if report.total(CORRECTED) != sum(report.mismatched.values()):
                raise RuntimeError(
                    f"a benchmark campaign left devices: {report.as_json()['totals']}"
                )
            subject.append(report.per_second)
            seconds.append(report.seconds)
            bound.append(bound_rate(operations, 50))
            if progress is not None:
                progress()
    ratio = round(statistics.median(subject) / statistics.median(bound), 3)
    return {
        "benchmark": "campaign",
        "bus": bus,
        "devices": devices,
        "count": corrected,
        "rounds": rounds,
        "window": window,
        "ecdsa_per_device": {"sign": operations["sign"], "verify": operations["verify"]},
        "rates": {
            f"{bus}: devices corrected": summary(subject),
            f"{bus}: ECDSA bound": summary(bound),
        },
        "seconds": {
            f"{bus}: campaign of {corrected:,} devices": round(statistics.median(seconds), 2)
        },
        "ratios": {bus: ratio},
        "ratio": ratio,
        "targets": {bus: TARGET},
        "meets_target": ratio >= TARGET,
    }


def _calibrate(base: Path, folder: Path, bus: str) -> Counter[str]:
    """The ECDSA signatures and verifications of one corrected device: a campaign of one device
    counted, less a campaign of none (building the estate's keys signs too)."""
    shutil.copytree(base, folder)
    try:
        run_loop(campaign(folder, bus=bus, limit=1))  # warm-up: schemas, caches
        idle, _ = _counted(folder, bus, 0)
        busy, report = _counted(folder, bus, 1)
    finally:
        shutil.rmtree(folder)
    if report.total(CORRECTED) != 1:
        raise RuntimeError(f"the calibration device was not corrected: {report.as_json()}")
    return busy - idle


def _counted(folder: Path, bus: str, limit: int) -> tuple[Counter[str], CampaignReport]:
    counted: Counter[str] = Counter()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call":
            name = getattr(arg, "__qualname__", "")
            if name == "ECPrivateKey.sign":
                counted["sign"] += 1
            elif name == "ECPublicKey.verify":
                counted["verify"] += 1

    sys.setprofile(hook)
    try:
        report = run_loop(campaign(folder, bus=bus, limit=limit))
    finally:
        sys.setprofile(None)
    return counted, report
