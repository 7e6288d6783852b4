"""Input that once ended in a traceback (exit 70) gets one line and a non-zero exit: deeply
nested estate and register documents, a register with a byte order mark, an estate too small
for the FIA's wrong-NO counts (and the folder it did not write), a data folder that is a file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from s1harness.estate import EstateError, loads
from s1harness.estate.fia import FIA_WRONG_NO, minimum_devices, population
from s1harness.remediation import NoRegister
from s1harness.spec.errors import InputError


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s1harness", *args], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_a_deeply_nested_estate_is_one_line() -> None:
    with pytest.raises(EstateError, match="nested too deeply to be an estate"):
        loads("[" * 20_000, "deep.yaml")


def test_a_deeply_nested_register_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 20_000)
    with pytest.raises(InputError, match="nested too deeply to be an NO register"):
        NoRegister.load(path)


def test_a_register_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("\ufeff" + NoRegister().dumps_csv(), encoding="utf-8")
    assert len(NoRegister.load(path)) == 0


def test_the_fewest_devices_for_the_fia_counts_is_what_the_error_says() -> None:
    fewest = minimum_devices(FIA_WRONG_NO)
    assert population(fewest)
    with pytest.raises(EstateError, match=f"at least {fewest:,} needed"):
        population(fewest - 1)


def test_an_estate_too_small_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "fia"
    done = _cli("estate", "init", "--preset", "fia", "--devices", "1000", "--out", str(out))
    assert done.returncode == 2 and "at least" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not out.exists()


def test_up_with_a_file_for_its_data_folder_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("")
    done = _cli("up", "--data-dir", str(file))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"s1harness: error: --data-dir {file}: not a folder it can use (File exists)"
    )


def test_a_missing_estate_folder_is_named_as_such(tmp_path: Path) -> None:
    for command in ("remediate", "campaign"):
        done = _cli(command, "--estate", str(tmp_path / "nope"))
        assert done.returncode == 2, done.stderr
        line = done.stderr.strip()
        assert "\n" not in line and line.startswith(f"s1harness: error: {tmp_path / 'nope'}: ")
        assert "estate folder" in line
