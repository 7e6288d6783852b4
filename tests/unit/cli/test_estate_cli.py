"""``s1harness estate init|show|register|export``, and how ``up`` and ``campaign`` say an
estate is invalid or not there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1harness.cli import main
from s1harness.estate import load, preset


def test_init_writes_the_preset_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estate", "init", "--preset", "small", "--out", str(tmp_path / "e")]) == 0
    assert load(tmp_path / "e") == preset("small")
    assert "16 devices" in capsys.readouterr().out
    assert main(["estate", "init", "--out", str(tmp_path / "e")]) == 1
    assert "exists (use --force" in capsys.readouterr().err
    assert main(["estate", "init", "--out", str(tmp_path / "e"), "--force"]) == 0


def test_init_with_an_unknown_preset_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estate", "init", "--preset", "huge", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("s1harness: error: unknown estate preset 'huge'")
    assert err.count("\n") == 1 and not (tmp_path / "estate.yaml").exists()


def test_show_json_summarises_the_estate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["estate", "init", "--out", str(tmp_path)])
    capsys.readouterr()
    assert main(["estate", "show", "--estate", str(tmp_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["counts"] == {
        "parties": 9, "registrations": 15, "devices": 16, "smets1": 12, "smets2": 4, "wrong_no": 7,
    }  # fmt: skip
    assert shown["by_kind"]["SMETS1 IOC ESME"] == {"devices": 2, "wrong_no": 1}
    wrong = [d for d in shown["devices"] if d["wrong_no"]]
    assert all(d["holds_network_operator"] != d["registered_network_operator"] for d in wrong)
    assert shown["s1sps"]["MOC"] == {"mp107": True, "id": "90B3D51F30050002"}


def test_show_a_bad_estate_is_one_line_and_exit_1_a_missing_one_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "estate.yaml").write_text("estate: 1\nname: x\nseed: y\nstart: soon\n")
    assert main(["estate", "show", "--estate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    where = tmp_path / "estate.yaml"
    assert (
        err == f"s1harness: error: {where}:4: estate.start: 'soon' is not an ISO 8601 date-time\n"
    )
    for command in ("show", "register", "export --role dsp"):
        args = ["estate", *command.split(), "--estate", "no-such-thing"]
        assert main(args) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "neither an estate file or folder nor a preset" in err
    # A role no document is made for is a malformed argument: 2, before any estate is read.
    assert main(["estate", "export", "--role", "bogus", "--estate", "no-such-thing"]) == 2
    assert "unknown role 'bogus' to provision" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["estate", "show", "--estate", str(empty)]) == 2
    err = capsys.readouterr().err
    missing = f"{empty / 'estate.yaml'}: cannot read the estate (No such file or directory)"
    assert err == f"s1harness: error: {missing}\n"


def test_show_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estate", "show"]) == 0
    out = capsys.readouterr().out
    assert "SMETS1 FOC GPF" in out and "DSP MP107 on" in out


def test_show_counts_what_a_fia_folder_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small fia folder with SMETS2 rows: the inventory's devices per kind, and the wrong-NO
    devices its S1SP databases hold (surveyed, not the FIA's default counts)."""
    folder = tmp_path / "fia"
    assert main(["estate", "init", "--preset", "fia", "--devices", "400", "--wrong-share", "0.3",
                 "--smets2", "31", "--out", str(folder)]) == 0  # fmt: skip
    assert "431 devices (400 SMETS1, 31 SMETS2, 120 wrong NO)" in capsys.readouterr().out
    assert main(["estate", "show", "--estate", str(folder), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["population"]
    assert shown["devices"] == 431
    kinds = shown["by_kind"]
    assert [kinds[f"SMETS2 {t}"]["devices"] for t in ("ESME", "GSME", "GPF")] == [11, 10, 10]
    assert sum(row["wrong_no"] for row in kinds.values()) == 120
    assert kinds["SMETS1 IOC ESME"] == {"devices": 110, "wrong_no": 33}


def test_up_and_campaign_say_as_estate_show_does_an_estate_that_is_invalid_or_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1 and one line for an estate read and found invalid, 2 for one that is not there;
    nothing is started (no broker, no database) for either."""
    (tmp_path / "estate.yaml").write_text("estate: 1\nname: x\nseed: y\nstart: soon\n")
    (tmp_path / "registry.sqlite").touch()  # the campaign's folder check passes; the document fails
    bad = f"{tmp_path / 'estate.yaml'}:4: estate.start: 'soon' is not an ISO 8601 date-time"
    for command in ("up", "campaign"):
        assert main([command, "--estate", str(tmp_path)]) == 1, command
        assert capsys.readouterr().err == f"s1harness: error: {bad}\n", command
    assert main(["up", "--estate", "no-such-thing"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "neither an estate file or folder nor a preset" in err
    assert main(["campaign", "--estate", str(tmp_path / "nowhere")]) == 2
    assert "not an estate folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.yaml", "registry.sqlite"]
