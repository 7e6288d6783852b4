"""Who may replace which trust anchor cell, and how the command must be protected.

One row per credentialsReplacementMode (GBCS §13.3.3.1, and the RTDS CS02b vectors):

* the **authoriser**: the role whose floor sequence number the command's counter must exceed,
  and to which ``[4]`` newRemotePartyFloorSeqNumber applies;
* the **authorising cell**: the cell whose certificate must have signed the command, which
  the ARPC ``[2]`` must name; None for ACB-by-ACB, which is authenticated by the MAC alone;
* the **targets**: the cells the mode may replace; a command naming any other is refused;
* whether the ACB's **MAC** is required: not for recovery (a bare signed ``DF``).

Modes 0 and 1 (root by supplier / WAN provider) and 9 (contingency) are not supported: RTDS has
no command for any of them, and the contingency key (protected by plaintextSymmetricKey) is
not described in public text. Mode 5 (WAN provider) names a CHF cell, which the emulated
device types lack, so such commands are refused for want of an authorising cell.

The 6.21 handover needs no row of its own: the DCC signs with the ACB key, and the GPF holds
ACB certificates as placeholders in its supplier and network operator cells, so the ordinary
supplier-by-supplier and NO-by-NO rows authenticate it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from s1harness.gbcs.payloads import ReplacementMode, TrustAnchorCell
from s1harness.roles.smets2.cells import (
    ACB_DS,
    ACB_KA,
    LOAD_CONTROLLER_CELLS,
    NETWORK_OPERATOR_CELLS,
    RECOVERY_DS,
    SUPPLIER_CELLS,
    SUPPLIER_DS,
    TRANSITIONAL_COS_DS,
    WAN_PROVIDER_DS,
)
from s1harness.spec.roles import RemotePartyRole

CS02B_ALERT = 0x00CB
"""Future-dated Update Security Credentials alert (CS02b)."""
CS02G_ALERT = 0x0124
"""Future-dated Update Security Credentials alert (CS02g, load controller modes)."""

_MODE = ReplacementMode
_ROLE = RemotePartyRole
_CS02G = frozenset({_MODE.LOAD_CONTROLLER_BY_LOAD_CONTROLLER, _MODE.LOAD_CONTROLLER_BY_SUPPLIER})
_ANY_BUT_ROOT = frozenset(
    (
        RECOVERY_DS,
        *SUPPLIER_CELLS,
        *NETWORK_OPERATOR_CELLS,
        ACB_DS,
        ACB_KA,
        TRANSITIONAL_COS_DS,
        WAN_PROVIDER_DS,
        *LOAD_CONTROLLER_CELLS,
    )
)


@dataclass(frozen=True, slots=True)
class ModeRule:
    """How one credentialsReplacementMode is authorised and what it may replace."""

    mode: ReplacementMode
    authoriser: RemotePartyRole
    authorising_cell: TrustAnchorCell | None
    targets: frozenset[TrustAnchorCell]
    mac_required: bool = True

    @property
    def signed(self) -> bool:
        """Whether the command must carry the authoriser's signature (all but ACB-by-ACB)."""
        return self.authorising_cell is not None

    @property
    def alert_message_code(self) -> int:
        """The message code of the future-dated execution alert for this mode."""
        return CS02G_ALERT if self.mode in _CS02G else CS02B_ALERT


def _rule(
    mode: ReplacementMode,
    authoriser: RemotePartyRole,
    cell: TrustAnchorCell | None,
    targets: frozenset[TrustAnchorCell] | tuple[TrustAnchorCell, ...],
    *,
    mac_required: bool = True,
) -> ModeRule:
    return ModeRule(mode, authoriser, cell, frozenset(targets), mac_required)


RULES: Mapping[ReplacementMode, ModeRule] = {
    rule.mode: rule
    for rule in (
        _rule(_MODE.SUPPLIER_BY_SUPPLIER, _ROLE.SUPPLIER, SUPPLIER_DS, SUPPLIER_CELLS),
        _rule(
            _MODE.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
            _ROLE.NETWORK_OPERATOR,
            NETWORK_OPERATOR_CELLS[0],
            NETWORK_OPERATOR_CELLS,
        ),
        _rule(
            _MODE.ACCESS_CONTROL_BROKER_BY_ACB, _ROLE.ACCESS_CONTROL_BROKER, None, (ACB_DS, ACB_KA)
        ),
        _rule(
            _MODE.WAN_PROVIDER_BY_WAN_PROVIDER,
            _ROLE.WAN_PROVIDER,
            WAN_PROVIDER_DS,
            (WAN_PROVIDER_DS,),
        ),
        _rule(
            _MODE.TRANS_COS_BY_TRANS_COS,
            _ROLE.TRANSITIONAL_COS,
            TRANSITIONAL_COS_DS,
            (TRANSITIONAL_COS_DS,),
        ),
        _rule(
            _MODE.SUPPLIER_BY_TRANS_COS, _ROLE.TRANSITIONAL_COS, TRANSITIONAL_COS_DS, SUPPLIER_CELLS
        ),
        _rule(
            _MODE.ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY,
            _ROLE.RECOVERY,
            RECOVERY_DS,
            _ANY_BUT_ROOT,
            mac_required=False,
        ),
        _rule(
            _MODE.LOAD_CONTROLLER_BY_LOAD_CONTROLLER,
            _ROLE.LOAD_CONTROLLER,
            LOAD_CONTROLLER_CELLS[0],
            LOAD_CONTROLLER_CELLS,
        ),
        _rule(
            _MODE.LOAD_CONTROLLER_BY_SUPPLIER, _ROLE.SUPPLIER, SUPPLIER_DS, LOAD_CONTROLLER_CELLS
        ),
    )
}
"""The supported modes; a mode missing here is refused as unsupported."""


def rule_for(mode: ReplacementMode | int) -> ModeRule | None:
    """The rule of ``mode``, or None when the emulator does not support it."""
    return RULES.get(mode) if isinstance(mode, ReplacementMode) else None
