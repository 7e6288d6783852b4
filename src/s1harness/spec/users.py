"""DCC User roles (DUIS 5.4 ``UserRole``).

A DCC User sends every Service Request in one of these roles; the DUIS access matrix (which
role may send which SRV) and SRPD 6.1(f) (which role is eligible for which MPAN/MPRN) are both
keyed by it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from s1harness.spec.devices import DeviceType, Fuel
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
        """True for the supplier roles SRPD 6.1(f) checks against registration data (IS, GS:
        the suppliers of :data:`ROLES_BY_FUEL`)."""
        return any(self is roles.supplier for roles in ROLES_BY_FUEL.values())

    @property
    def is_network_operator(self) -> bool:
        """True for the Network Operator roles (ED, GT: the network operators of
        :data:`ROLES_BY_FUEL`) — the senders SECMP0107 exempts
        (:data:`s1harness.spec.checks.SRPD_6_2_D`)."""
        return any(self is roles.network_operator for roles in ROLES_BY_FUEL.values())

    @property
    def remote_party_role(self) -> RemotePartyRole:
        """The remote party role whose device credentials this user role acts through: the
        Network Operator's for ED and GT, the Supplier's for every other role."""
        if self.is_network_operator:
            return RemotePartyRole.NETWORK_OPERATOR
        return RemotePartyRole.SUPPLIER


@dataclass(frozen=True, slots=True)
class FuelRoles:
    """The two user roles registration data names for a meter point of one fuel."""

    supplier: UserRole
    network_operator: UserRole


ROLES_BY_FUEL: Mapping[Fuel, FuelRoles] = MappingProxyType(
    {
        Fuel.ELECTRICITY: FuelRoles(UserRole.IS, UserRole.ED),
        Fuel.GAS: FuelRoles(UserRole.GS, UserRole.GT),
    }
)
"""The one role-mapping table: an MPAN's import supplier (IS) and Electricity Distributor
(ED), an MPRN's gas supplier (GS) and Gas Transporter (GT). Registration data, SRPD 6.1(f)
and the DUIS role / remote party role / device type rule (:func:`acting_role`) all read it."""


def acting_role(remote: RemotePartyRole, device_type: DeviceType) -> UserRole | None:
    """The user role that places (and acts through) ``remote``'s credentials on a device of
    ``device_type``: the fuel's supplier for the Supplier's credentials (and, on an ESME, a
    Load Controller's), the fuel's Network Operator for the Network Operator's. None for any
    other pair (DUIS E061501)."""
    fuel = device_type.fuel
    if fuel is None:
        return None
    roles = ROLES_BY_FUEL[fuel]
    if remote is RemotePartyRole.SUPPLIER:
        return roles.supplier
    if remote is RemotePartyRole.NETWORK_OPERATOR:
        return roles.network_operator
    if remote is RemotePartyRole.LOAD_CONTROLLER and device_type is DeviceType.ESME:
        return roles.supplier
    return None
