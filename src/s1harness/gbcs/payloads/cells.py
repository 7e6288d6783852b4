"""Values shared by the CS02 payloads: trust anchor cells, seq numbers and their codes.

Enumerations carry the values of GBCS §4.1 and §4.4. Decoding keeps a
value outside an enumeration as a plain ``int`` (a device answers an unknown code, it does not
crash on it), so fields typed ``Enum | int`` hold a member whenever the value is known.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from s1harness.spec.roles import KeyUsage, RemotePartyRole

_CS02B_BASE = 0x0100
_CS02G_CODES = {10: 0x0125, 11: 0x0126}


class ReplacementMode(enum.IntEnum):
    """CredentialsReplacementMode (GBCS §4.1).

    Modes 0..9 are CS02b with message code ``0x0100 + mode`` (0 and 1 are inferred, RTDS has no
    files for them); modes 10 and 11 are CS02g (0x0125, 0x0126).
    """

    ROOT_BY_SUPPLIER = 0
    ROOT_BY_WAN_PROVIDER = 1
    SUPPLIER_BY_SUPPLIER = 2
    NETWORK_OPERATOR_BY_NETWORK_OPERATOR = 3
    ACCESS_CONTROL_BROKER_BY_ACB = 4
    WAN_PROVIDER_BY_WAN_PROVIDER = 5
    TRANS_COS_BY_TRANS_COS = 6
    SUPPLIER_BY_TRANS_COS = 7
    ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY = 8
    ANY_BY_CONTINGENCY = 9
    LOAD_CONTROLLER_BY_LOAD_CONTROLLER = 10
    LOAD_CONTROLLER_BY_SUPPLIER = 11

    @property
    def message_code(self) -> int:
        """The GBCS message code of the use case that carries this mode."""
        return _CS02G_CODES.get(self.value, _CS02B_BASE + self.value)

    @classmethod
    def for_message_code(cls, message_code: int) -> ReplacementMode | None:
        """The mode a CS02b/CS02g message code implies, or None for any other code."""
        return next((mode for mode in cls if mode.message_code == message_code), None)


class CellUsage(enum.IntEnum):
    """trustAnchorCellUsage (GBCS §4.1); DEFAULT management, which DER omits."""

    MANAGEMENT = 0
    PREPAYMENT_TOP_UP = 1


class CpvChecks(enum.IntEnum):
    """applyTimeBasedCPVChecks (GBCS §4.1); an omitted field means APPLY."""

    APPLY = 0
    DISAPPLY = 1


class SeqNumberUsage(enum.IntEnum):
    """seqNumberUsage of a SpecialistSeqNumber (GBCS §4.1)."""

    PREPAYMENT_TOP_UP = 0


class StatusCode(enum.IntEnum):
    """statusCode of a replacement outcome or CS02a/f answer (GBCS §4.4).

    The names are gbcs-parser's; the numbers coincide with RFC 5934 (TAMP) StatusCode, whose
    other values decode as plain integers.
    """

    SUCCESS = 0
    BAD_CERTIFICATE = 5
    NO_TRUST_ANCHOR = 10
    INSUFFICIENT_MEMORY = 17
    TRUST_ANCHOR_NOT_FOUND = 25
    RESOURCES_BUSY = 30
    OTHER = 127


class AlertCode(enum.IntEnum):
    """The alert codes of the future-dated Update Security Credentials alert (GBCS §6.2)."""

    FUTURE_DATED_SUCCESS = 0x8F66
    FUTURE_DATED_FAILURE = 0x8F67


@dataclass(frozen=True, slots=True)
class TrustAnchorCell:
    """TrustAnchorCellIdentifier: which cell of a device's trust anchor store (GBCS §4.1).

    Attributes:
        role: The remote party role of the cell (``RemotePartyRole.ROOT`` for the root cell).
        key_usage: The key usage: digitalSignature, keyAgreement, or keyCertSign (root cell).
        cell_usage: Management, or prepayment top-up for the supplier's second KA cell.
    """

    role: RemotePartyRole | int
    key_usage: KeyUsage
    cell_usage: CellUsage | int = CellUsage.MANAGEMENT


@dataclass(frozen=True, slots=True)
class SpecialistSeqNumber:
    """SpecialistSeqNumber (GBCS §4.1): a seq number kept for a special purpose."""

    usage: SeqNumberUsage | int
    seq_number: int


@dataclass(frozen=True, slots=True)
class SeqNumberChange:
    """RemotePartySeqNumberChange (GBCS §4.1, §4.4): a new floor for a role's seq numbers.

    Attributes:
        role: The remote party whose floors change.
        floor_seq_number: The new floor seq number.
        specialist_floor_seq_numbers: The specialist floors; None when the field is absent.
    """

    role: RemotePartyRole | int
    floor_seq_number: int
    specialist_floor_seq_numbers: tuple[SpecialistSeqNumber, ...] | None = None
