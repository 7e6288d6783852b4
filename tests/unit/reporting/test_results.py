"""Reading allure-results: latest attempt per historyId, attachments, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1harness.reporting.results import count_statuses, read_results
from s1harness.spec.errors import InputError


def write(folder: Path, uuid: str, **fields: object) -> None:
    folder.mkdir(exist_ok=True)
    raw = {"uuid": uuid, "name": uuid, "status": "passed", "historyId": uuid, **fields}
    (folder / f"{uuid}-result.json").write_text(json.dumps(raw))


def test_the_latest_attempt_of_a_retried_scenario_counts(tmp_path: Path) -> None:
    write(tmp_path, "a1", historyId="h", status="failed", start=10, stop=20)
    write(tmp_path, "a2", historyId="h", status="passed", start=30, stop=40)
    write(tmp_path, "b1", historyId="h2", status="broken", start=5, stop=6)
    results = read_results(tmp_path)
    assert [s.uuid for s in results.scenarios] == ["a2", "b1"]
    assert results.superseded == 1
    assert results.counts() == {"passed": 1, "failed": 0, "broken": 1, "skipped": 0, "unknown": 0}


def test_without_a_history_id_name_and_parameters_identify_a_scenario(tmp_path: Path) -> None:
    row = {"fullName": "f:s", "historyId": "", "parameters": [{"name": "s1sp", "value": "IOC"}]}
    write(tmp_path, "x1", **row, start=1)
    write(tmp_path, "x2", **row, start=2, status="failed")
    other = {**row, "parameters": [{"name": "s1sp", "value": "MOC"}]}
    write(tmp_path, "x3", **other, start=1)
    results = read_results(tmp_path)
    assert sorted(s.uuid for s in results.scenarios) == ["x2", "x3"]


def test_labels_parameters_and_attachments(tmp_path: Path) -> None:
    step = {"name": "Given", "attachments": [{"name": "req", "source": "s1.xml", "type": "x"}]}
    nested = {"name": "When", "steps": [{"attachments": [{"source": "s2.json"}]}]}
    write(
        tmp_path,
        "u",
        labels=[{"name": "tag", "value": "R1"}, {"name": "fia", "value": "5.2"}],
        parameters=[{"name": "S1SP", "value": "FOC"}],
        steps=[step, nested],
        statusDetails={"message": "E4\n"},
        links=[{"url": "https://example.org/fia", "name": "FIA"}],
    )
    fixture = {"name": "estate", "attachments": [{"name": "log", "source": "s3.txt"}]}
    container = {"uuid": "c", "children": ["u"], "befores": [fixture], "afters": []}
    (tmp_path / "c-container.json").write_text(json.dumps(container))
    (result,) = read_results(tmp_path).scenarios
    assert result.tags == {"R1"} and result.label_values("fia") == ["5.2"]
    assert result.parameter("s1sp") == "FOC" and result.parameter("device") is None
    assert [a.source for a in result.attachments] == ["s1.xml", "s2.json", "s3.txt"]
    assert result.attachments[1].name == "s2.json"  # no name: the file name
    assert result.message == "E4" and result.links == (("FIA", "https://example.org/fia"),)
    assert result.test_id == "7b774effe4a349c6dd82ad4f4f21d34c"  # MD5 of "u", as Allure 3 names it


def test_an_unknown_status_counts_as_unknown() -> None:
    assert count_statuses(["passed", "weird"]) == {
        "passed": 1, "failed": 0, "broken": 0, "skipped": 0, "unknown": 1
    }  # fmt: skip


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not a readable Allure JSON file"),
        ("[1, 2]", "not an object"),
        ('{"name": "no uuid"}', "not an Allure result"),
        ('{"uuid": "u", "labels": [{"value": 1}]}', "not an Allure result"),
    ],
)
def test_malformed_results_are_one_line_errors(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "u-result.json").write_text(content)
    with pytest.raises(InputError, match=expected) as caught:
        read_results(tmp_path)
    assert "\n" not in caught.value.message


def test_a_malformed_container_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "u")
    (tmp_path / "c-container.json").write_text('{"children": ["u"], "befores": [{"steps": 1}]}')
    with pytest.raises(InputError, match="not an Allure container"):
        read_results(tmp_path)


def test_missing_or_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such allure-results folder"):
        read_results(tmp_path / "absent")
    (tmp_path / "x-attachment.txt").write_text("")
    with pytest.raises(InputError, match=r"no \*-result\.json files"):
        read_results(tmp_path)
