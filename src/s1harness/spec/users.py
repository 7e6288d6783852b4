"""DCC User roles (DUIS 5.4 ``UserRole``; docs/duis.md §1.3).

A DCC User sends every Service Request in one of these roles; the DUIS access matrix (which
role may send which SRV) and SRPD 6.1(f) (which role is eligible for which MPAN/MPRN) are both
keyed by it.
"""

from __future__ import annotations

import enum


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
        """True for the Network Operator roles (ED, GT) — the ones SRPD 6.2(d) concerns."""
        return self in {UserRole.ED, UserRole.GT}
