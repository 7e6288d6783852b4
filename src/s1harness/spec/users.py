"""DCC User roles (DUIS 5.4 ``UserRole``; docs/duis.md §1.3).

A DCC User sends every Service Request in one of these roles; the DUIS access matrix (which
role may send which SRV) and SRPD 6.1(f) (which role is eligible for which MPAN/MPRN) are both
keyed by it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from s1harness.spec.devices import DeviceType
from s1harness.spec.roles import RemotePartyRole


class UserRole(enum.StrEnum):
    """DUIS user roles, with the DUIS codes as values."""

    IS = "IS"
    """Import Supplier (electricity)."""
    ES = "ES"
    """Export Supplier (electricity)."""
    GS = "GS"
    """Gas Supplier."""
    ED = "ED"
    """Electricity Distributor (a Network Operator)."""
    GT = "GT"
    """Gas Transporter (a Network Operator)."""
    OU = "OU"
    """Other User."""
    RSA = "RSA"
    """Registered Supplier Agent."""

    @property
    def is_supplier(self) -> bool:
        """True for the supplier roles SRPD 6.1(f) checks against registration data (IS, GS)."""
        return self in {UserRole.IS, UserRole.GS}

    @property
    def is_network_operator(self) -> bool:
        """True for the Network Operator roles (ED, GT) — the senders SECMP0107 exempts
        (:data:`s1harness.spec.checks.SRPD_6_2_D`)."""
        return self in {UserRole.ED, UserRole.GT}

    @property
    def remote_party_role(self) -> RemotePartyRole:
        """The remote party role whose device credentials this user role acts through: the
        Network Operator's for ED and GT, the Supplier's for every other role."""
        if self.is_network_operator:
            return RemotePartyRole.NETWORK_OPERATOR
        return RemotePartyRole.SUPPLIER


ACTING_ROLES: Mapping[tuple[RemotePartyRole, DeviceType], UserRole] = MappingProxyType(
    {
        (RemotePartyRole.SUPPLIER, DeviceType.ESME): UserRole.IS,
        (RemotePartyRole.SUPPLIER, DeviceType.GSME): UserRole.GS,
        (RemotePartyRole.SUPPLIER, DeviceType.GPF): UserRole.GS,
        (RemotePartyRole.NETWORK_OPERATOR, DeviceType.ESME): UserRole.ED,
        (RemotePartyRole.NETWORK_OPERATOR, DeviceType.GSME): UserRole.GT,
        (RemotePartyRole.NETWORK_OPERATOR, DeviceType.GPF): UserRole.GT,
        (RemotePartyRole.LOAD_CONTROLLER, DeviceType.ESME): UserRole.IS,
    }
)
"""The one role-mapping table: the user role that places (and acts through) a remote party
role's credentials on a device type — the import supplier for an ESME's Supplier and Load
Controller credentials, the gas supplier for a GSME's or GPF's, the Electricity Distributor or
Gas Transporter for the Network Operator's. A pair not in the table has no such user role
(DUIS E061501)."""


def acting_role(remote: RemotePartyRole, device_type: DeviceType) -> UserRole | None:
    """The user role of :data:`ACTING_ROLES` for ``remote`` credentials on ``device_type``."""
    return ACTING_ROLES.get((remote, device_type))
