"""``s1harness bench … --check``: exit 1 exactly when a ratio or time misses its target. The
figures themselves are never asserted (they depend on the machine)."""

from __future__ import annotations

import json

import pytest

from s1harness.cli import main
from s1harness.cli.bench import missed_targets


def _result(ratios: dict[str, float], **more: object) -> dict[str, object]:
    return {"ratios": ratios, **more}


@pytest.mark.parametrize(
    ("result", "missed"),
    [
        (_result({"a": 0.6}, target=0.5), []),
        (_result({"a": 0.4}, target=0.5), ["ratio a 0.400 < 0.5"]),
        (_result({"a": 0.4, "b": 0.9}, targets={"a": 0.3, "b": 1.0}), ["ratio b 0.900 < 1.0"]),
        (_result({}, seconds={"campaign": 130.0}, targets={"campaign seconds": 120}),
         ["campaign 130.00 s >= 120 s"]),
        (_result({"a": 0.4}), []),  # no target: nothing to miss
    ],
)  # fmt: skip
def test_missed_targets(result: dict[str, object], missed: list[str]) -> None:
    assert missed_targets(result) == missed


def test_check_exits_1_exactly_when_a_target_is_missed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["bench", "smki", "--json", "--count", "10", "--rounds", "1"]
    assert main(args) == 0  # without --check a missed target is only printed
    plain = json.loads(capsys.readouterr().out)
    assert set(plain["ratios"])
    status = main([*args, "--check"])
    captured = capsys.readouterr()
    missed = missed_targets(json.loads(captured.out))
    assert status == (1 if missed else 0)
    assert ("target missed" in captured.err) == bool(missed)
