"""A SMETS1 estate for scenario tests: the DSP estate plus three S1SPs and SMETS1 devices,
wired by the synchronous router."""

from __future__ import annotations

from dataclasses import dataclass, field

from s1harness.duis import xml
from s1harness.duis.messages import (
    DuisRemotePartyRole,
    ReplacementCertificates,
    RequestHandoverOfDCCControlledDevice,
    Response,
    parse_message,
)
from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    RegistrationPeriod,
    Smets,
    SmiStatus,
)
from s1harness.roles.dsp.settings import DspSettings
from s1harness.roles.s1sp.replies import S1spSigner
from s1harness.roles.s1sp.service import S1sp
from s1harness.roles.s1sp.store import SlotKind, SlotRole, SlotStore
from s1harness.roles.smets1.codes import Cohort as FrameCohort
from s1harness.roles.smets1.commissioning import Smets1Commissioning
from s1harness.roles.smets1.device import Smets1Device
from s1harness.services.router import Router
from s1harness.smki import IssuedCertificate, Keystore, KeystoreEntry
from s1harness.spec import Eui64, KeyUsage, RemotePartyRole
from s1harness.spec.bus import (
    Envelope,
    Kind,
    device_inbox,
    dsp_from_s1sp,
    dsp_requests,
    s1sp_from_devices,
    s1sp_requests,
    user_inbox,
)
from s1harness.spec.mpxn import make_mpan
from s1harness.spec.users import UserRole

from .dsp_estate import NO, NOW, SUPPLIER, Estate, build

COHORTS = ("IOC", "MOC", "FOC")
S1SP_EUIS = {"IOC": "90B3D51F30050001", "MOC": "90B3D51F30050002", "FOC": "90B3D51F30050003"}
ESMES = {"IOC": "00DB1234567891A0", "MOC": "00DB1234567893A0", "FOC": "00DB1234567894A0"}


@dataclass
class S1Estate:
    base: Estate
    router: Router
    s1sps: dict[str, S1sp]
    devices: dict[str, Smets1Device]
    inbox: dict[str, list[Response]] = field(default_factory=dict)

    def send(self, sender: str, device: str, srv: str, body: object) -> list[Envelope]:
        envelope = self.base.users[sender].request(device, srv, body)  # type: ignore[arg-type]
        return self.router.run(envelope)

    def responses(self, user: str) -> list[Response]:
        return self.inbox.get(user, [])


def build_s1(
    *, dsp_mp107: bool, s1sp_mp107: dict[str, bool] | None = None, seed: str = "s1 estate"
) -> S1Estate:
    base = build(DspSettings(mp107=dsp_mp107), seed=seed)
    pki, dsp = base.pki, base.dsp
    for cohort in ("MOC", "FOC"):
        mpan = make_mpan(10, 10 + COHORTS.index(cohort))
        base.registry.add_devices(
            [
                Device(
                    Eui64(ESMES[cohort]),
                    DeviceType.ESME,
                    Smets.SMETS1,
                    Cohort(cohort),
                    SmiStatus.COMMISSIONED,
                    mpan=mpan,
                )
            ]
        )
        base.registry.add_periods(
            [
                RegistrationPeriod(
                    mpan, Fuel.ELECTRICITY, Eui64(SUPPLIER), Eui64(NO), NOW.replace(year=2020), None
                )
            ]
        )
    for eui in ESMES.values():
        dsp.credentials.keystore.add(_entry(pki.issue_device(eui, KeyUsage.KEY_AGREEMENT)))
    commissioning = Smets1Commissioning(seed.encode().ljust(16, b"."))
    router = Router()
    estate = S1Estate(base, router, {}, {})
    dsp_xml = dsp.credentials.xml_certificate
    for cohort in COHORTS:
        signer = pki.issue_organisation(
            S1SP_EUIS[cohort], RemotePartyRole.OTHER, KeyUsage.DIGITAL_SIGNATURE
        )
        dsp.credentials.keystore.add(_entry(signer))
        s1sp = S1sp(
            cohort,
            store=SlotStore.open(":memory:"),
            registry=base.registry,
            keystore=Keystore([KeystoreEntry(dsp_xml)]),
            signer=S1spSigner(signer.private_key, signer.certificate),
            device_key=commissioning.device_key,
            mp107=(s1sp_mp107 or {}).get(cohort, dsp_mp107),
            clock=lambda: NOW,
        )
        supplier = base.credentials[SUPPLIER]
        s1sp.store.replace(
            ESMES[cohort],
            SlotRole.SUPPLIER,
            {
                SlotKind.CRITICAL: supplier.ds.certificate,
                SlotKind.NON_CRITICAL: supplier.ka.certificate,
            },
            floor=0,
        )
        estate.s1sps[cohort] = s1sp
        device = commissioning.esme(ESMES[cohort], FrameCohort[cohort], lambda: NOW)
        estate.devices[ESMES[cohort]] = device
        router.route(s1sp_requests(cohort), s1sp.handle)
        router.route(s1sp_from_devices(cohort), s1sp.handle)
        router.route(device_inbox(ESMES[cohort]), _device_handler(device, cohort, ESMES[cohort]))
    router.route(dsp_requests(), dsp.handle)
    router.route(dsp_from_s1sp(), dsp.handle)
    router.route(user_inbox("+"), lambda env: _to_user(estate, env))
    return estate


def _entry(issued: IssuedCertificate) -> KeystoreEntry:
    return KeystoreEntry(issued.certificate, issued.private_key)


def _device_handler(device: Smets1Device, cohort: str, device_id: str):  # type: ignore[no-untyped-def]
    def handle(envelope: Envelope) -> list[Envelope]:
        return [
            Envelope(
                s1sp_from_devices(cohort),
                Kind.SMETS1_DEVICE_FRAME,
                frame,
                envelope.correlation_id,
                (("device", device_id),),
            )
            for frame in device.receive(envelope.payload)
        ]

    return handle


def _to_user(estate: S1Estate, envelope: Envelope) -> list[Envelope]:
    user = envelope.topic.split("/")[-2]
    message = parse_message(xml.parse(envelope.payload))
    assert isinstance(message, Response)
    estate.inbox.setdefault(user, []).append(message)
    return estate.base.users[user].receive(envelope) if user in estate.base.users else []


def handover_body(estate: S1Estate, owner: str) -> RequestHandoverOfDCCControlledDevice:
    """A supplier's 6.21 placing ``owner``'s NO certificates."""
    party = estate.base.credentials[owner]
    return RequestHandoverOfDCCControlledDevice(
        remote_party_role=DuisRemotePartyRole("NetworkOperator"),
        replacement_certificates=ReplacementCertificates(
            digital_signing=party.ds.certificate.der, key_agreement=party.ka.certificate.der
        ),
        certification_path_certificates=(estate.base.pki.org_ca.certificate.der,),
        apply_time_based_cpv_checks=True,
    )


__all__ = ["COHORTS", "ESMES", "S1Estate", "UserRole", "build_s1", "handover_body"]
