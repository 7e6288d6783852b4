"""A tiny throw-away pytest-bdd suite run with allure-pytest-bdd, for the reporting tests.

It follows the conventions the real feature suites follow
(features/README.md): requirement, phase, polarity and component tags;
Scenario Outline columns ``s1sp`` and ``device``; an ``fia`` label and DUIS XML / GBCS JSON
attachments added from inside the steps. Its rows pass, fail (an assertion), break (another
exception) and skip, so every status is produced by the real adapter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HANDOVER = """\
@R1 @SIT
Feature: NO handover
  @positive @s1sp
  Scenario Outline: The wrong NO hands over on <s1sp> <device>
    Given a <device> served by <s1sp>
    When the step ends with "<outcome>"

    Examples:
      | s1sp | device | outcome |
      | IOC  | ESME   | pass    |
      | IOC  | GPF    | pass    |
      | MOC  | ESME   | fail    |
      | MOC  | GPF    | skip    |
      | FOC  | ESME   | broken  |
      | FOC  | GPF    | pass    |
"""

BASELINES = """\
Feature: Baselines
  @baseline @SIT
  Scenario: Switch off reproduces the deadlock
    Given nothing in particular

  Scenario: An untraced check
    Given nothing in particular

  @R2 @MP058 @pending
  Scenario: Data update and MPAN check
    Given nothing in particular
    When the step ends with "skip"
"""

STEPS = """\
import json

import allure
import pytest
from pytest_bdd import given, parsers, scenarios, when

scenarios("features")


@given(parsers.parse("a {device} served by {s1sp}"))
def device(device, s1sp):
    allure.dynamic.label("fia", "5.2 SIT: positive NO handover")
    allure.attach("<Request/>", name="6.15.1 request", attachment_type=allure.attachment_type.XML)
    allure.attach(json.dumps({"device": device}), name="GBCS",
                  attachment_type=allure.attachment_type.JSON)


@given("nothing in particular")
def nothing():
    allure.dynamic.label("fia", "5.2 baseline")


@when(parsers.parse('the step ends with "{outcome}"'))
def ends(outcome):
    if outcome == "fail":
        assert outcome == "pass", "rejected with E4"
    if outcome == "broken":
        raise RuntimeError("the S1SP did not answer")
    if outcome == "skip":
        pytest.skip("pending")
"""

INI = """\
[pytest]
markers =
    R1
    R2
    MP058
    SIT
    positive
    s1sp
    baseline
    pending
asyncio_default_fixture_loop_scope = function
"""

EXPECTED = {"passed": 5, "failed": 1, "broken": 1, "skipped": 2, "unknown": 0}
"""The statuses the suite produces, one per scenario."""


def run_suite(folder: Path, *extra: str) -> Path:
    """Write the suite into ``folder``, run it, and return its allure-results folder."""
    (folder / "features").mkdir(parents=True)
    (folder / "features" / "handover.feature").write_text(HANDOVER)
    (folder / "features" / "baselines.feature").write_text(BASELINES)
    (folder / "test_steps.py").write_text(STEPS)
    (folder / "pytest.ini").write_text(INI)
    results = folder / "allure-results"
    # Its own steps only: the installed suite's plugin (entry point "s1harness") stays out.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:s1harness"]
    command += [f"--alluredir={results}", *extra]
    done = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 1, summary  # 1: some scenarios failed, as they should
    assert "2 failed, 5 passed, 2 skipped" in summary, summary
    return results
