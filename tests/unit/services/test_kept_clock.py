"""The clock ``s1harness up --data-dir`` keeps in its folder: a build started again runs on from
the time it kept, never back to the estate's start; a kept time that is not one, or a folder it
cannot use, is one clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from s1harness.services.kept_clock import CLOCK_FILE, KeptClock
from s1harness.spec.errors import InputError

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
LATER = START + timedelta(hours=5)


def test_without_a_folder_or_a_kept_time_it_starts_at_the_estate_s_start(tmp_path: Path) -> None:
    for clock in (KeptClock(START, None), KeptClock(START, tmp_path)):
        assert START <= clock() < START + timedelta(minutes=1)
    KeptClock(START, None).keep()  # keeps nothing, anywhere
    assert not (tmp_path / CLOCK_FILE).exists()


def test_a_clock_started_again_on_its_folder_runs_on_from_the_time_it_kept(
    tmp_path: Path,
) -> None:
    first = KeptClock(START, tmp_path)
    first.set(LATER)  # a clock request is kept at once, before any tick
    again = KeptClock(START, tmp_path)
    assert LATER <= again() < LATER + timedelta(minutes=1)
    again.keep()
    kept = datetime.fromisoformat((tmp_path / CLOCK_FILE).read_text().strip())
    assert kept >= LATER and kept.tzinfo is not None
    assert [p.name for p in tmp_path.iterdir()] == [CLOCK_FILE]  # no file left half-way


def test_an_estate_that_starts_after_the_kept_time_starts_at_its_start(tmp_path: Path) -> None:
    KeptClock(START, tmp_path).keep()
    assert KeptClock(LATER, tmp_path)() >= LATER


@pytest.mark.parametrize("text", ["yesterday", "2026-11-21T10:00:00", "\xff"])
def test_a_kept_time_that_is_not_one_is_one_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / CLOCK_FILE).write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError) as raised:
        KeptClock(START, tmp_path)
    message = str(raised.value)
    assert str(tmp_path / CLOCK_FILE) in message and "\n" not in message
    assert "remove it" in message


def test_a_kept_clock_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / CLOCK_FILE).mkdir()
    with pytest.raises(InputError, match=r"cannot read the kept clock \(Is a directory\)$"):
        KeptClock(START, tmp_path)


def test_a_time_that_cannot_be_kept_is_refused_and_not_set(tmp_path: Path) -> None:
    clock = KeptClock(START, tmp_path / "removed")  # a data folder that is gone
    with pytest.raises(InputError, match=r"removed/clock: cannot keep the clock \(No such file"):
        clock.set(LATER)
    assert clock() < LATER  # a refused request changes nothing
    with pytest.raises(FileNotFoundError):
        clock.keep()  # the tick says so and runs on
