"""The stage breakdown of ``bench bus``: what each stage is charged, and when."""

from __future__ import annotations

import pytest

from s1harness.bench.stages import Stages
from s1harness.spec.bus import Envelope, Kind


def _envelope() -> Envelope:
    return Envelope("dsp/from-devices", Kind.GBCS_DEVICE_FRAME, b"\xdd", "c")


def test_a_handler_is_a_stage_named_by_role_and_kind() -> None:
    stages = Stages()
    seen: list[str | None] = []

    def handler(envelope: Envelope) -> list[Envelope]:
        seen.append(stages.current)
        stages.count("verify")
        return [envelope]

    staged = stages.wrap("dsp/from-devices", handler)
    assert staged(_envelope()) == [_envelope()]
    assert seen == ["dsp <- gbcs-device-frame"]
    assert stages.current is None
    assert stages.ecdsa["dsp <- gbcs-device-frame"]["verify"] == 1
    assert not stages.seconds  # nothing is timed outside timing()


def test_timing_charges_each_stage_and_leaves_the_rest_to_the_bus() -> None:
    stages = Stages()
    staged = stages.wrap("s1sp/IOC/requests", lambda envelope: [])
    with stages.timing():
        for _ in range(4):
            staged(_envelope())
        with stages.stage("users: request (CV 4)"):
            stages.count("sign")
    spent = sum(stages.seconds.values())
    assert set(stages.seconds) == {"s1sp <- gbcs-device-frame", "users: request (CV 4)"}
    result = stages.breakdown(2, spent + 0.001, {"sign": 0.00002, "verify": 0.00005})
    assert result["bus_us"] == pytest.approx(500.0, abs=0.2)
    assert result["stages"]["users: request (CV 4)"]["ecdsa_us"] == pytest.approx(20.0)
    assert result["stages"]["users: request (CV 4)"]["sign"] == 1


def test_a_failing_handler_still_leaves_its_stage() -> None:
    stages = Stages()

    def broken(envelope: Envelope) -> list[Envelope]:
        raise ValueError("a role's bug")

    with stages.timing(), pytest.raises(ValueError, match="a role's bug"):
        stages.wrap("dsp/from-devices", broken)(_envelope())
    assert stages.current is None
    assert "dsp <- gbcs-device-frame" in stages.seconds
