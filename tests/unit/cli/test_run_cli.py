"""``s1harness run``: the scenarios, selected with ``-k``; a missing XSD is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from s1harness.cli import main

pytestmark = pytest.mark.vectors


def test_run_selected_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-k", "switch off: the deadlock MOC"]) == 0
    out = capsys.readouterr().out
    assert "pass  switch off: the deadlock MOC-ESME" in out
    assert "pass  switch off: the deadlock MOC-GPF" in out
    assert "2 passed, 0 failed" in out


def test_run_with_nothing_selected_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-k", "no such scenario"]) == 1
    assert "no scenario matches" in capsys.readouterr().out


def test_run_without_the_xsd_is_one_line(tmp_path: Path) -> None:
    # A fresh process: the schema is compiled once per process.
    environment = {**os.environ, "S1HARNESS_DUIS_XSD": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "s1harness", "run"],
        capture_output=True, text=True, check=False, env=environment,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("s1harness: error: DUIS 5.4 XSD not found")
    assert done.stderr.count("\n") == 1
