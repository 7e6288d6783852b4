"""Conversions of the shared CS02 structures between nodes, dataclasses and asn1crypto values.

Readers take a :class:`~._node.Node` and return a dataclass of :mod:`.cells`; writers take the
dataclass and return the plain value (dict, list, int) that an asn1crypto model accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from s1harness.gbcs.payloads._node import KEY_USAGE_NAMES, Node, known
from s1harness.gbcs.payloads.cells import (
    CellUsage,
    SeqNumberChange,
    SeqNumberUsage,
    SpecialistSeqNumber,
    TrustAnchorCell,
)
from s1harness.spec.errors import InputError
from s1harness.spec.roles import KeyUsage, RemotePartyRole


def read_role(node: Node) -> RemotePartyRole | int:
    return known(RemotePartyRole, node.integer())


def read_cell_usage(node: Node | None) -> CellUsage | int:
    """cellUsage, DEFAULT management when absent."""
    return CellUsage.MANAGEMENT if node is None else known(CellUsage, node.integer())


def read_cell(node: Node) -> TrustAnchorCell:
    """TrustAnchorCellIdentifier (GBCS §4.1)."""
    fields = node.fields()
    return TrustAnchorCell(
        role=read_role(fields.need("trustAnchorCellRemotePartyRole")),
        key_usage=fields.need("trustAnchorCellKeyUsage").key_usage(),
        cell_usage=read_cell_usage(fields.get("trustAnchorCellUsage")),
    )


def read_specialist(node: Node) -> SpecialistSeqNumber:
    fields = node.fields()
    return SpecialistSeqNumber(
        usage=known(SeqNumberUsage, fields.need("seqNumberUsage").integer()),
        seq_number=fields.need("seqNumber").integer(),
    )


def read_specialists(node: Node | None) -> tuple[SpecialistSeqNumber, ...] | None:
    """An optional SEQUENCE OF SpecialistSeqNumber; None when absent."""
    return None if node is None else tuple(read_specialist(item) for item in node.items())


def read_change(node: Node) -> SeqNumberChange:
    """RemotePartySeqNumberChange (GBCS §4.1)."""
    fields = node.fields()
    return SeqNumberChange(
        role=read_role(fields.need("remotePartyRole")),
        floor_seq_number=fields.need("floorSeqNumber").integer(),
        specialist_floor_seq_numbers=read_specialists(fields.get("specialistFloorSeqNumbers")),
    )


def read_changes(node: Node | None) -> tuple[SeqNumberChange, ...] | None:
    """An optional SEQUENCE OF RemotePartySeqNumberChange; None when absent."""
    return None if node is None else tuple(read_change(item) for item in node.items())


def key_usage_value(usage: KeyUsage) -> set[str]:
    """The asn1crypto value of a one-bit keyUsage BIT STRING."""
    try:
        return {KEY_USAGE_NAMES[KeyUsage(usage)]}
    except (KeyError, ValueError):
        raise InputError(f"no keyUsage bit for {usage!r}") from None


def cell_value(cell: TrustAnchorCell) -> dict[str, Any]:
    """The model value of a cell; a management cellUsage is omitted as its DEFAULT."""
    return {
        "trustAnchorCellRemotePartyRole": int(cell.role),
        "trustAnchorCellKeyUsage": key_usage_value(cell.key_usage),
        "trustAnchorCellUsage": int(cell.cell_usage),
    }


def specialists_value(specialists: tuple[SpecialistSeqNumber, ...]) -> list[dict[str, int]]:
    return [{"seqNumberUsage": int(s.usage), "seqNumber": s.seq_number} for s in specialists]


def change_value(change: SeqNumberChange) -> dict[str, Any]:
    value: dict[str, Any] = {
        "remotePartyRole": int(change.role),
        "floorSeqNumber": change.floor_seq_number,
    }
    if change.specialist_floor_seq_numbers is not None:
        specialists = change.specialist_floor_seq_numbers
        value["specialistFloorSeqNumbers"] = specialists_value(specialists)
    return value


def changes_value(changes: tuple[SeqNumberChange, ...]) -> list[dict[str, Any]]:
    return [change_value(change) for change in changes]


def utc_time(moment: datetime, path: str) -> datetime:
    """A timezone-aware date-time in UTC, as GeneralizedTime ``…Z`` requires."""
    if moment.tzinfo is None:
        raise InputError(f"{path} must be timezone-aware")
    return moment.astimezone(UTC)
