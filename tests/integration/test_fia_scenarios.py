"""The FIA scenarios — the feature suite shipped in ``s1harness.suite``, run through ``tests/bdd``
— on the buses a test site may use: in memory and against Mosquitto, each in a fresh pytest
process (the normal test run covers the embedded MQTT broker). Every scenario passes: each
asserts the check that accepted or refused the request at every hop, and that a refusal changed
no store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from feature_runs import SuiteRun, run_features, run_features_async
from s1harness.services.contract import check
from s1harness.spec.bus import CONTROL_KINDS, Kind, on_wire

pytestmark = [pytest.mark.vectors, pytest.mark.slow]  # the DUIS XSD is read from the vectors

IOC_SCENARIOS = 23
"""The scenarios on the devices of the IOC S1SP (``-k IOC``)."""
FEATURE_RESULTS = 77
"""The scenarios of the feature suite, every Examples row counted (none pending)."""

MATRIX = {f"[{s1sp}-{device}]" for s1sp in ("IOC", "MOC", "FOC") for device in ("ESME", "GPF")}
"""The cells of the sign-off matrix: a scenario outline over S1SPs and device types."""

OUTLINES = (
    "the_wrong_network_operator_hands",  # positive NO handover
    "after_the_handover",  # the registered NO is the Known Remote Party afterwards
    "suppliers_and_other_roles_are_refused",
    "is_not_yet_updated",  # partial S1SP rollout
    "deadlock",  # MP107 switch off
    "outage_alerts",
    "a_countersignature_the_dsp_did_not_make",  # the S1SP's own checks: S1VE1
    "a_precommand_signed_by_a_key_not_in_the_slot",  # S1VE2
    "a_countersigned_request_sent_again",  # S1VE3
)


def expect_every_scenario(run: SuiteRun) -> None:
    run.expect_all_passed(FEATURE_RESULTS)
    for outline in OUTLINES:
        cells = {name[name.index("[") :] for name in run.results if outline in name}
        assert cells == MATRIX, outline


def test_the_features_in_memory_and_every_message_passes_the_contract(tmp_path: Path) -> None:
    tap = tmp_path / "tap.jsonl"
    expect_every_scenario(run_features(tmp_path, "--s1h-bus", "memory", "--s1h-tap", str(tap)))
    lines = [json.loads(line) for line in tap.read_text(encoding="utf-8").splitlines()]
    issues = [
        issue
        for line in lines
        for issue in check(on_wire("run-1", line["topic"]), line["wire"].encode())
    ]
    assert issues == []
    kinds = {json.loads(line["wire"])["kind"] for line in lines}
    assert kinds == {str(kind) for kind in set(Kind) - CONTROL_KINDS}


@pytest.mark.mqtt
def test_the_features_against_mosquitto_on_two_workers(tmp_path: Path, mosquitto_url: str) -> None:
    """Two workers on one broker: each scenario's topics sit under a run ID of its own."""
    expect_every_scenario(
        run_features(tmp_path, "-n", "2", "--s1h-bus", "mqtt", "--s1h-broker", mosquitto_url)
    )


@pytest.mark.mqtt
async def test_two_runs_at_once_on_one_broker(tmp_path: Path, mosquitto_url: str) -> None:
    """Two test runs sharing Mosquitto (two teams, say) never hear each other."""
    runs = [
        run_features_async(tmp_path / name, "-k", "IOC", "--s1h-broker", mosquitto_url)
        for name in ("first", "second")
    ]
    for folder in ("first", "second"):
        (tmp_path / folder).mkdir()
    for done in await asyncio.gather(*runs):
        done.expect_all_passed(IOC_SCENARIOS)
