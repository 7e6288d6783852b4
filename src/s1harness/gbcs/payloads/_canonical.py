"""A fast reader for the CS02b/CS02g command in canonical DER (private).

The reader of :mod:`.cs02b` goes through asn1crypto and :class:`~._node.Node`, which accept
every encoding the model allows and locate every fault by field and offset; it costs about a
quarter of a millisecond a command, and an S1SP reads one per SRV 6.15.1. A command the DSP
built is canonical DER, so its fields can be read straight from the octets. This reader does
that, and only that: every element with the tag the model expects, in the model's order, its
length in the minimal form, integers minimal, a key usage one of the single-bit strings
asn1crypto itself writes, nothing left over, and no execution date-time (whose forms are
many). For anything else it returns None and the full reader decides — so every error still
comes from the full reader, and a command this reader accepts is one the full reader reads to
the same value (a test holds them to that on generated, vector and mutated commands).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from asn1crypto import x509

from s1harness.gbcs.payloads._node import KEY_USAGE_NAMES, known
from s1harness.gbcs.payloads.cells import (
    CellUsage,
    SeqNumberChange,
    SeqNumberUsage,
    SpecialistSeqNumber,
    TrustAnchorCell,
)
from s1harness.spec.roles import KeyUsage, RemotePartyRole

SEQUENCE, INTEGER, BIT_STRING = 0x30, 0x02, 0x03
_KEY_USAGES = {
    bytes(x509.KeyUsage({name}).dump()): usage for usage, name in KEY_USAGE_NAMES.items()
}
"""The DER of each one-bit key usage, as asn1crypto writes it, and the usage it names."""
_T = TypeVar("_T")


class NotCanonical(Exception):  # noqa: N818 - a signal to use the full reader, never raised out
    """The octets are not in the form this reader takes."""


class Reader:
    """The elements directly inside ``data[start:end]``, read in order."""

    __slots__ = ("at", "data", "end")

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.at, self.end = data, start, end

    def next_tag(self) -> int | None:
        """The identifier octet of the next element, or None at the end."""
        return self.data[self.at] if self.at < self.end else None

    def element(self, tag: int) -> tuple[int, int]:
        """The next element, which must carry ``tag``: ``(value start, value end)``."""
        data, at = self.data, self.at
        if at + 2 > self.end or data[at] != tag:
            raise NotCanonical
        first = data[at + 1]
        if first < 0x80:
            start, length = at + 2, first
        elif first == 0x81 and at + 3 <= self.end and data[at + 2] >= 0x80:
            start, length = at + 3, data[at + 2]
        elif first == 0x82 and at + 4 <= self.end and data[at + 2] != 0:
            start, length = at + 4, int.from_bytes(data[at + 2 : at + 4], "big")
        else:
            raise NotCanonical
        if start + length > self.end:
            raise NotCanonical
        self.at = start + length
        return start, start + length

    def whole(self, tag: int) -> bytes:
        """The next element's octets, header included (a certificate, kept undecoded)."""
        begin = self.at
        self.element(tag)
        return self.data[begin : self.at]

    def inside(self, tag: int) -> Reader:
        """A reader of the next element's contents."""
        return Reader(self.data, *self.element(tag))

    def integer(self, tag: int = INTEGER) -> int:
        start, end = self.element(tag)
        value = self.data[start:end]
        if not value or (
            len(value) > 1
            and ((value[0] == 0 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80))
        ):
            raise NotCanonical
        return int.from_bytes(value, "big", signed=True)

    def octets(self, tag: int) -> bytes:
        start, end = self.element(tag)
        return self.data[start:end]

    def key_usage(self) -> KeyUsage:
        usage = _KEY_USAGES.get(self.whole(BIT_STRING))
        if usage is None:
            raise NotCanonical
        return usage

    def optional(self, tag: int, read: Callable[[Reader, int], _T]) -> _T | None:
        """``read(self, tag)`` when the next element carries ``tag``, else None."""
        return read(self, tag) if self.next_tag() == tag else None

    def items(self, read: Callable[[Reader], _T]) -> tuple[_T, ...]:
        """Every remaining element, each read by ``read``."""
        out = []
        while self.at < self.end:
            out.append(read(self))
        return tuple(out)

    def done(self) -> None:
        if self.at != self.end:
            raise NotCanonical


def cell(reader: Reader) -> TrustAnchorCell:
    """A TrustAnchorCellIdentifier's contents."""
    role = known(RemotePartyRole, reader.integer())
    usage = reader.key_usage()
    cell_usage = reader.optional(INTEGER, Reader.integer)
    reader.done()
    return TrustAnchorCell(
        role, usage, CellUsage.MANAGEMENT if cell_usage is None else known(CellUsage, cell_usage)
    )


def specialists(reader: Reader, tag: int) -> tuple[SpecialistSeqNumber, ...]:
    return reader.inside(tag).items(_specialist)


def _specialist(reader: Reader) -> SpecialistSeqNumber:
    inner = reader.inside(SEQUENCE)
    usage, seq_number = known(SeqNumberUsage, inner.integer()), inner.integer()
    inner.done()
    return SpecialistSeqNumber(usage, seq_number)


def changes(reader: Reader, tag: int) -> tuple[SeqNumberChange, ...]:
    return reader.inside(tag).items(_change)


def _change(reader: Reader) -> SeqNumberChange:
    inner = reader.inside(SEQUENCE)
    role, floor = known(RemotePartyRole, inner.integer()), inner.integer()
    numbers = inner.optional(SEQUENCE, specialists)
    inner.done()
    return SeqNumberChange(role, floor, numbers)
