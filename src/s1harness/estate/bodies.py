"""Request bodies for the SRVs the scenarios send, filled from the estate's certificates.

The replacement certificates and the certification path (the test PKI's issuing CA) come from
the built estate, so a body placing a party's credentials is one call:
``bodies.update_credentials(owner)`` for SRV 6.15.1, ``bodies.handover(owner)`` for 6.21.
"""

from __future__ import annotations

from s1harness.duis.messages import (
    DuisRemotePartyRole,
    ReplacementCertificates,
    RequestHandoverOfDCCControlledDevice,
    UpdateSecurityCredentialsKRP,
)
from s1harness.estate.build import System
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

ROLES = ("NetworkOperator", "Supplier")


class Bodies:
    """Body builders bound to one built estate."""

    def __init__(self, system: System) -> None:
        self._system = system

    def _replacement(self, owner: Eui64 | str) -> ReplacementCertificates:
        keys = self._system.parties.get(Eui64(owner))
        if keys is None:
            raise InputError(f"{owner} is not a party of the estate")
        return ReplacementCertificates(
            digital_signing=keys.credentials.ds.certificate.der,
            key_agreement=keys.credentials.ka.certificate.der,
        )

    def _path(self) -> tuple[bytes, ...]:
        return tuple(c.der for c in self._system.keys.path_certificates())

    def update_credentials(
        self,
        owner: Eui64 | str,
        *,
        role: str = "NetworkOperator",
        floor: int | None = None,
        time_checks: bool = True,
    ) -> UpdateSecurityCredentialsKRP:
        """SRV 6.15.1 placing ``owner``'s DS and KA certificates in the ``role`` cells/slots."""
        _check_role(role)
        return UpdateSecurityCredentialsKRP(
            remote_party_role=DuisRemotePartyRole(role),
            replacement_certificates=self._replacement(owner),
            certification_path_certificates=self._path(),
            apply_time_based_cpv_checks=time_checks,
            remote_party_floor_seq_number=floor,
        )

    def handover(
        self, owner: Eui64 | str, *, role: str = "NetworkOperator", time_checks: bool = True
    ) -> RequestHandoverOfDCCControlledDevice:
        """SRV 6.21 (a supplier asking the DCC to place ``owner``'s certificates)."""
        _check_role(role)
        return RequestHandoverOfDCCControlledDevice(
            remote_party_role=DuisRemotePartyRole(role),
            replacement_certificates=self._replacement(owner),
            certification_path_certificates=self._path(),
            apply_time_based_cpv_checks=time_checks,
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"remote party role {role!r} is not one of {', '.join(ROLES)}")


__all__ = ["Bodies"]
