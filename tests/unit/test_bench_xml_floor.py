"""The XML floor of ``bench bus``: which work it times, and the ceiling it gives."""

from __future__ import annotations

import copy

from lxml import etree

from s1harness.bench import xml_floor
from s1harness.bench.duis import _own_requests
from s1harness.duis.ns import ds


def test_the_ceiling_is_the_ecdsa_share_of_the_least_a_round_trip_costs() -> None:
    assert xml_floor.ceiling(1000.0, 0.0) == 1.0
    assert xml_floor.ceiling(1000.0, 0.001) == 0.5  # 1 ms of ECDSA, 1 ms of XML
    assert xml_floor.ceiling(500.0, 0.002) == 0.5
    assert xml_floor.ceiling(1000.0, 0.003) == 0.25


def test_a_signed_document_is_digested_without_its_own_signature_only() -> None:
    documents, _ = _own_requests()
    root = etree.fromstring(documents[0])
    # A signed element carried inside (as the DSP relays the S1SP's): not this document's.
    root[1].append(copy.deepcopy(root[-1]))
    carried = etree.tostring(root)
    prepared = xml_floor.prepare([(carried, True), (b"<unsigned/>", False)])
    signed, unsigned = prepared
    assert signed.validated and signed.unsigned is not None and signed.signed_info is not None
    own = signed.signed_info.getparent()
    assert own is not None and own.getparent() is not None
    assert own.getparent().getparent() is None  # the root's own signature
    assert len(signed.unsigned.findall(ds("Signature"))) == 0  # gone from the root
    assert len(signed.unsigned.findall(f".//{ds('Signature')}")) == 1  # the carried one stays
    assert (unsigned.unsigned, unsigned.signed_info, unsigned.validated) == (None, None, False)


def test_only_documents_their_receiver_validates_are_checked_against_the_schema() -> None:
    documents, _ = _own_requests()
    calls: list[object] = []

    class Counting:
        def is_valid(self, root: object) -> bool:
            calls.append(root)
            return True

    plain = xml_floor.prepare([(d, False) for d in documents])
    xml_floor.floor_seconds(plain, schema=Counting(), repeats=1)  # type: ignore[arg-type]
    assert calls == []
    validated = xml_floor.prepare([(d, True) for d in documents])
    assert xml_floor.floor_seconds(validated, schema=Counting(), repeats=3) > 0  # type: ignore[arg-type]
    assert len(calls) == len(documents) * 3
