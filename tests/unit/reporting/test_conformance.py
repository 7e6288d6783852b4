"""The conformance report's verdict per check, from the scenarios that judged it."""

from __future__ import annotations

import json
from pathlib import Path

from s1harness.reporting.conformance import (
    FAIL,
    NOT_APPLICABLE,
    NOT_OBSERVABLE,
    PASS,
    as_json,
    as_markdown,
    conformance,
    read_verdicts,
)


def _lines(path: Path, *rows: tuple[str, str, str, list[list[str]]]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"scenario": s, "outcome": o, "reason": r, "checks": c}) + "\n"
            for s, o, r, c in rows
        )
    )
    return path


def test_each_check_gets_the_verdict_of_the_scenarios_that_judged_it(tmp_path: Path) -> None:
    path = _lines(
        tmp_path / "v.jsonl",
        ("a", "passed", "", [["IOC", "SRPD 16.1"], ["IOC", "S1SR 4.2"], ["DSP", "SRPD 6.1(f)"]]),
        ("b", "failed", "S1VE4 expected", [["IOC", "SRPD 16.1"]]),
        ("c", "skipped", "not observable: lifted or not", [["IOC", "S1SP execution counter"]]),
        ("d", "failed", "the build did not load its estate", []),
        ("e", "passed", "", [["MOC", "S1SP execution"]]),  # another S1SP: not this build's
        ("b", "passed", "", []),  # a later phase of b: the worst outcome stays
    )
    report = conformance("s1sp:IOC", read_verdicts(path))
    verdicts = {v.check.name: v.verdict for v in report.checks}
    assert verdicts["SRPD 16.1"] == FAIL
    assert verdicts["S1SR 4.2"] == PASS
    assert verdicts["S1SP execution counter"] == NOT_OBSERVABLE
    assert verdicts["S1SP execution"] == NOT_APPLICABLE
    assert "SRPD 6.1(f)" not in verdicts  # the DSP's, not this build's
    assert [s.name for s in report.unexplained] == ["d"]
    assert report.verdict == "FAIL"
    document = as_json(report)
    assert document["counts"] == {PASS: 1, FAIL: 1, NOT_OBSERVABLE: 1, NOT_APPLICABLE: 6}
    assert "| 2 | SRPD 16.1 | S1VE4 | **fail** | 1 of 2 passed | S1VE4 expected |" in (
        as_markdown(report)
    )


def test_a_build_whose_judged_checks_all_passed_conforms(tmp_path: Path) -> None:
    path = _lines(tmp_path / "v.jsonl", ("a", "passed", "", [["DSP", "DUIS XSD"]]))
    assert conformance("dsp", read_verdicts(path)).verdict == "PASS"
