"""``s1harness report`` over the results of a real pytest-bdd + allure-pytest-bdd run: the
sign-off summary's counts against counts taken straight from the JSON, the matrix, the
single-file Allure report built from npm, and that report rendered in headless Chromium."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from allure_suite import EXPECTED, run_suite
from browsers import allure2_tools, allure_tools, chromium, rendered_dom, visible_text
from s1harness.cli import main

pytestmark = pytest.mark.slow
SUITE_LINE = re.compile(
    r"(\d+) scenarios — (\d+) passed, (\d+) failed, (\d+) broken, (\d+) skipped, (\d+) unknown"
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_suite(tmp_path_factory.mktemp("suite"))


@pytest.fixture(scope="module")
def built(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports of ``s1harness report`` with the Allure HTML report."""
    out = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("S1HARNESS_TOOLS", str(allure_tools()))
        assert main(["report", "--results", str(results), "--out", str(out)]) == 0
    return out


def counted_from_json(results: Path) -> dict[str, int]:
    """Scenarios per status, straight from the result files (latest attempt per historyId)."""
    latest: dict[str, dict[str, object]] = {}
    for path in results.glob("*-result.json"):
        raw = json.loads(path.read_text())
        kept = latest.get(raw["historyId"])
        if kept is None or raw["start"] > kept["start"]:  # type: ignore[operator]
            latest[raw["historyId"]] = raw
    counts = Counter(str(raw["status"]) for raw in latest.values())
    return {s: counts[s] for s in ("passed", "failed", "broken", "skipped", "unknown")}


def suite_counts(text: str) -> dict[str, int]:
    match = SUITE_LINE.search(text)
    assert match is not None, text[:500]
    total, *numbers = (int(n) for n in match.groups())
    counts = dict(zip(("passed", "failed", "broken", "skipped", "unknown"), numbers, strict=True))
    assert total == sum(counts.values())
    return counts


def test_signoff_counts_equal_the_allure_results(results: Path, tmp_path: Path) -> None:
    assert main(["report", "--results", str(results), "--out", str(tmp_path), "--no-html"]) == 0
    expected = counted_from_json(results)
    assert expected == EXPECTED
    markdown = (tmp_path / "signoff.md").read_text()
    page = (tmp_path / "signoff.html").read_text()
    assert suite_counts(markdown) == expected
    assert suite_counts(re.search(r'<p id="suite".*?</p>', page, re.S).group()) == expected  # type: ignore[union-attr]
    assert page.count('<tr class="scenario">') == sum(expected.values())
    assert "Allure report: not built." in markdown


def test_matrix_cells(results: Path, tmp_path: Path) -> None:
    assert main(["report", "--results", str(results), "--out", str(tmp_path), "--no-html"]) == 0
    markdown = (tmp_path / "signoff.md").read_text()
    matrix = markdown.split("## Requirement × S1SP × device type")[1].split("Cells:")[0]
    rows = {line.split(" | ")[0]: line.split(" | ")[1:] for line in matrix.strip().splitlines()}
    header = rows["| Requirement"][:-1]
    assert header == ["IOC · ESME", "IOC · GPF", "MOC · ESME", "MOC · GPF", "FOC · ESME",
                      "FOC · GPF", "— · —"]  # fmt: skip
    r1 = ["PASS 1✓", "PASS 1✓", "FAIL 1✗", "SKIP 1↷", "FAIL 1!", "PASS 1✓", "—", "FAIL 3✓ 1✗ 1! 1↷"]
    assert [c.rstrip(" |") for c in next(v for k, v in rows.items() if "**R1**" in k)] == r1
    for requirement, cell, total in (
        ("R2", "SKIP 1↷", "NOT RUN 1↷"), ("MP058", "SKIP 1↷", "NOT RUN 1↷"),
        ("baseline", "PASS 1✓", "PASS 1✓"), ("other", "PASS 1✓", "PASS 1✓"),
    ):  # fmt: skip
        line = next(v for k, v in rows.items() if f"**{requirement}**" in k)
        assert [c.rstrip(" |") for c in line] == ["—"] * 6 + [cell, total]
    everything = next(v for k, v in rows.items() if "**All scenarios**" in k)
    assert everything[-2:] == ["PASS 2✓ 1↷", "FAIL 5✓ 1✗ 1! 2↷ |"]
    assert "| R1 | NO handover | The wrong NO hands over on MOC ESME | MOC | ESME | FAILED |" in (
        markdown
    )
    assert "5.2 SIT: positive NO handover" in markdown and "[GBCS](<" in markdown


def test_report_builds_the_single_file_allure_report(results: Path, built: Path) -> None:
    index = built / "allure-report" / "index.html"
    assert index.is_file() and len(list(index.parent.glob("*.html"))) == 1
    summary = json.loads((built / "allure-report" / "summary.json").read_text())
    expected = counted_from_json(results)
    stats = dict(summary["stats"])
    assert stats.pop("new", 0) == sum(expected.values())  # no earlier run in its history
    assert stats == {k: v for k, v in expected.items() if v} | {"total": sum(expected.values())}
    assert (built / "allure-history.jsonl").is_file()  # the trend the next run adds to
    uuids = [json.loads(p.read_text())["uuid"] for p in results.glob("*-result.json")]
    pages = set(
        re.findall(r"allure-report/index\.html#([0-9a-f]{32})", (built / "signoff.md").read_text())
    )
    assert pages == {hashlib.md5(u.encode(), usedforsecurity=False).hexdigest() for u in uuids}


def test_the_report_renders_in_headless_chromium(
    results: Path, built: Path, tmp_path: Path
) -> None:
    index = built / "allure-report" / "index.html"
    drawn = rendered_dom(
        index.as_uri(), tmp_path / "profile", ready=lambda dom: "Results" in visible_text(dom)
    )
    text = visible_text(drawn)
    expected = counted_from_json(results)

    def shown(label: str) -> int:  # the figure the page prints right after a label
        return int(text[text.index(label) + 1])

    assert shown("Results") == shown("Total") == sum(expected.values()) == 9
    for status in ("passed", "failed", "broken", "skipped"):
        assert shown(status.capitalize()) == expected[status]
    # the sign-off summary's evidence link for a scenario opens that scenario's page
    line = next(x for x in (built / "signoff.md").read_text().splitlines() if "on MOC ESME" in x)
    link = re.search(r"\[report\]\(<allure-report/index\.html(#[0-9a-f]{32})>\)", line)
    assert link is not None
    scenario = "The wrong NO hands over on MOC ESME"
    page = visible_text(
        rendered_dom(index.as_uri() + link.group(1), tmp_path / "profile",
                     ready=lambda dom: scenario in visible_text(dom))
    )  # fmt: skip
    assert scenario in page
    assert "AssertionError: rejected with E4" in page


def test_allure_2_takes_over_when_allure_3_fails(
    results: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("S1HARNESS_TOOLS", str(allure2_tools(tmp_path / "tools")))
    assert main(["report", "--results", str(results), "--out", str(tmp_path / "out")]) == 0
    assert "Allure report (allure2):" in capsys.readouterr().out
    assert (tmp_path / "out" / "allure-report" / "index.html").is_file()
    markdown = (tmp_path / "out" / "signoff.md").read_text()
    assert "[report](<allure-report/index.html>)" in markdown  # Allure 2 page ids are its own
    assert "index.html#" not in markdown


def test_without_node_the_summary_is_still_written(
    results: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("S1HARNESS_TOOLS", str(tmp_path / "tools"))
    assert main(["report", "--results", str(results), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "s1harness: error: no Allure HTML report: allure@3.18.0 needs node; "
        "allure-commandline@2.46.1 needs node and java"
    )
    assert "Allure report: not built." in (tmp_path / "out" / "signoff.md").read_text()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "no such allure-results folder"),
        (lambda d: d.mkdir(), "no *-result.json files"),
        (
            lambda d: (d.mkdir(), (d / "x-result.json").write_text("{")),
            "not a readable Allure JSON",
        ),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: object, message: str
) -> None:
    folder = tmp_path / "allure-results"
    setup(folder)  # type: ignore[operator]
    assert main(["report", "--results", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "out").exists()


def _printed_pages(page: Path, profile: Path) -> int:
    pdf = page.with_suffix(".pdf")
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", page.as_uri()]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0 and pdf.is_file(), done.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def test_the_sign_off_of_a_whole_suite_prints_on_a_few_pages(tmp_path: Path) -> None:
    """76 scenarios, as the FIA suite has, with names, FIA labels, failure reasons and a dozen
    attachments each as long as the real ones: a print of under ten pages (evidence is folded
    on screen and left out of the print)."""
    results = tmp_path / "allure-results"
    results.mkdir()
    for n in range(76):
        status = "failed" if n % 19 == 0 else "passed"
        raw = {
            "uuid": f"u{n}", "historyId": f"h{n}", "status": status,
            "name": f"the wrong Network Operator hands the ESME of the IOC S1SP to the registered "
                    f"one, variant {n}",
            "statusDetails": {"message": "90B3D51F30020000 in the NO critical slot, found "
                                         "90B3D51F30020001" if status == "failed" else ""},
            "labels": [{"name": "tag", "value": "R1"}, {"name": "feature", "value": "F"},
                       {"name": "fia", "value": "5.2 SIT — positive Network Operator handover"}],
            "parameters": [{"name": "s1sp", "value": "IOC"}, {"name": "device", "value": "ESME"}],
            "attachments": [{"name": f"DUIS request {k}", "source": f"{n}-{k}-attachment.xml",
                             "type": "application/xml"} for k in range(12)],
        }  # fmt: skip
        (results / f"u{n}-result.json").write_text(json.dumps(raw))
    assert main(["report", "--results", str(results), "--out", str(tmp_path), "--no-html"]) == 0
    assert _printed_pages(tmp_path / "signoff.html", tmp_path / "profile") < 10
