"""The XML work of a round trip timed on libxml2 alone: a ceiling for one process.

Each XML document of a round trip is serialised by its sender and parsed by its receiver. A
signed one (its ``ds:Signature`` the root's last child) is canonicalised without its signature
by the signer and by the verifier (the enveloped signature's digest), and its ``ds:SignedInfo``
canonicalised (exclusive C14N) by both; the DSP validates each request against the DUIS schema.
Timed on the documents of a real round trip with nothing but those lxml calls, that is the
floor of this pipeline (DUIS XML signatures made and checked with lxml): no safety checks, no
message building or reading, no routing, no database. Added to the ECDSA bound it gives the
least one process spends on a round trip, so ``ECDSA / (ECDSA + XML)`` is the best ratio
``bench bus`` could report were every line of Python free.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from s1harness.duis.ns import ds
from s1harness.duis.schema import DuisSchema, load_schema

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
_SIGNATURE, _SIGNED_INFO = ds("Signature"), ds("SignedInfo")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document of a round trip, ready to be timed."""

    octets: bytes
    validated: bool
    """Whether its receiver validates it against the DUIS schema."""
    unsigned: etree._Element | None
    """The document without its own signature (what signer and verifier digest); None when
    it is not signed."""
    signed_info: etree._Element | None
    """The ``ds:SignedInfo`` of its own signature (not of a signed element it carries)."""


def prepare(documents: Sequence[tuple[bytes, bool]]) -> list[Prepared]:
    """Parse ``documents`` ((octets, validated) for each XML document of one round trip)."""
    prepared = []
    for octets, validated in documents:
        root = etree.fromstring(octets, _PARSER)
        last = root[-1] if len(root) else None
        if last is None or last.tag != _SIGNATURE or not len(last) or last[0].tag != _SIGNED_INFO:
            prepared.append(Prepared(octets, validated, None, None))
            continue
        unsigned = copy.deepcopy(root)
        unsigned.remove(unsigned[-1])
        prepared.append(Prepared(octets, validated, unsigned, last[0]))
    return prepared


def floor_seconds(
    documents: Sequence[Prepared], *, schema: DuisSchema | None = None, repeats: int = 20
) -> float:
    """Seconds per round trip of the libxml2 work on ``documents``, timed over ``repeats``."""
    schema = schema or load_schema()
    start = time.perf_counter()
    for _ in range(repeats):
        for document in documents:
            _once(document, schema)
    return (time.perf_counter() - start) / repeats


def _once(document: Prepared, schema: DuisSchema) -> None:
    root = etree.fromstring(document.octets, _PARSER)  # the receiver
    etree.tostring(root)  # the sender
    if document.validated:
        schema.is_valid(root)
    if document.unsigned is None or document.signed_info is None:
        return
    for _ in range(2):  # signer and verifier
        etree.tostring(document.unsigned, method="c14n", exclusive=False, with_comments=False)
        etree.tostring(document.signed_info, method="c14n", exclusive=True, with_comments=False)


def ceiling(bound_per_second: float, floor: float) -> float:
    """The best ratio to ``bound_per_second`` one process can reach with ``floor`` seconds of
    XML work per round trip besides its ECDSA."""
    ecdsa = 1 / bound_per_second
    return round(ecdsa / (ecdsa + floor), 3)


__all__ = ["Prepared", "ceiling", "floor_seconds", "prepare"]
