"""Requirement 2: the one-off S1SP data update, on the running estate's databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pytest_bdd import given, then, when

from bdd.world import World
from s1harness.registry.model import Cohort
from s1harness.remediation import NoRegister, remediate
from s1harness.remediation.report import Report
from s1harness.testing.expectations import expect


@given("an estate whose S1SP databases hold wrong Network Operator certificates")
def estate_on_disk(world: World, tmp_path: Path) -> None:
    world.configure(data_dir=tmp_path)


def _update(world: World, *, dry_run: bool = False) -> Report:
    """The data update on the S1SP databases, while the S1SPs keep running on them."""
    h, data = world.h, world.data_dir
    expect(data is not None, "an estate kept on disk (a Given step says so)")
    assert data is not None
    register = NoRegister.of_system(h.system)
    world.run(h.settle())
    databases = {cohort: data / f"s1sp-{cohort}.sqlite" for cohort in Cohort}
    run = asyncio.to_thread(
        remediate, databases, data / "registry.sqlite", register, at=h.clock(), dry_run=dry_run
    )
    return world.run(run)  # type: ignore[no-any-return]


def _total(counts: dict[str, dict[str, int]]) -> int:
    return sum(n for by_type in counts.values() for n in by_type.values())


@when("the data update runs")
def data_update(world: World) -> None:
    report = _update(world)
    world.notes["update"] = report.as_json()


@then("no device holds a Network Operator certificate other than the registered one")
def none_mismatched(world: World) -> None:
    first: dict[str, Any] = world.notes["update"]
    expect(_total(first["mismatched"]) > 0, f"mismatched devices to correct: {first}")
    expect(first["corrected"] == first["mismatched"], f"every mismatch corrected: {first}")
    expect(_total(first["skipped"]) == 0, f"nothing skipped on this estate: {first['skipped']}")
    again = _update(world, dry_run=True).as_json()
    expect(_total(again["mismatched"]) == 0, f"no mismatch left: {again['mismatched']}")


@then("running it again changes nothing")
def idempotent(world: World) -> None:
    before = world.snapshot()
    again = _update(world).as_json()
    expect(_total(again["corrected"]) == 0, f"a second run to correct nothing: {again}")
    after = world.snapshot()
    changed = sorted(k for k in before if before[k] != after.get(k))
    expect(not changed, f"a second run to change nothing, but {changed} changed")
