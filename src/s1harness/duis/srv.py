"""Service Request Variants the harness knows: criticality, eligible user roles, command
variants (DUIS 5.4 CommandVariant and the DUIS request matrix).

Schema validation already refuses an SRV outside the DUIS 5.4 list; this table is what the
harness models. :func:`require` refuses an SRV it does not know, so an unsupported request gets
a clear error rather than generic handling.
"""

from __future__ import annotations

from dataclasses import dataclass

from s1harness.duis.errors import DuisParseError
from s1harness.spec.users import UserRole


@dataclass(frozen=True, slots=True)
class Srv:
    """One Service Request Variant."""

    variant: str
    name: str
    body: str
    critical: bool
    eligible: frozenset[UserRole]
    command_variants: frozenset[int]

    @property
    def service_reference(self) -> str:
        """The family: ``6.15`` for ``6.15.1``, ``6.21`` for ``6.21``."""
        parts = self.variant.split(".")
        return ".".join(parts[:2])


_SUPPLIERS = frozenset(r for r in UserRole if r.is_supplier)
_NETWORK = frozenset(r for r in UserRole if r.is_network_operator)
_CRITICAL = frozenset({4, 5, 6, 7})

SRVS: dict[str, Srv] = {
    srv.variant: srv
    for srv in (
        Srv(
            "6.15.1",
            "Update Security Credentials (KRP)",
            "UpdateSecurityCredentialsKRP",
            True,
            _SUPPLIERS | _NETWORK,
            _CRITICAL,
        ),
        Srv(
            "6.15.2",
            "Update Security Credentials (Device)",
            "UpdateSecurityCredentialsDevice",
            True,
            _SUPPLIERS,
            _CRITICAL,
        ),
        Srv(
            "6.17",
            "Issue Security Credentials",
            "IssueSecurityCredentials",
            True,
            _SUPPLIERS,
            _CRITICAL,
        ),
        Srv(
            "6.21",
            "Request Handover Of DCC Controlled Device",
            "RequestHandoverOfDCCControlledDevice",
            False,
            _SUPPLIERS,
            frozenset({1}),
        ),
        Srv(
            "6.23",
            "Update Security Credentials (CoS)",
            "UpdateSecurityCredentialsCoS",
            False,
            _SUPPLIERS,
            frozenset({1}),
        ),
        Srv(
            "6.24.1",
            "Retrieve Device Security Credentials (KRP)",
            "RetrieveDeviceSecurityCredentialsKRP",
            False,
            _SUPPLIERS | _NETWORK,
            frozenset({1, 2, 3}),
        ),
        Srv(
            "6.24.2",
            "Retrieve Device Security Credentials (Device)",
            "RetrieveDeviceSecurityCredentialsDevice",
            True,
            _SUPPLIERS,
            _CRITICAL,
        ),
        Srv("8.5", "Service Opt Out", "ServiceOptOut", False, frozenset(), frozenset({1})),
        Srv(
            "4.1.1",
            "Read Instantaneous Import Registers",
            "ReadInstantaneousImportRegisters",
            False,
            frozenset({UserRole.IS, UserRole.ED}),
            frozenset({1, 2, 3}),
        ),
        Srv("8.2", "Read Inventory", "ReadInventory", False, frozenset(UserRole), frozenset({8})),
        Srv("8.7.1", "Join Service (Critical)", "JoinServiceCritical", True, _SUPPLIERS, _CRITICAL),
    )
}


def lookup(variant: str) -> Srv | None:
    """The table entry for an SRV, if the harness models it."""
    return SRVS.get(variant.strip())


def require(variant: str) -> Srv:
    """The table entry for an SRV.

    Raises:
        DuisParseError: for an SRV the harness does not model.
    """
    srv = lookup(variant)
    if srv is None:
        raise DuisParseError(f"unknown or unsupported SRV {variant!r}")
    return srv
