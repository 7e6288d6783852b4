"""The feature suite judges an S1SP build from the wire, so a build that lacks a check fails it:
``s1harness up`` playing the IOC S1SP with one check broken on purpose (tests/mutants/s1sp.py)
fails at least one IOC scenario — while the intact build passes them all (test_up.py)."""

from __future__ import annotations

import sys
from pathlib import Path

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
            tmp_path, "-k", SELECTED, "--s1h-broker", build.broker, "--s1h-external", "s1sp:IOC"
        )
    failed = sorted(name for name, outcome in done.not_passed().items() if outcome == "failed")
    assert failed, f"the {mutant} mutant passed every scenario: {done.output[-3000:]}"
    assert done.returncode == 1
    assert "INTERNALERROR" not in done.output  # the scenarios failed, not the run
    assert "s1harness diagnosis" in done.output  # what the roles it runs decided, on the terminal
    assert "played by other builds: s1sp:IOC (s1harness 0.1.0)" in done.output
    print(f"{mutant}: {len(failed)} failed: {', '.join(failed)}")
