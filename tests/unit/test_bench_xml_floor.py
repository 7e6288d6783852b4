"""The XML floor of ``bench bus``: what it times and the ceiling it gives."""

from __future__ import annotations

from s1harness.bench import xml_floor
from s1harness.bench.duis import _own_requests


def test_the_ceiling_is_the_ecdsa_share_of_the_least_a_round_trip_costs() -> None:
    assert xml_floor.ceiling(1000.0, 0.0) == 1.0
    assert xml_floor.ceiling(1000.0, 0.001) == 0.5  # 1 ms of ECDSA, 1 ms of XML
    assert xml_floor.ceiling(500.0, 0.002) == 0.5
    assert xml_floor.ceiling(1000.0, 0.003) == 0.25


def test_only_documents_their_receiver_validates_are_checked_against_the_schema() -> None:
    documents, _ = _own_requests()
    plain = [(d, False) for d in documents]
    validated = [(d, True) for d in documents]
    calls: list[bytes] = []

    class Counting:
        def is_valid(self, root: object) -> bool:
            calls.append(b"")
            return True

    xml_floor.floor_seconds(plain, schema=Counting(), repeats=1, rounds=1)  # type: ignore[arg-type]
    assert calls == []
    xml_floor.floor_seconds(validated, schema=Counting(), repeats=2, rounds=3)  # type: ignore[arg-type]
    assert len(calls) == len(documents) * 2 * 3
