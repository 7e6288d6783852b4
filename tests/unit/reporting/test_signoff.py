"""The sign-off matrix and its Markdown and HTML renderings, over hand-written results."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.reporting.html_summary import render_html
from s1harness.reporting.markdown import render_markdown
from s1harness.reporting.results import read_results, write_environment
from s1harness.reporting.signoff import PART, WHOLE, Signoff, build_signoff, verdict
from s1harness.reporting.wording import Places, cell_text, requirement_text, suite_line

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def scenario(folder: Path, uuid: str, status: str, tags: list[str], **params: str) -> None:
    labels = [{"name": "tag", "value": t} for t in tags] + [{"name": "feature", "value": "F"}]
    raw = {
        "uuid": uuid,
        "historyId": uuid,
        "name": f"scenario {uuid}",
        "status": status,
        "labels": [*labels, {"name": "fia", "value": f"5.2 {uuid}"}],
        "parameters": [{"name": k, "value": v} for k, v in params.items()],
        "attachments": [{"name": "req|1", "source": f"{uuid}-attachment.xml", "type": "x"}],
    }
    (folder / f"{uuid}-result.json").write_text(json.dumps(raw))


@pytest.fixture
def signoff(tmp_path: Path) -> Signoff:
    results = tmp_path / "allure-results"
    results.mkdir()
    scenario(results, "a", "passed", ["R1", "SIT"], s1sp="MOC", device="GPF")
    scenario(results, "b", "failed", ["R1"], s1sp="IOC", device="ESME")
    scenario(results, "c", "passed", ["R1"], s1sp="IOC", device="ESME")
    scenario(results, "d", "skipped", ["R2", "MP058", "pending"])
    scenario(results, "e", "passed", ["baseline"], s1sp="FOC", device="SMETS2 ESME")
    scenario(results, "f", "broken", [], s1sp="FOC")
    return build_signoff(read_results(results), NOW)


def test_rows_columns_and_cells(signoff: Signoff) -> None:
    assert signoff.requirements == ("R1", "R2", "MP058", "baseline", "other")
    assert signoff.columns == (
        ("IOC", "ESME"), ("MOC", "GPF"), ("FOC", "SMETS2 ESME"), ("FOC", "—"), ("—", "—")
    )  # fmt: skip
    assert signoff.cell("R1", ("IOC", "ESME"))["passed"] == 1
    assert signoff.cell("R1", ("IOC", "ESME"))["failed"] == 1
    assert verdict(signoff.cell("R1", ("IOC", "ESME"))) == "FAIL"
    assert cell_text(signoff.cell("R1", ("MOC", "GPF"))) == "PASS 1✓"
    assert cell_text(signoff.cell("R1", ("FOC", "—"))) == "—"
    assert cell_text(signoff.cell("other", ("FOC", "—"))) == "FAIL 1!"
    assert cell_text(signoff.cell("R2", ("—", "—"))) == "SKIP 1↷"
    assert cell_text(signoff.cell("MP058", ("—", "—"))) == "SKIP 1↷"
    assert cell_text(signoff.cell("baseline", ("FOC", "SMETS2 ESME"))) == "PASS 1✓"


def test_a_scenario_of_two_requirements_is_counted_once_in_the_totals(signoff: Signoff) -> None:
    assert sum(signoff.requirement_total(r)["skipped"] for r in signoff.requirements) == 2
    assert signoff.totals() == {"passed": 3, "failed": 1, "broken": 1, "skipped": 1, "unknown": 0}
    assert signoff.column_total(("—", "—"))["skipped"] == 1


def test_rows_follow_the_requirements(signoff: Signoff) -> None:
    assert [r.result.uuid for r in signoff.rows] == ["a", "b", "c", "d", "e", "f"]
    assert signoff.rows[0].fia == "5.2 a"


def test_the_rows_of_an_outline_stay_together_in_s1sp_order(tmp_path: Path) -> None:
    for uuid, s1sp, device in (("1", "FOC", "ESME"), ("2", "IOC", "GPF"), ("3", "IOC", "ESME")):
        scenario(tmp_path, uuid, "passed", ["R1"], s1sp=s1sp, device=device)
        raw = json.loads((tmp_path / f"{uuid}-result.json").read_text())
        raw["name"] = f"Handover on {s1sp} {device}"
        (tmp_path / f"{uuid}-result.json").write_text(json.dumps(raw))
    scenario(tmp_path, "4", "passed", ["R1"], s1sp="MOC", device="GPF")  # "scenario 4"
    rows = build_signoff(read_results(tmp_path), NOW).rows
    assert [r.result.uuid for r in rows] == ["3", "2", "1", "4"]


def test_markdown(signoff: Signoff, tmp_path: Path) -> None:
    places = Places(tmp_path, tmp_path / "allure-results", tmp_path / "allure-report/index.html")
    text = render_markdown(signoff, places)
    assert "6 scenarios — 3 passed, 1 failed, 1 broken, 1 skipped, 0 unknown. Verdict: FAIL" in text
    assert "| **R1** SECMP0107 Requirement 1" in text
    b = signoff.rows[1].result
    assert f"[report](<allure-report/index.html#{b.test_id}>)" in text
    assert "[req\\|1](<allure-results/b-attachment.xml>)" in text  # the pipe cannot split a cell
    table = text.split("## Scenarios")[1].strip().splitlines()
    assert len(table) == 8 and {line.count(" | ") for line in table} == {
        8
    }  # every scenario line has as many cells as the header
    assert [line.split(" | ")[2] for line in table[2:]] == [
        f"scenario {u}" for u in "bfacde"
    ]  # failures first


def test_html_is_self_contained_and_escaped(signoff: Signoff, tmp_path: Path) -> None:
    places = Places(tmp_path / "out", tmp_path / "allure-results", None)
    page = render_html(signoff, places)
    assert "<script" not in page and "<link" not in page and "http" not in page
    assert "Allure report: not built" in page
    assert 'href="../allure-results/a-attachment.xml"' in page
    assert "#" not in re.findall(r'href="([^"]*)"', page)[0]  # no report: no test pages
    assert len(re.findall(r'<tr class="scenario">', page)) == 6
    assert 'class="FAIL">FAIL 1✓ 1✗</td>' in page
    assert "<details><summary>1 files</summary>" in page  # evidence folded


def _suite(folder: Path, *scenarios: tuple[str, str, list[str]]) -> Signoff:
    folder.mkdir(exist_ok=True)
    for uuid, status, tags in scenarios:
        scenario(folder, uuid, status, tags, s1sp="IOC", device="ESME")
    return build_signoff(read_results(folder), NOW)


def test_the_verdict_is_pass_only_when_every_requirement_ran_and_passed(tmp_path: Path) -> None:
    every = _suite(tmp_path / "all", ("1", "passed", ["R1"]), ("2", "passed", ["R2", "MP058"]))
    assert (every.verdict(), every.not_run()) == ("PASS", ())
    filtered = _suite(tmp_path / "R1", ("1", "passed", ["R1"]))
    assert (filtered.verdict(), filtered.not_run()) == ("INCOMPLETE", ("R2", "MP058"))
    assert "Verdict: INCOMPLETE (not run: R2, MP058)" in suite_line(filtered)
    assert requirement_text(filtered, "R2") == "NOT RUN"
    skipped = _suite(tmp_path / "skip", ("1", "passed", ["R1"]), ("2", "skipped", ["R2", "MP058"]))
    assert skipped.verdict() == "INCOMPLETE"
    assert requirement_text(skipped, "MP058") == "NOT RUN 1↷"
    failed = _suite(tmp_path / "fail", ("1", "failed", ["R1"]))
    assert failed.verdict() == "FAIL"  # a failure is a failure, however little ran
    assert _suite(tmp_path / "skipped only", ("1", "skipped", ["R1", "R2", "MP058"])).verdict() == (
        "INCOMPLETE"
    )


def test_not_run_requirements_and_reasons_are_on_the_page(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    scenario(results, "1", "failed", ["R1"], s1sp="IOC", device="ESME")
    raw = json.loads((results / "1-result.json").read_text())
    raw["statusDetails"] = {"message": "expected I0 then a SMETS1 response, got E42"}
    (results / "1-result.json").write_text(json.dumps(raw))
    signoff = build_signoff(read_results(results), NOW)
    places = Places(tmp_path, results, None)
    page, text = render_html(signoff, places), render_markdown(signoff, places)
    assert 'class="NOT-RUN">NOT RUN</td>' in page
    assert "expected I0 then a SMETS1 response, got E42" in page
    assert "| expected I0 then a SMETS1 response, got E42 |" in text
    assert '<p id="suite" class="FAIL">' in page


def test_columns_come_from_tags_when_a_scenario_has_no_such_parameters(tmp_path: Path) -> None:
    scenario(tmp_path, "1", "passed", ["R1", "MOC", "GPF"])  # a plain Scenario, tagged
    scenario(tmp_path, "2", "passed", ["R1"], s1sp="FOC", device="ESME")
    assert build_signoff(read_results(tmp_path), NOW).columns == (("MOC", "GPF"), ("FOC", "ESME"))


def test_a_run_of_part_of_the_suite_is_incomplete_though_every_requirement_ran(
    tmp_path: Path,
) -> None:
    """``-k IOC`` runs R1, R2 and MP058 scenarios alike: the recorded selection decides."""
    folder = tmp_path / "part"
    folder.mkdir()
    write_environment(folder, [("selection", f"{PART} (53 scenarios deselected)")])
    part = _suite(folder, ("1", "passed", ["R1"]), ("2", "passed", ["R2", "MP058"]))
    assert part.not_run() == () and part.verdict() == "INCOMPLETE"
    assert "Verdict: INCOMPLETE (ran a part of the FIA suite (53 scenarios deselected))" in (
        suite_line(part)
    )
    whole = tmp_path / "whole"
    whole.mkdir()
    write_environment(whole, [("selection", WHOLE)])
    assert _suite(whole, ("1", "passed", ["R1"]), ("2", "passed", ["R2", "MP058"])).verdict() == (
        "PASS"
    )
