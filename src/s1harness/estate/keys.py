"""Where an estate's keys and certificates come from.

An estate names its key source (``keys:`` in the YAML; the table is
:data:`s1harness.estate.sources.KEY_SOURCES`): ``test-pki``, the default, issues everything
from the project's deterministic test PKI seeded by the estate's seed; ``zaz1``
(:mod:`s1harness.estate.zaz1`, the ``boxed`` preset's) serves the same questions from the DCC
Boxed test keystore. :func:`s1harness.estate.build.build` asks only these questions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from s1harness.roles.smets2.cells import DeviceType as CellLayout
from s1harness.roles.smets2.commissioning import device_credentials
from s1harness.roles.smets2.device import Smets2Device
from s1harness.smki import (
    IssuedCertificate,
    PartyCredentials,
    SmkiCertificate,
    TestPki,
    TrustAnchor,
)
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class PartyKeys:
    """A party's SMKI credentials: DS and KA for its remote party role, and XML signing."""

    user_id: Eui64
    role: RemotePartyRole
    credentials: PartyCredentials
    xml: IssuedCertificate


class KeySource(Protocol):
    """The keys and certificates one estate uses."""

    name: str

    def party(self, user_id: Eui64, role: RemotePartyRole) -> PartyKeys:
        """A DCC User's DS/KA credentials for ``role`` and its XML-signing credentials."""

    def dsp_xml(self, dcc_id: Eui64) -> IssuedCertificate:
        """The DSP's XML-signing credentials (role 137)."""

    def acb(self, dcc_id: Eui64) -> PartyCredentials:
        """The DCC's Access Control Broker DS and KA credentials."""

    def s1sp_signer(self, s1sp_id: Eui64) -> IssuedCertificate:
        """An S1SP's XML-signing credentials (SMETS1 responses, S1SP alerts)."""

    def trust_anchors(self) -> tuple[TrustAnchor | SmkiCertificate, ...]:
        """What replacement certificates must chain to at the DSP."""

    def path_certificates(self) -> tuple[SmkiCertificate, ...]:
        """The CertificationPathCertificates a request carries (the issuing CA)."""

    def smets2_device(
        self,
        device_id: Eui64,
        layout: CellLayout,
        *,
        supplier: PartyCredentials | None,
        network_operator: PartyCredentials | None,
        acb: PartyCredentials,
        clock: Clock,
    ) -> Smets2Device:
        """A commissioned SMETS2 device holding these parties in its cells."""

    def device_credentials(self, device_id: Eui64) -> PartyCredentials:
        """A SMETS2 device's own DS and KA (those :meth:`smets2_device` gives it)."""


class TestPkiKeys:
    """Everything issued by the project's test PKI from the estate's seed."""

    __test__ = False  # not a pytest test class, despite the name
    name = "test-pki"

    def __init__(self, seed: str) -> None:
        self.pki = TestPki(seed)

    def party(self, user_id: Eui64, role: RemotePartyRole) -> PartyKeys:
        xml = self.pki.issue_organisation(
            user_id, RemotePartyRole.XML_SIGN, KeyUsage.DIGITAL_SIGNATURE
        )
        return PartyKeys(user_id, role, self.pki.issue_party(user_id, role), xml)

    def dsp_xml(self, dcc_id: Eui64) -> IssuedCertificate:
        return self.pki.issue_organisation(
            dcc_id, RemotePartyRole.DSP_XML_SIGN, KeyUsage.DIGITAL_SIGNATURE
        )

    def acb(self, dcc_id: Eui64) -> PartyCredentials:
        return self.pki.issue_party(dcc_id, RemotePartyRole.ACCESS_CONTROL_BROKER)

    def s1sp_signer(self, s1sp_id: Eui64) -> IssuedCertificate:
        return self.pki.issue_organisation(
            s1sp_id, RemotePartyRole.OTHER, KeyUsage.DIGITAL_SIGNATURE
        )

    def trust_anchors(self) -> tuple[TrustAnchor | SmkiCertificate, ...]:
        return (self.pki.org_root.certificate,)

    def path_certificates(self) -> tuple[SmkiCertificate, ...]:
        return (self.pki.org_ca.certificate,)

    def device_credentials(self, device_id: Eui64) -> PartyCredentials:
        return device_credentials(self.pki, device_id)

    def smets2_device(
        self,
        device_id: Eui64,
        layout: CellLayout,
        *,
        supplier: PartyCredentials | None,
        network_operator: PartyCredentials | None,
        acb: PartyCredentials,
        clock: Clock,
    ) -> Smets2Device:
        return Smets2Device.commissioned(
            self.pki, device_id, layout,
            supplier=supplier, network_operator=network_operator, acb=acb, clock=clock,
        )  # fmt: skip


__all__ = ["KeySource", "PartyKeys", "TestPkiKeys"]
