"""Commissioned trust anchor cells from the project's test PKI (GBCS §4.3.2 cells).

The root cell holds the test PKI's organisation root key (as a real device holds the SMKI
root's key and SKI, not a certificate), so replacement certificates validate through the
issuing CA (``pki.org_ca``) that commands carry as certificationPathCertificates.

Parties not given are issued from the same PKI under the DCC's RTDS identities (recovery
90B3D51F30000001, transitional CoS 90B3D51F30000004, load controller 90B3D51F30010008); the
PKI is deterministic, so a test re-issuing the same identity gets the same key. A supplier or
network operator of None leaves the DCC's **ACB certificates** in those cells as placeholders,
the state a GPF is in before the 6.21 handover (RTDS 6.21: existing IDs 90B3D51F30000002). The
supplier's prepayment top-up KA cell holds the supplier's KA certificate unless another is
given.
"""

from __future__ import annotations

from dataclasses import dataclass

from s1harness.gbcs.payloads import TrustAnchorCell
from s1harness.roles.smets2 import cells as c
from s1harness.roles.smets2.cells import DeviceType, TrustAnchorCells
from s1harness.smki import (
    IssuedCertificate,
    PartyCredentials,
    SmkiCertificate,
    TestPki,
    TrustAnchor,
)
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

DEFAULT_RECOVERY_ID = Eui64("90B3D51F30000001")
DEFAULT_TRANSITIONAL_COS_ID = Eui64("90B3D51F30000004")
DEFAULT_LOAD_CONTROLLER_ID = Eui64("90B3D51F30010008")


@dataclass(frozen=True, slots=True)
class Commissioning:
    """Who a device trusts at installation: every remote party's credentials.

    Attributes:
        acb: The DCC as Access Control Broker (KA cell; placeholder DS/KA elsewhere).
        supplier / network_operator: None leaves ACB placeholders in their cells.
        recovery / transitional_cos: DS certificates.
        load_controller: DS and KA (ESME only).
        supplier_top_up_ka: The prepayment top-up KA; by default the supplier's KA.
    """

    acb: PartyCredentials
    supplier: PartyCredentials | None
    network_operator: PartyCredentials | None
    recovery: IssuedCertificate
    transitional_cos: IssuedCertificate
    load_controller: PartyCredentials
    supplier_top_up_ka: IssuedCertificate | None = None

    @classmethod
    def from_pki(
        cls,
        pki: TestPki,
        *,
        acb: PartyCredentials,
        supplier: PartyCredentials | None,
        network_operator: PartyCredentials | None,
        recovery: IssuedCertificate | None = None,
        transitional_cos: IssuedCertificate | None = None,
        load_controller: PartyCredentials | None = None,
        supplier_top_up_ka: IssuedCertificate | None = None,
    ) -> Commissioning:
        """Fill the parties not given from ``pki`` under the default identities."""
        ds = KeyUsage.DIGITAL_SIGNATURE
        return cls(
            acb=acb,
            supplier=supplier,
            network_operator=network_operator,
            recovery=recovery
            or pki.issue_organisation(DEFAULT_RECOVERY_ID, RemotePartyRole.RECOVERY, ds),
            transitional_cos=transitional_cos
            or pki.issue_organisation(
                DEFAULT_TRANSITIONAL_COS_ID, RemotePartyRole.TRANSITIONAL_COS, ds
            ),
            load_controller=load_controller
            or pki.issue_party(DEFAULT_LOAD_CONTROLLER_ID, RemotePartyRole.LOAD_CONTROLLER),
            supplier_top_up_ka=supplier_top_up_ka,
        )

    def certificates(self) -> dict[TrustAnchorCell, SmkiCertificate]:
        """Every certificate cell any device type has, with its certificate."""
        supplier = self.supplier or self.acb
        operator = self.network_operator or self.acb
        top_up = self.supplier_top_up_ka or supplier.ka
        return {
            c.RECOVERY_DS: self.recovery.certificate,
            c.SUPPLIER_DS: supplier.ds.certificate,
            c.SUPPLIER_KA: supplier.ka.certificate,
            c.SUPPLIER_KA_TOP_UP: top_up.certificate,
            c.NETWORK_OPERATOR_DS: operator.ds.certificate,
            c.NETWORK_OPERATOR_KA: operator.ka.certificate,
            c.ACB_KA: self.acb.ka.certificate,
            c.TRANSITIONAL_COS_DS: self.transitional_cos.certificate,
            c.LOAD_CONTROLLER_DS: self.load_controller.ds.certificate,
            c.LOAD_CONTROLLER_KA: self.load_controller.ka.certificate,
        }

    def cells(self, pki: TestPki, device_type: DeviceType) -> TrustAnchorCells:
        """The cells of ``device_type`` (cells it lacks are left out), rooted at the PKI."""
        layout = set(c.LAYOUTS[device_type])
        present = {cell: cert for cell, cert in self.certificates().items() if cell in layout}
        return TrustAnchorCells.for_device(device_type, root=root_anchor(pki), certificates=present)


def root_anchor(pki: TestPki) -> TrustAnchor:
    """The root cell's content for ``pki``: the organisation root's key, SKI and name."""
    root = pki.org_root.certificate
    assert root.ski is not None  # the test PKI gives every CA an SKI
    return TrustAnchor(root.public_point, root.ski, root.subject)


def device_credentials(pki: TestPki, device_id: Eui64 | str) -> PartyCredentials:
    """The device's own DS and KA certificates, from the PKI's device CA."""
    return PartyCredentials(
        ds=pki.issue_device(device_id, KeyUsage.DIGITAL_SIGNATURE),
        ka=pki.issue_device(device_id, KeyUsage.KEY_AGREEMENT),
    )
