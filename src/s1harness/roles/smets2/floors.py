"""Per-role floor sequence numbers: the device's anti-replay thresholds (GBCS CS02b ARPC).

For each remote party role the device keeps one number. A command from that role is accepted
only if its originator counter is higher, and accepting it raises the number to that counter.
A CS02b command overwrites it: ``[4]`` newRemotePartyFloorSeqNumber for the authorising role
(with the ``[5]`` specialist floors), and ``[6]`` for other roles, so that a new party (with its
own counter space) can start above the floor it was given.

The stored value is both the "floor" and the "last accepted counter": GBCS keeps one threshold
per role, and the floor of a CS02b command simply resets it. Specialist floors (the supplier's
prepayment top-up counter, seqNumberUsage 0) are kept per role and usage but not checked here:
no command this package models uses them.

Values are immutable; every change returns a new :class:`FloorSeqNumbers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from s1harness.gbcs.payloads import (
    AuthorisingRemotePartyControl,
    SeqNumberChange,
    SeqNumberUsage,
)
from s1harness.spec.roles import RemotePartyRole


def _frozen(values: Mapping[int, int]) -> Mapping[int, int]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class FloorSeqNumbers:
    """Thresholds per role (``int(role)`` → value) and per (role, specialist usage).

    Roles never set have the floor 0, so a first command needs a counter of at least 1.
    """

    floors: Mapping[int, int] = field(default_factory=lambda: _frozen({}))
    specialist: Mapping[tuple[int, int], int] = field(default_factory=lambda: MappingProxyType({}))

    def floor(self, role: RemotePartyRole | int) -> int:
        """The current threshold for ``role``."""
        return self.floors.get(int(role), 0)

    def specialist_floor(
        self,
        role: RemotePartyRole | int,
        usage: SeqNumberUsage | int = SeqNumberUsage.PREPAYMENT_TOP_UP,
    ) -> int:
        """The specialist threshold of ``role`` for ``usage`` (prepayment top-up by default)."""
        return self.specialist.get((int(role), int(usage)), 0)

    def accepts(self, role: RemotePartyRole | int, counter: int) -> bool:
        """Whether a command from ``role`` with ``counter`` is fresh."""
        return counter > self.floor(role)

    def with_counter(self, role: RemotePartyRole | int, counter: int) -> FloorSeqNumbers:
        """After accepting a command: the role's threshold becomes its counter."""
        return FloorSeqNumbers(_frozen({**self.floors, int(role): counter}), self.specialist)

    def with_changes(self, changes: Iterable[SeqNumberChange]) -> FloorSeqNumbers:
        """After a CS02b execution: each change overwrites its role's floors."""
        floors, specialist = dict(self.floors), dict(self.specialist)
        for change in changes:
            floors[int(change.role)] = change.floor_seq_number
            for item in change.specialist_floor_seq_numbers or ():
                specialist[(int(change.role), int(item.usage))] = item.seq_number
        return FloorSeqNumbers(_frozen(floors), MappingProxyType(specialist))

    @classmethod
    def initial(cls, floors: Mapping[RemotePartyRole, int]) -> FloorSeqNumbers:
        """Thresholds from a role → value mapping (other roles start at 0)."""
        return cls(_frozen({int(role): value for role, value in floors.items()}))


def seq_number_changes(
    control: AuthorisingRemotePartyControl, authoriser: RemotePartyRole
) -> tuple[SeqNumberChange, ...]:
    """The floors a CS02b command sets, in the order its response lists them (GBCS §4.4).

    First the authorising role with ``[4]`` and the ``[5]`` specialist floors, when ``[4]`` is
    present; then every ``[6]`` entry. ``[5]`` without ``[4]`` is ignored (it cannot be
    expressed as a RemotePartySeqNumberChange, and no vector carries it).
    """
    changes: list[SeqNumberChange] = []
    if control.floor_seq_number is not None:
        specialists = control.specialist_floor_seq_numbers
        changes.append(SeqNumberChange(authoriser, control.floor_seq_number, specialists))
    changes.extend(control.other_seq_number_changes or ())
    return tuple(changes)
