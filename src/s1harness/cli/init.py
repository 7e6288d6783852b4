"""``s1harness init DIR``: a test team's project that uses the packaged suite.

Writes a features folder with an example feature written with the packaged steps, a test module
that runs every feature in it, a pytest configuration, and a CI script. Then either
``s1harness run DIR/features`` or plain ``pytest`` in DIR runs the team's own features — the
steps, markers, ``--s1h-*`` options and Allure evidence come from the installed package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from s1harness.cli._output import EXIT_INVALID, warn

EXAMPLE_FEATURE = """\
@R1 @positive @IOC @ESME
Feature: Our own check of the positive Network Operator handover
  An example feature of this project, written with the steps s1harness ships: each step below
  is one of them (their texts are the bundled FIA features'). Run it with
  `s1harness run features` or with `pytest`.

  FIA section: 5.2 SIT — positive Network Operator handover

  Scenario: the wrong Network Operator hands an IOC ESME to the registered one
    Given the MP107 switch is on at the DSP and at every S1SP
    And a SMETS1 ESME served by the IOC S1SP
    And the supplier has placed the wrong Network Operator's certificates on it
    When the wrong Network Operator replaces the Network Operator certificates with the \
registered Network Operator's
    Then the DSP accepts the request without the registration data check
    And the IOC S1SP accepts the request at S1SR 4.2 and executes it
    And the device holds the registered Network Operator's certificates
"""

TEST_MODULE = '''\
"""Every feature under ../features, run with the steps of the installed s1harness."""

from pathlib import Path

from pytest_bdd import scenarios

scenarios(str(Path(__file__).resolve().parent.parent / "features"))
'''

PYTEST_INI = """\
[pytest]
testpaths = tests
asyncio_default_fixture_loop_scope = function
addopts = --strict-markers
"""

CI_SCRIPT = """\
#!/usr/bin/env sh
# CI for this project: install s1harness and the report generators, then run the features.
# Cache .tools between runs (the Allure report generator, installed from npm once), and point
# S1HARNESS_DUIS_XSD at the folder holding the DUIS 5.4 XSDs (or S1HARNESS_VECTORS at one
# holding duis/xsd/).
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install s1harness
.venv/bin/s1harness report --install-tools
.venv/bin/s1harness run features --reports reports   # exit 0 passed, 1 failed, 2 could not run
"""

FILES = {
    Path("features/example.feature"): EXAMPLE_FEATURE,
    Path("tests/test_features.py"): TEST_MODULE,
    Path("pytest.ini"): PYTEST_INI,
    Path("ci/run"): CI_SCRIPT,
}


def init(
    folder: Annotated[Path, typer.Argument(help="The project folder to create or fill.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the files it writes if they exist.")
    ] = False,
) -> int:
    """Scaffold a project that runs its own features with the packaged steps."""
    existing = [path for path in FILES if (folder / path).exists()]
    if existing and not force:
        warn(f"error: {folder / existing[0]} exists (use --force to overwrite)")
        return EXIT_INVALID
    try:
        for path, text in FILES.items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (folder / "ci" / "run").chmod(0o755)
    except OSError as exc:
        warn(f"error: {folder}: cannot write ({exc.strerror})")
        return EXIT_INVALID
    print(f"wrote {folder}: {', '.join(str(p) for p in FILES)}")
    print(f"run it: s1harness run {folder / 'features'}   (or: cd {folder} && pytest)")
    return 0
