"""The feature suite judges an S1SP build from the wire, so a build that lacks a check fails it:
``s1harness up`` playing the IOC S1SP with one check broken on purpose (tests/mutants/s1sp.py)
fails at least one IOC scenario — while the intact build passes them all (test_up.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from feature_runs import ROOT, run_features_async
from mutants.s1sp import MUTANTS
from up_process import up_process

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors, pytest.mark.slow]

SELECTED = "IOC and ESME"
"""The scenarios on an ESME of the IOC S1SP."""


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
async def test_an_s1sp_lacking_a_check_fails_the_suite(tmp_path: Path, mutant: str) -> None:
    command = [
        sys.executable, str(ROOT / "tests" / "mutants" / "s1sp.py"), mutant,
        "up", "--only", "s1sp:IOC", "--data-dir", str(tmp_path / "up"),
    ]  # fmt: skip
    async with up_process(command=command, env={"PYTHONPATH": str(ROOT / "tests")}) as build:
        done = await run_features_async(
            tmp_path,
            "-k",
            SELECTED,
            "--s1h-broker",
            build.broker,
            "--s1h-external",
            "s1sp:IOC",
            env=build.env(),
        )
    failed = sorted(name for name, outcome in done.not_passed().items() if outcome == "failed")
    assert failed, f"the {mutant} mutant passed every scenario: {done.output[-3000:]}"
    assert done.returncode == 1
    assert "INTERNALERROR" not in done.output  # the scenarios failed, not the run
    assert "s1harness diagnosis" in done.output  # what the roles it runs decided, on the terminal
    assert "played by other builds: s1sp:IOC (s1harness 0.1.0)" in done.output
    print(f"{mutant}: {len(failed)} failed: {', '.join(failed)}")


async def _conform(
    tmp_path: Path, command: list[str] | None, *args: str
) -> tuple[int, dict[str, Any]]:
    """``s1harness conform s1sp:IOC`` against ``up`` (or a mutant's command)."""
    up = ["--only", "s1sp:IOC", "--data-dir", str(tmp_path / "up")]
    env = {"PYTHONPATH": str(ROOT / "tests")}
    async with up_process(*up, command=command and [*command, *up], env=env) as build:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "s1harness", "conform", "s1sp:IOC", "--broker", build.broker,
            "--reports", str(tmp_path / "reports"), *args, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "S1HARNESS_EXTERNAL": "", "S1HARNESS_BROKER": "", **build.env()},
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 600)
    assert process.returncode is not None, output.decode()
    report = json.loads((tmp_path / "reports" / "conformance.json").read_text())
    return process.returncode, report


async def test_conform_passes_an_intact_s1sp_check_by_check(tmp_path: Path) -> None:
    status, report = await _conform(tmp_path, None, "-k", SELECTED)
    verdicts = {c["check"]: c["verdict"] for c in report["checks"] if c["order"] < 20}
    assert set(verdicts.values()) == {"pass"}, verdicts
    assert (status, report["verdict"]) == (0, "PASS")
    signoff = (tmp_path / "reports" / "signoff.md").read_text()
    assert "Conformance of the build playing s1sp:IOC: PASS" in signoff


async def test_conform_fails_the_check_a_mutant_lacks(tmp_path: Path) -> None:
    mutant = [sys.executable, str(ROOT / "tests" / "mutants" / "s1sp.py"), "S1VE4", "up"]
    status, report = await _conform(tmp_path, mutant, "-k", SELECTED)
    verdicts = {c["check"]: c["verdict"] for c in report["checks"]}
    assert verdicts["SRPD 16.1"] == "fail"
    assert verdicts["S1SR 4.2"] == "pass"
    assert (status, report["verdict"]) == (1, "FAIL")
