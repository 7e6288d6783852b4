"""``s1harness bench bus``: shape only — the figures are read from the command, not asserted."""

from __future__ import annotations

import json

import pytest

from s1harness.cli import main

pytestmark = pytest.mark.vectors


def test_bench_bus_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "bus", "--json", "--count", "4", "--rounds", "1", "--bus", "memory"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["benchmark"] == "bus"
    assert set(result["ratios"]) == {"memory"} and result["targets"] == {"memory": 0.5}
    counted = result["ecdsa_per_round_trip"]
    assert counted["sign"] >= 8 and counted["verify"] >= 10  # every signature made and checked
    assert {"memory: round trips", "memory: ECDSA bound"} <= set(result["rates"])
    breakdown = result["breakdown"]["memory"]
    stages = breakdown["stages"]
    assert {"dsp <- duis-request", "s1sp <- countersigned-request", "users: request (CV 4)"} <= set(
        stages
    )
    # Every ECDSA operation of the round trip belongs to exactly one stage.
    for operation in ("sign", "verify"):
        assert sum(stage[operation] for stage in stages.values()) == counted[operation]
    # The XML floor is timed on the calibration round trip's documents: the Users' two requests,
    # which the DSP validates, and the six the DSP and the S1SP send, all eight signed.
    assert result["xml_documents"] == {"count": 8, "signed": 8, "validated": 2}
    assert result["xml_floor_us"]["memory"] > 0 and 0 < result["ceilings"]["memory"] < 1
    handled = sum(stage["us"] for stage in stages.values())
    assert handled + breakdown["bus_us"] == pytest.approx(breakdown["total_us"], abs=1.0)


def test_bench_bus_refuses_an_unknown_bus(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "bus", "--bus", "carrier-pigeon"]) == 2
    assert "unknown bus 'carrier-pigeon'" in capsys.readouterr().err
