"""A small estate for DSP tests: parties, registration data, inventory, keys (TestPki)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from s1harness.duis.messages import (
    DuisRemotePartyRole,
    ReplacementCertificates,
    UpdateSecurityCredentialsKRP,
)
from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Smets,
    SmiStatus,
)
from s1harness.registry.store import Registry
from s1harness.roles.dsp.service import Dsp
from s1harness.roles.dsp.settings import DspCredentials, DspSettings
from s1harness.roles.user import DccUser
from s1harness.smki import Keystore, PartyCredentials, TestPki
from s1harness.spec import Eui64, KeyUsage, RemotePartyRole
from s1harness.spec.mpxn import make_mpan
from s1harness.spec.users import UserRole

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SUPPLIER, NO, WRONG_NO, OTHER = (
    "90B3D51F30010000",
    "90B3D51F30020000",
    "90B3D51F30020001",
    "00DB123456780004",
)
DCC = "90B3D51F30000002"
S1_ESME, S2_ESME = "00DB1234567891A0", "00DB1234567892A0"
MPAN_S1, MPAN_S2 = make_mpan(10, 1), make_mpan(10, 2)


@dataclass
class Estate:
    pki: TestPki
    registry: Registry
    dsp: Dsp
    users: dict[str, DccUser]
    credentials: dict[str, PartyCredentials]


def build(settings: DspSettings | None = None, *, seed: str = "dsp tests") -> Estate:
    pki = TestPki(seed)
    registry = Registry.open(":memory:")
    registry.add_parties(
        [
            Party(Eui64(SUPPLIER), "Supplier", frozenset({UserRole.IS, UserRole.GS})),
            Party(Eui64(NO), "Right NO", frozenset({UserRole.ED}), distributor_id=10),
            Party(Eui64(WRONG_NO), "Wrong NO", frozenset({UserRole.ED}), distributor_id=12),
            Party(Eui64(OTHER), "Other user", frozenset({UserRole.OU})),
        ]
    )
    registry.add_devices(
        [
            Device(
                Eui64(S1_ESME),
                DeviceType.ESME,
                Smets.SMETS1,
                Cohort.IOC,
                SmiStatus.COMMISSIONED,
                mpan=MPAN_S1,
            ),
            Device(
                Eui64(S2_ESME),
                DeviceType.ESME,
                Smets.SMETS2,
                None,
                SmiStatus.COMMISSIONED,
                mpan=MPAN_S2,
            ),
        ]
    )
    start = datetime(2020, 1, 1, tzinfo=UTC)
    registry.add_periods(
        [
            RegistrationPeriod(MPAN_S1, _fuel(), Eui64(SUPPLIER), Eui64(NO), start, None),
            RegistrationPeriod(MPAN_S2, _fuel(), Eui64(SUPPLIER), Eui64(NO), start, None),
        ]
    )
    roles = {
        SUPPLIER: RemotePartyRole.SUPPLIER,
        NO: RemotePartyRole.NETWORK_OPERATOR,
        WRONG_NO: RemotePartyRole.NETWORK_OPERATOR,
        OTHER: RemotePartyRole.OTHER,
    }
    credentials = {eui: pki.issue_party(eui, role) for eui, role in roles.items()}
    xml_certs = {
        eui: pki.issue_organisation(eui, RemotePartyRole.XML_SIGN, KeyUsage.DIGITAL_SIGNATURE)
        for eui in roles
    }
    dsp_xml = pki.issue_organisation(DCC, RemotePartyRole.DSP_XML_SIGN, KeyUsage.DIGITAL_SIGNATURE)
    acb = pki.issue_party(DCC, RemotePartyRole.ACCESS_CONTROL_BROKER)
    devices = [pki.issue_device(d, KeyUsage.KEY_AGREEMENT) for d in (S1_ESME, S2_ESME)]
    keystore = Keystore.from_issued([*xml_certs.values(), dsp_xml, *devices])
    dsp = Dsp(
        registry=registry,
        credentials=DspCredentials(
            xml_key=dsp_xml.private_key, xml_certificate=dsp_xml.certificate,
            acb_ds_key=acb.ds.private_key, acb_ka_key=acb.ka.private_key,
            keystore=keystore, trust_anchors=(pki.org_root.certificate,),
        ),
        settings=settings,
        clock=lambda: NOW,
    )  # fmt: skip
    counters = count(1000)  # one source, like the millisecond clocks real Users count with
    users = {
        eui: DccUser(
            eui,
            xml_key=xml_certs[eui].private_key,
            xml_certificate=xml_certs[eui].certificate,
            ds_key=credentials[eui].ds.private_key,
            counters=counters,
        )
        for eui in roles
    }
    return Estate(pki, registry, dsp, users, credentials)


def _fuel() -> Fuel:
    return Fuel.ELECTRICITY


def no_body(
    estate: Estate, owner: str, *, role: str = "NetworkOperator"
) -> UpdateSecurityCredentialsKRP:
    """A 6.15.1 body placing ``owner``'s NO certificates."""
    party = estate.credentials[owner]
    return UpdateSecurityCredentialsKRP(
        remote_party_role=DuisRemotePartyRole(role),
        replacement_certificates=ReplacementCertificates(
            digital_signing=party.ds.certificate.der, key_agreement=party.ka.certificate.der
        ),
        certification_path_certificates=(estate.pki.org_ca.certificate.der,),
        apply_time_based_cpv_checks=True,
    )
