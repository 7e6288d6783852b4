"""``s1harness run``: the feature suite, its Allure results, the report and the sign-off summary
— on a selection of the real features, in a fresh process as a user runs it."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browsers import allure_tools, rendered_dom, visible_text
from s1harness.suite import FEATURES

pytestmark = [pytest.mark.vectors, pytest.mark.slow, pytest.mark.mqtt]

ROOT = Path(__file__).resolve().parents[2]
SUITE_LINE = re.compile(r"(\d+) scenarios — (\d+) passed, (\d+) failed")


def run(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "S1HARNESS_TOOLS": str(allure_tools()), **env}
    environment.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "s1harness", "run", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    done = run("--reports", str(out), "-k", "deadlock or SMETS2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deadlock on the GPF of the MOC S1SP" in done.stdout
    assert str(out / "allure-report" / "index.html") in done.stdout
    return out


def test_the_signoff_counts_equal_the_allure_results(reports: Path) -> None:
    files = (reports / "allure-results").glob("*-result.json")
    results = [json.loads(p.read_text()) for p in files]
    assert len(results) == 8  # 6 deadlock rows (S1SP x device) and 2 SMETS2 rows
    passed = sum(r["status"] == "passed" for r in results)
    found = SUITE_LINE.search((reports / "signoff.md").read_text())
    assert found is not None
    assert (int(found[1]), int(found[2]), int(found[3])) == (len(results), passed, 0)
    deadlocks = [r for r in results if r["name"].startswith("deadlock")]
    cells = {tuple(p["value"] for p in r["parameters"]) for r in deadlocks}
    assert cells == {(s, d) for s in ("IOC", "MOC", "FOC") for d in ("ESME", "GPF")}
    assert all(any(label["name"] == "fia" for label in r["labels"]) for r in results)
    attached = [a for r in results for step in r["steps"] for a in step.get("attachments", [])]
    assert {a["type"] for a in attached} == {"application/xml", "application/json"}


def _report_text(reports: Path, profile: Path, word: str) -> list[str]:
    """The visible text of the Allure report, rendered until ``word`` shows."""
    index = reports / "allure-report" / "index.html"
    drawn = rendered_dom(index.as_uri(), profile, ready=lambda dom: word in visible_text(dom))
    return visible_text(drawn)


def test_the_report_of_the_suite_renders_in_headless_chromium(
    reports: Path, tmp_path: Path
) -> None:
    text = _report_text(reports, tmp_path / "profile", "Total")
    total = len(list((reports / "allure-results").glob("*-result.json")))
    assert int(text[text.index("Total") + 1]) == total == 8


def test_the_results_stay_small_enough_for_the_whole_suite(reports: Path) -> None:
    """Steps carry what the Gherkin says, not the scenario's world (once up to 140 KB a step):
    at this selection's bytes per scenario the full suite's results stay under 5 MB."""
    files = [p for p in (reports / "allure-results").iterdir() if p.is_file()]
    scenarios = len([p for p in files if p.name.endswith("-result.json")])
    per_scenario = sum(p.stat().st_size for p in files) / scenarios
    assert per_scenario * 77 < 5_000_000, f"{per_scenario:,.0f} bytes a scenario"
    for path in (p for p in files if p.name.endswith("-result.json")):
        steps = json.loads(path.read_text())["steps"]
        assert all(p["name"] != "world" for step in steps for p in step.get("parameters", []))


def test_a_filtered_run_signs_off_incomplete_naming_what_did_not_run(reports: Path) -> None:
    signoff = (reports / "signoff.md").read_text()
    # baselines only, and a part of the suite
    assert "Verdict: INCOMPLETE (not run: R1, R2, MP058; ran a part of the FIA suite (" in signoff
    r2 = next(line for line in signoff.splitlines() if line.startswith("| **R2**"))
    assert r2.rstrip(" |").endswith("NOT RUN")
    assert "Verdict: PASS" not in signoff


def test_the_allure_report_shows_the_run_s_identity_in_headless_chromium(
    reports: Path, tmp_path: Path
) -> None:
    text = _report_text(reports, tmp_path / "profile", "command")
    shown = dict(itertools.pairwise(text))
    assert shown["command"].startswith("s1harness run --reports")
    assert shown["filter"] == "-k deadlock or SMETS2"
    assert shown["bus"] == "mqtt" and shown["broker"] == "embedded, one per test process"
    assert shown["s1harness"].startswith("0.1.0")


def test_a_failed_scenario_fails_the_run(tmp_path: Path) -> None:
    # Nobody plays the MOC S1SP: its scenario waits for an answer and fails.
    done = run(
        "--reports", str(tmp_path), "--no-report", "-k", "deadlock and MOC-ESME",
        "--s1h-external", "s1sp:MOC",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    # No build answered: the scenario could not be judged (broken), not a product defect.
    assert "BROKEN deadlock on the ESME of the MOC S1SP" in done.stdout
    assert "1 broken" in done.stdout


def _project(folder: Path) -> Path:
    """A project of its own, outside the checkout: a copy of the bundled features (run with
    ``s1harness run features``) and the results of an earlier run."""
    shutil.copytree(FEATURES, folder / "features")
    earlier = folder / "reports" / "allure-results"
    earlier.mkdir(parents=True)
    (earlier / "earlier-result.json").write_text("{}")
    return folder


def _kept(folder: Path) -> bool:
    return (folder / "reports" / "allure-results" / "earlier-result.json").is_file()


def test_nothing_selected_could_not_run(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = run("features", "-k", "nosuchscenario", cwd=project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no scenario selected" in done.stdout
    assert _kept(project)


def test_a_gherkin_error_is_on_the_terminal_exits_2_and_keeps_the_earlier_results(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    feature = project / "features" / "baselines" / "switch_off_deadlock.feature"
    feature.write_text(feature.read_text() + "\n  Scenaroi: a misspelt keyword\n")
    done = run("features", "-k", "deadlock", cwd=project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the suite could not run" in done.stdout
    assert (
        "Scenaroi" in done.stdout and "switch_off_deadlock.feature" in done.stdout
    )  # the parse error
    assert _kept(project)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--s1h-external", "s1sp:XYZ"], "--s1h-external: unknown role 's1sp:XYZ'"),
        (["-m", "R1 and ("], "Wrong expression passed to '-m'"),
        (["--s1h-broker", "mqtt://127.0.0.1:1"], "--s1h-broker: cannot reach the MQTT broker"),
    ],
)
def test_a_bad_option_is_one_usage_error_before_any_scenario(
    tmp_path: Path, args: list[str], said: str
) -> None:
    project = _project(tmp_path)
    done = run("features", "-k", "deadlock", *args, cwd=project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout.count(said) == 1
    assert "(0 scenarios ran)" in done.stdout
    assert _kept(project)


def test_a_path_that_is_not_features_is_one_line(tmp_path: Path) -> None:
    done = run(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr
        == f"s1harness: error: {tmp_path / 'nowhere'}: not a feature file or a folder of them\n"
    )


def test_without_the_xsd_is_one_line(tmp_path: Path) -> None:
    done = run("--reports", str(tmp_path), S1HARNESS_DUIS_XSD=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("s1harness: error: DUIS 5.4 XSD not found")
    assert done.stderr.count("\n") == 1


DELIBERATE = """\
@R1
Feature: A deliberate failure
  Scenario Outline: a deliberately wrong expectation on the <device> of the <s1sp> S1SP
    Given the MP107 switch is off at the DSP and at every S1SP
    And a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's \
certificates
    Then the device still holds the registered Network Operator's certificates

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
"""


def test_one_deliberate_failure_is_counted_alike_everywhere_under_two_workers(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    (project / "features" / "deliberate.feature").write_text(DELIBERATE)
    done = run("features", "-n", "2", "-k", "deliberately or (deadlock and MOC)", cwd=project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 2 passed in" in done.stdout  # the terminal
    assert "FAILED a deliberately wrong expectation on the ESME of the IOC S1SP" in done.stdout
    junit = (project / "reports" / "junit.xml").read_text()  # written without being asked
    assert re.search(r'errors="0" failures="1" skipped="0" tests="3"', junit), junit[:400]
    results = [
        json.loads(p.read_text())
        for p in (project / "reports" / "allure-results").glob("*-result.json")
    ]
    statuses = sorted(r["status"] for r in results)
    assert statuses == ["failed", "passed", "passed"]  # an expectation: failed, not broken
    failed = next(r for r in results if r["status"] == "failed")
    why = failed["statusDetails"]["message"]
    assert "in the NO critical slot, found" in why
    signoff = (project / "reports" / "signoff.md").read_text()
    assert "3 scenarios — 2 passed, 1 failed, 0 broken, 0 skipped, 0 unknown. Verdict: FAIL" in (
        signoff
    )
    scenarios = signoff.split("## Scenarios")[1].strip().splitlines()
    assert "a deliberately wrong expectation" in scenarios[2]  # failures first, with the reason
    assert " ".join(why.split())[:60].replace("_", "\\_") in scenarios[2]
    assert not _kept(project)  # a run that ran replaces the earlier results
    again = run("features", "--lf", "--no-report", cwd=project)  # the last failure only
    assert again.returncode == 1, again.stdout + again.stderr
    assert "1 failed in" in again.stdout and "passed" not in again.stdout


PENDING = """\
@R1 @IOC @ESME
Feature: A scenario not built yet
  @pending
  Scenario: a pending check
    Given the MP107 switch is on at the DSP and at every S1SP
"""


def test_a_pending_scenario_is_in_the_results_as_skipped(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "pending.feature").write_text(PENDING)
    done = run("features", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    results = [json.loads(p.read_text()) for p in (tmp_path / "reports" / "allure-results").glob(
        "*-result.json")]  # fmt: skip
    assert [(r["name"], r["status"]) for r in results] == [("a pending check", "skipped")]
    assert "1 scenarios — 0 passed, 0 failed, 0 broken, 1 skipped" in done.stdout
    assert "Verdict: INCOMPLETE" in done.stdout


def test_a_ci_log_gets_whole_lines(tmp_path: Path) -> None:
    """Not a terminal: a scenario's title is never cut at 80 columns."""
    done = run("--reports", str(tmp_path), "--no-report", "-k", "Known_Remote_Party and IOC-ESME")
    assert done.returncode == 0, done.stdout + done.stderr
    titles = [line for line in done.stdout.splitlines() if line.startswith("  pass  ")]
    assert titles and all(len(line) > 80 for line in titles)
    assert (
        "  pass  after the handover the registered Network Operator is the Known Remote Party on "
        "the ESME of the IOC S1SP"
    ) in titles
