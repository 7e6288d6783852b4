"""Random or corrupted frames: the SMETS2 device refuses them as data, never raises, and changes
nothing (STYLE: hypothesis on every decoder). A corrupted byte anywhere in a MAC'd command is
caught by the codec or the MAC."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from s1harness.gbcs.payloads import ReplacementMode
from s1harness.roles.smets2 import NETWORK_OPERATOR_DS, NETWORK_OPERATOR_KA, Smets2Device
from s1harness.smki import TestPki
from unit.roles.smets2_support import ManualClock, device, parties, rekeyed, signed_by, update


@cache
def _pki() -> TestPki:
    return TestPki()


@cache
def _valid_frame() -> bytes:
    pki = _pki()
    known = parties(pki)
    new = rekeyed(pki, known.network_operator)
    payload = update(
        pki,
        ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
        1200,
        [(new.ds, NETWORK_OPERATOR_DS), (new.ka, NETWORK_OPERATOR_KA)],
    )
    return signed_by(known.network_operator, payload, _fresh(), known.acb)


def _fresh() -> Smets2Device:
    return device(_pki(), ManualClock())


def _refused_without_change(frame: bytes) -> None:
    esme = _fresh()
    cells, floors = esme.cells, esme.floors
    reception = esme.receive_detailed(frame)
    assert reception.rejection is not None and reception.frames == ()
    assert esme.cells is cells and esme.floors is floors and esme.pending == ()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_are_refused(data: bytes) -> None:
    _refused_without_change(data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_corrupted_command_is_refused_without_effect(data: st.DataObject) -> None:
    frame = bytearray(_valid_frame())
    at = data.draw(st.integers(0, len(frame) - 1))
    frame[at] ^= data.draw(st.integers(1, 255))
    _refused_without_change(bytes(frame))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300))
def test_a_truncated_command_is_refused(cut: int) -> None:
    esme = _fresh()
    assert esme.receive(_valid_frame()[:-cut]) == []
