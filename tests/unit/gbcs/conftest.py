"""Fixtures for the GBCS tests: the CS02 payloads of the RTDS vectors.

The payload bytes are cut out of each frame here, by the GBCS layout (GBCS §7.2.5, §7.2.7),
so that the payload tests do not depend on the frame decoder of :mod:`s1harness.gbcs.frames`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

_MAC_HEADER = bytes.fromhex("DD00")
_SECURITY_HEADER = 5
_MAC = 12


class RtdsPayload(NamedTuple):
    """The content of one RTDS frame with the grouping-header fields the tests need."""

    path: Path
    cra: int
    counter: int
    message_code: int
    content: bytes

    @property
    def name(self) -> str:
        """The file name without ``_GBCS.HEX``."""
        return self.path.name.removesuffix("_GBCS.HEX")

    @property
    def family(self) -> str:
        """``CS02a`` … ``CS02g``, from the directory name (``6.24.1_CS02aMAC``)."""
        return self.path.parent.name.split("_", 1)[1][:5]


def _ber_length(data: bytes, at: int) -> tuple[int, int]:
    """A BER definite length at ``at``: (length, offset after it)."""
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), at + 1 + count


def rtds_payload(path: Path) -> RtdsPayload:
    """Cut the content out of a ``.HEX`` frame (bare ``DF`` or inside a ``DD 00`` envelope)."""
    frame = bytes.fromhex(path.read_text().strip())
    if frame.startswith(_MAC_HEADER):
        _, at = _ber_length(frame, 7)
        frame = frame[at + _SECURITY_HEADER : -_MAC]
    assert frame[0] == 0xDF and frame[1] == 9, path
    cra, counter = frame[2], int.from_bytes(frame[3:11], "big")
    at = 11 + 9 + 9  # counter, then 08 + originator and 08 + target
    at += 1 + frame[at]  # date-time length and value
    other_length, at = _ber_length(frame, at)
    message_code = int.from_bytes(frame[at : at + 2], "big")
    content_length, at = _ber_length(frame, at + other_length)
    return RtdsPayload(path, cra, counter, message_code, frame[at : at + content_length])


@pytest.fixture(scope="session")
def cs02_payloads(vectors: Path) -> tuple[RtdsPayload, ...]:
    """Every payload under ``vectors/rtds/*_CS02*/`` (CS02a..g; not CCS02, ECS02, GCS02, PCS02)."""
    paths = sorted((vectors / "rtds").glob("*_CS02*/*.HEX"))
    return tuple(rtds_payload(path) for path in paths)


@pytest.fixture(scope="session")
def other_payloads(vectors: Path) -> tuple[RtdsPayload, ...]:
    """The payloads of the other RTDS directories (ECS01a, CCS02, ECS80, …)."""
    paths = sorted((vectors / "rtds").glob("*/*.HEX"))
    return tuple(rtds_payload(p) for p in paths if "_CS02" not in p.parent.name)
