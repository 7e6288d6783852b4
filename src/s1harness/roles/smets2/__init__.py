"""SMETS2 device emulators (ESME, GSME, GPF) for the CS02 security-credential use cases.

Sans-IO: :class:`Smets2Device` takes GBCS frames (bytes) and returns the frames the device
emits; its clock is injected and every response and alert is signed with the device's own key
(GBCS CS02b/CS02g, as the RTDS 4.5.0 vectors show them).

* :mod:`.cells`: the trust anchor cells per device type (:class:`TrustAnchorCells`);
* :mod:`.floors`: per-role floor sequence numbers (:class:`FloorSeqNumbers`);
* :mod:`.rules`: who may replace which cell, by credentials replacement mode;
* :mod:`.checks`: MAC, signature, mode and anti-replay checks on a command;
* :mod:`.replacement`: per-cell execution with certification path validation;
* :mod:`.outbound`: responses, 8F66/8F67 alerts and their protection;
* :mod:`.commissioning`: cells and device credentials from the project's test PKI.
"""

from s1harness.roles.smets2.cells import (
    ACB_DS,
    ACB_KA,
    LAYOUTS,
    LOAD_CONTROLLER_DS,
    LOAD_CONTROLLER_KA,
    NETWORK_OPERATOR_DS,
    NETWORK_OPERATOR_KA,
    RECOVERY_DS,
    ROOT,
    SUPPLIER_DS,
    SUPPLIER_KA,
    SUPPLIER_KA_TOP_UP,
    TRANSITIONAL_COS_DS,
    WAN_PROVIDER_DS,
    CellContent,
    DeviceType,
    TrustAnchorCells,
)
from s1harness.roles.smets2.checks import AcceptedCommand, MacVerifier
from s1harness.roles.smets2.commissioning import (
    DEFAULT_LOAD_CONTROLLER_ID,
    DEFAULT_RECOVERY_ID,
    DEFAULT_TRANSITIONAL_COS_ID,
    Commissioning,
    device_credentials,
    root_anchor,
)
from s1harness.roles.smets2.device import (
    CANCELLATION,
    PendingCommand,
    Reception,
    Smets2Device,
)
from s1harness.roles.smets2.floors import FloorSeqNumbers
from s1harness.roles.smets2.outbound import DeviceKeys, protect, target_ka_certificate
from s1harness.roles.smets2.rejection import Rejection, RejectionReason
from s1harness.roles.smets2.replacement import Execution
from s1harness.roles.smets2.rules import CS02B_ALERT, CS02G_ALERT, RULES, ModeRule, rule_for

__all__ = [
    "ACB_DS",
    "ACB_KA",
    "CANCELLATION",
    "CS02B_ALERT",
    "CS02G_ALERT",
    "DEFAULT_LOAD_CONTROLLER_ID",
    "DEFAULT_RECOVERY_ID",
    "DEFAULT_TRANSITIONAL_COS_ID",
    "LAYOUTS",
    "LOAD_CONTROLLER_DS",
    "LOAD_CONTROLLER_KA",
    "NETWORK_OPERATOR_DS",
    "NETWORK_OPERATOR_KA",
    "RECOVERY_DS",
    "ROOT",
    "RULES",
    "SUPPLIER_DS",
    "SUPPLIER_KA",
    "SUPPLIER_KA_TOP_UP",
    "TRANSITIONAL_COS_DS",
    "WAN_PROVIDER_DS",
    "AcceptedCommand",
    "CellContent",
    "Commissioning",
    "DeviceKeys",
    "DeviceType",
    "Execution",
    "FloorSeqNumbers",
    "MacVerifier",
    "ModeRule",
    "PendingCommand",
    "Reception",
    "Rejection",
    "RejectionReason",
    "Smets2Device",
    "TrustAnchorCells",
    "device_credentials",
    "protect",
    "root_anchor",
    "rule_for",
    "target_ka_certificate",
]
