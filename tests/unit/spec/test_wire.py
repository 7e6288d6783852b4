"""The envelope's wire form: round trips, and every malformed message refused by name."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s1harness.spec.bus import Envelope, Kind, dsp_requests
from s1harness.spec.wire import (
    Delivery,
    WireError,
    acks,
    decode,
    decode_ack,
    encode,
    encode_ack,
)

TOPIC = dsp_requests()


def _delivery(payload: bytes = b"\x00<x/>\xff", ack_to: str | None = None) -> Delivery:
    envelope = Envelope(TOPIC, Kind.GBCS_COMMAND, payload, "c-1", (("device", "00DB"),))
    return Delivery(envelope, "m-1", ack_to)


@pytest.mark.parametrize("ack_to", [None, acks("dsp-1")])
def test_round_trip(ack_to: str | None) -> None:
    delivery = _delivery(ack_to=ack_to)
    assert decode(TOPIC, encode(delivery)) == delivery


@given(st.binary(max_size=2048), st.text(max_size=40), st.dictionaries(st.text(), st.text()))
def test_any_envelope_round_trips(
    payload: bytes, correlation: str, headers: dict[str, str]
) -> None:
    envelope = Envelope(TOPIC, Kind.SMETS1_DEVICE_FRAME, payload, correlation,
                        tuple(sorted(headers.items())))  # fmt: skip
    assert decode(TOPIC, encode(Delivery(envelope, "id"))).envelope == envelope


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d | {"v": 2}, "not a version 1 envelope"),
        (lambda d: d | {"kind": "telegram"}, "unknown or missing kind 'telegram'"),
        (lambda d: {k: v for k, v in d.items() if k != "kind"}, "unknown or missing kind None"),
        (lambda d: d | {"id": 7}, "id and correlation_id must be strings"),
        (lambda d: d | {"id": ""}, "id and correlation_id must be strings"),
        (lambda d: d | {"headers": {"a": 1}}, "headers must map strings to strings"),
        (lambda d: d | {"payload": "!!"}, "payload is not base64"),
        (lambda d: d | {"ack_to": 3}, "ack_to must be a topic"),
    ],
)
def test_malformed_messages_are_refused(mutate: object, message: str) -> None:
    document = json.loads(encode(_delivery()))
    data = json.dumps(mutate(document)).encode()  # type: ignore[operator]
    with pytest.raises(WireError, match=message):
        decode(TOPIC, data)


@given(st.binary(max_size=256))
def test_random_bytes_give_only_wire_errors(data: bytes) -> None:
    with contextlib.suppress(WireError):
        decode(TOPIC, data)


def test_acknowledgements() -> None:
    assert decode_ack("t", encode_ack(["a", "b"])) == ["a", "b"]
    with pytest.raises(WireError, match="carries a list of ids"):
        decode_ack("t", b'{"v":1,"ids":"a"}')
    with pytest.raises(WireError, match="not a JSON envelope"):
        decode_ack("t", b"\xff")
