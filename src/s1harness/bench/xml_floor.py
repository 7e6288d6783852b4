"""The XML work a round trip cannot avoid, timed on libxml2 alone: a ceiling for one process.

Whatever its implementation, a round trip's signed DUIS documents must each be serialised by
the sender, parsed by the receiver, canonicalised whole by both (the enveloped signature's
digest) and have their ``ds:SignedInfo`` canonicalised (exclusive C14N) by both; the DSP checks
each request against the DUIS schema. Timed on the documents of a real round trip with nothing
but those lxml calls, that work is a floor: no safety checks, no message building or reading,
no routing, no database. Added to the ECDSA bound it gives the least one process could spend on
a round trip, so ``ECDSA / (ECDSA + XML)`` is the best ratio ``bench bus`` could report were
every line of Python free.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from lxml import etree

from s1harness.duis.ns import ds
from s1harness.duis.schema import DuisSchema, load_schema

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
_SIGNED_INFO = ds("SignedInfo")


def floor_seconds(
    documents: Sequence[tuple[bytes, bool]],
    *,
    schema: DuisSchema | None = None,
    repeats: int = 20,
    rounds: int = 3,
) -> float:
    """Seconds per round trip of the libxml2 work on ``documents``: (octets, validated by the
    receiver) for each XML document of one round trip; the median of ``rounds``."""
    schema = schema or load_schema()
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            for octets, validated in documents:
                _once(octets, validated, schema)
        per_round.append((time.perf_counter() - start) / repeats)
    return statistics.median(per_round)


def _once(octets: bytes, validated: bool, schema: DuisSchema) -> None:
    root = etree.fromstring(octets, _PARSER)  # the receiver
    etree.tostring(root)  # the sender
    if validated:
        schema.is_valid(root)
    for _ in range(2):  # signer and verifier
        etree.tostring(root, method="c14n", exclusive=False, with_comments=False)
        for signed_info in root.iter(_SIGNED_INFO):
            etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)


def ceiling(bound_per_second: float, floor: float) -> float:
    """The best ratio to ``bound_per_second`` one process can reach with ``floor`` seconds of
    XML work per round trip besides its ECDSA."""
    ecdsa = 1 / bound_per_second
    return round(ecdsa / (ecdsa + floor), 3)


__all__ = ["ceiling", "floor_seconds"]
