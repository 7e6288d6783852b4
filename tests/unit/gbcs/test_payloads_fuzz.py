"""Payload decoders under random and mutated input: only GbcsCodecError, never a crash.

Whatever decodes must also encode, and decode again to the same value (a canonical round trip).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads import (
    ALERT,
    COMMAND,
    MODELLED_MESSAGE_CODES,
    RESPONSE,
    decode_payload,
    encode_payload,
)

if TYPE_CHECKING:
    from unit.gbcs.conftest import RtdsPayload

_ROUTES = [
    (code, cra) for code in sorted(MODELLED_MESSAGE_CODES) for cra in (COMMAND, RESPONSE, ALERT)
]


def _decodes_or_refuses(message_code: int, cra: int, content: bytes) -> None:
    refusal: GbcsCodecError | None = None
    try:
        payload = decode_payload(message_code, cra, content)
    except GbcsCodecError as error:
        refusal = error
    if refusal is not None:
        assert refusal.field and 0 <= refusal.offset <= len(content)
        return
    assert payload is not None
    assert decode_payload(message_code, cra, encode_payload(payload)) == payload


@given(st.sampled_from(_ROUTES), st.binary(max_size=300))
def test_random_bytes_raise_only_codec_errors(route: tuple[int, int], content: bytes) -> None:
    _decodes_or_refuses(*route, content)


@given(st.sampled_from(_ROUTES), st.lists(st.integers(0, 255), max_size=40))
def test_random_der_like_bytes_raise_only_codec_errors(
    route: tuple[int, int], tail: list[int]
) -> None:
    """Inputs that start like a SEQUENCE reach further than uniform random bytes do."""
    content = bytes([0x30, len(tail), *tail])
    _decodes_or_refuses(*route, content)


@pytest.mark.vectors
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_rtds_payloads_raise_only_codec_errors(
    cs02_payloads: tuple[RtdsPayload, ...], data: st.DataObject
) -> None:
    sample = data.draw(st.sampled_from(cs02_payloads))
    content = bytearray(sample.content)
    at = data.draw(st.integers(0, len(content) - 1))
    content[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(content)))
    _decodes_or_refuses(sample.message_code, sample.cra, bytes(content))
    _decodes_or_refuses(sample.message_code, sample.cra, sample.content[:cut])
