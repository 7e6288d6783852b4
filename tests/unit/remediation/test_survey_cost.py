"""The survey's cost grows with the estate, not with how much of it is skipped: counted in
SQLite virtual-machine steps (the same on any machine, loaded or not), a register missing half
the Network Operators — or all of them — costs about what a full one does, and doubling the
estate about doubles it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from s1harness.estate.presets import START
from s1harness.registry.model import Cohort
from s1harness.remediation import NoRegister, remediate

from .support import databases, register, small_fia

STEP = 100
"""SQLite calls the progress handler every this many virtual-machine instructions."""


@pytest.fixture(scope="module")
def estates(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return {n: small_fia(tmp_path_factory.mktemp(f"fia{n}"), devices=n) for n in (600, 1200)}


def _steps(estate: Path, published: NoRegister) -> int:
    """VM instructions (in hundreds) of a dry run over every S1SP database of ``estate``."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0  # carry on

    connections = {}
    for cohort, path in databases(estate).items():
        db = sqlite3.connect(path, isolation_level=None)
        db.set_progress_handler(tick, STEP)
        connections[cohort] = db
    try:
        report = remediate(connections, estate / "registry.sqlite", published, at=START,
                           dry_run=True)  # fmt: skip
    finally:
        for db in connections.values():
            db.close()
    assert {o.cohort for o in report.s1sps} == set(Cohort)
    return count[0]


def _half(published: NoRegister) -> NoRegister:
    return NoRegister(published.entries[::2])


@pytest.mark.parametrize("cut", [_half, lambda _: NoRegister([])], ids=["half", "none"])
def test_a_register_missing_network_operators_is_surveyed_in_about_the_time_of_a_full_one(
    estates: dict[int, Path], cut: Callable[[NoRegister], NoRegister]
) -> None:
    full = register()
    assert len(cut(full).entries) < len(full.entries)
    whole, partial = _steps(estates[600], full), _steps(estates[600], cut(full))
    assert partial < 2 * whole, f"{partial} vs {whole} (hundreds of VM steps)"


def test_the_survey_grows_linearly_with_the_estate(estates: dict[int, Path]) -> None:
    half = _half(register())
    small, large = _steps(estates[600], half), _steps(estates[1200], half)
    assert large < 2.6 * small, f"{large} for 1200 devices vs {small} for 600"
