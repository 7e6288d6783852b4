"""Requirement 2: the one-off S1SP data update, on the running estate's databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, cast

import pytest
from pytest_bdd import given, then, when

from s1harness.remediation import NoRegister, remediate
from s1harness.services.control import NOT_SUPPORTED, OK
from s1harness.suite.world import World
from s1harness.testing.expectations import expect


@given("an estate whose S1SP databases hold wrong Network Operator certificates")
def estate_on_disk(world: World, tmp_path: Path) -> None:
    world.configure(data_dir=tmp_path)


def _update(world: World, *, dry_run: bool = False) -> dict[str, Any]:
    """The data update on every S1SP's database while the S1SPs keep running on them: the
    Harness's own S1SPs' files directly; each S1SP another build plays through its control
    channel (a build that does not offer it makes the scenario not applicable)."""
    h, data = world.h, world.data_dir
    expect(data is not None, "an estate kept on disk (a Given step says so)")
    assert data is not None
    register = NoRegister.of_system(h.system)
    world.run(h.settle())
    merged: dict[str, Any] = {"mismatched": {}, "corrected": {}, "skipped": {}}
    ours = {c: data / f"s1sp-{c}.sqlite" for c in h.system.s1sps if h.plays(str(c))}
    if ours:
        trust = (h.system.keys.trust_anchors(), h.system.keys.path_certificates())
        run = asyncio.to_thread(
            remediate, ours, data / "registry.sqlite", register, at=h.clock(), dry_run=dry_run,
            trust=trust,
        )  # fmt: skip
        _merge(merged, world.run(run).as_json())
    for cohort in (c for c in h.system.s1sps if not h.plays(str(c))):
        _merge(merged, _remediated_by(world, f"s1sp:{cohort}", register, dry_run=dry_run))
    return merged


def _remediated_by(
    world: World, role: str, register: NoRegister, *, dry_run: bool
) -> dict[str, Any]:
    h = world.h
    at = h.clock().isoformat().replace("+00:00", "Z")
    ask = h.controller.ask(
        role, "remediate", h.timeout, register=json.loads(register.dumps()), at=at,
        dry_run=dry_run,
    )  # fmt: skip
    answer = world.run(ask)
    if answer.status == NOT_SUPPORTED:
        pytest.skip(f"not applicable: the build playing {role} does not offer the data update")
    expect(answer.status == OK, f"the build playing {role} to run the data update: {answer}")
    report = answer.data.get("report")
    expect(isinstance(report, dict), f"the build playing {role} to report its counts: {answer}")
    return cast(dict[str, Any], report)


def _merge(into: dict[str, Any], report: dict[str, Any]) -> None:
    for key in ("mismatched", "corrected", "skipped"):
        into[key].update(report.get(key, {}))


def _total(counts: dict[str, dict[str, int]]) -> int:
    return sum(n for by_type in counts.values() for n in by_type.values())


@when("the data update runs")
def data_update(world: World) -> None:
    world.notes["update"] = _update(world)


@then("no device holds a Network Operator certificate other than the registered one")
def none_mismatched(world: World) -> None:
    first: dict[str, Any] = world.notes["update"]
    expect(_total(first["mismatched"]) > 0, f"mismatched devices to correct: {first}")
    expect(first["corrected"] == first["mismatched"], f"every mismatch corrected: {first}")
    expect(_total(first["skipped"]) == 0, f"nothing skipped on this estate: {first['skipped']}")
    again = _update(world, dry_run=True)
    expect(_total(again["mismatched"]) == 0, f"no mismatch left: {again['mismatched']}")


@then("running it again changes nothing")
def idempotent(world: World) -> None:
    before = world.snapshot()
    again = _update(world)
    expect(_total(again["corrected"]) == 0, f"a second run to correct nothing: {again}")
    after = world.snapshot()
    changed = sorted(k for k in before if before[k] != after.get(k))
    expect(not changed, f"a second run to change nothing, but {changed} changed")
