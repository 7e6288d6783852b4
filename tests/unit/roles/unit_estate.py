"""The estate of the role unit tests, built through :func:`s1harness.estate.build` like every
other estate, and a synchronous delivery of envelopes between its roles.

Parties: a supplier (IS, GS), the registered Network Operator (ED, distributor 10), a wrong
one (ED, distributor 12) and an Other User. Devices: a SMETS1 ESME per cohort and a SMETS2
ESME, every one registered to the supplier and the NO. The SMETS1 ESMEs hold the supplier's
certificates and, in the NO slots, nothing: a 6.21 handover places the first NO.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from s1harness.duis import xml
from s1harness.duis.messages import (
    DuisRemotePartyRole,
    ReplacementCertificates,
    RequestHandoverOfDCCControlledDevice,
    Response,
    UpdateSecurityCredentialsKRP,
    parse_message,
)
from s1harness.estate import build as build_system
from s1harness.estate.build import System
from s1harness.estate.model import PLACEHOLDER, DeviceSpec, DspSpec, Estate, S1spSpec
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
from s1harness.roles.s1sp.service import S1sp
from s1harness.roles.user import DccUser
from s1harness.smki import Keystore, KeystoreEntry
from s1harness.spec.bus import Envelope, Kind, matches
from s1harness.spec.identifiers import Eui64
from s1harness.spec.mpxn import make_mpan
from s1harness.spec.users import UserRole

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SUPPLIER, NO, WRONG_NO, OTHER = (
    Eui64("90B3D51F30010000"),
    Eui64("90B3D51F30020000"),
    Eui64("90B3D51F30020001"),
    Eui64("00DB123456780004"),
)
DCC = Eui64("90B3D51F30000002")
ESMES = {
    "IOC": Eui64("00DB1234567891A0"),
    "MOC": Eui64("00DB1234567893A0"),
    "FOC": Eui64("00DB1234567894A0"),
}
S1_ESME, S2_ESME = ESMES["IOC"], Eui64("00DB1234567892A0")


def estate(
    *, mp107: bool = False, s1sp_mp107: Mapping[str, bool] | None = None, seed: str = "unit"
) -> Estate:
    """The estate, with the DSP's MP107 switch and each S1SP's (the DSP's unless given)."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    devices, periods = [], []
    for n, (cohort, eui) in enumerate([*ESMES.items(), (None, S2_ESME)], start=1):
        mpan = make_mpan(10, n)
        periods.append(RegistrationPeriod(mpan, Fuel.ELECTRICITY, SUPPLIER, NO, start, None))
        generation = Smets.SMETS1 if cohort else Smets.SMETS2
        device = Device(
            eui,
            DeviceType.ESME,
            generation,
            Cohort(cohort) if cohort else None,
            SmiStatus.COMMISSIONED,
            mpan=mpan,
        )
        devices.append(DeviceSpec(device, network_operator=PLACEHOLDER if cohort else None))
    flags = s1sp_mp107 or {}
    return Estate(
        name="unit",
        seed=seed,
        start=NOW,
        dsp=DspSpec(mp107=mp107),
        s1sps=tuple(S1spSpec(c, mp107=flags.get(str(c), mp107)) for c in Cohort),
        parties=(
            Party(SUPPLIER, "Supplier", frozenset({UserRole.IS, UserRole.GS})),
            Party(NO, "Right NO", frozenset({UserRole.ED}), distributor_id=10),
            Party(WRONG_NO, "Wrong NO", frozenset({UserRole.ED}), distributor_id=12),
            Party(OTHER, "Other user", frozenset({UserRole.OU})),
        ),
        registrations=tuple(periods),
        devices=tuple(devices),
    )


def build(
    *, mp107: bool = False, s1sp_mp107: Mapping[str, bool] | None = None, seed: str = "unit"
) -> Wired:
    """The estate's roles, built and wired for synchronous delivery."""
    system = build_system(estate(mp107=mp107, s1sp_mp107=s1sp_mp107, seed=seed), clock=lambda: NOW)
    return Wired(system)


@dataclass
class Wired:
    """Every role of the estate, with envelopes delivered in publish order until none is left
    (each User's inbox delivers to the User, which answers an I0 pre-command with its CV 5)."""

    system: System
    log: list[Envelope] = field(default_factory=list)
    """Every envelope published, in order."""

    @property
    def dsp(self) -> Dsp:
        return self.system.dsp

    @property
    def users(self) -> dict[Eui64, DccUser]:
        return self.system.users

    @property
    def registry(self) -> Registry:
        return self.system.registry

    @property
    def s1sps(self) -> dict[Cohort, S1sp]:
        return self.system.s1sps

    @property
    def dsp_trust(self) -> Keystore:
        """A keystore with the DSP's XML-signing certificate: what checks its signatures."""
        return Keystore([KeystoreEntry(self.dsp.credentials.xml_certificate)])

    def deliver(self, *envelopes: Envelope, limit: int = 1_000) -> list[Envelope]:
        """Deliver ``envelopes`` and everything they cause; returns what was published."""
        routes = self.system.routes()
        queue, start = deque(envelopes), len(self.log)
        while queue:
            envelope = queue.popleft()
            self.log.append(envelope)
            assert len(self.log) - start <= limit, "delivery does not settle"
            for pattern, handler in routes:
                if matches(pattern, envelope.topic):
                    queue.extend(handler(envelope))
        return self.log[start:]

    def send(self, sender: Eui64, device: Eui64, srv: str, body: object) -> list[Envelope]:
        """A User's request, delivered with everything it causes."""
        request = self.system.users[sender].request(device, srv, body)  # type: ignore[arg-type]
        return self.deliver(request)

    def responses(self, user: Eui64) -> list[Response]:
        """Every DUIS message the DSP sent ``user``, in order."""
        out = []
        for envelope in self.log:
            if envelope.kind is Kind.DUIS_RESPONSE and envelope.topic.split("/")[-2] == user:
                message = parse_message(xml.parse(envelope.payload))
                assert isinstance(message, Response)
                out.append(message)
        return out


def no_body(
    wired: Wired, owner: Eui64, *, role: str = "NetworkOperator"
) -> UpdateSecurityCredentialsKRP:
    """A 6.15.1 body placing ``owner``'s certificates in the ``role`` slots."""
    certificates, path = _certificates(wired, owner)
    return UpdateSecurityCredentialsKRP(
        remote_party_role=DuisRemotePartyRole(role),
        replacement_certificates=certificates,
        certification_path_certificates=path,
        apply_time_based_cpv_checks=True,
    )


def handover_body(wired: Wired, owner: Eui64) -> RequestHandoverOfDCCControlledDevice:
    """A supplier's 6.21 placing ``owner``'s NO certificates."""
    certificates, path = _certificates(wired, owner)
    return RequestHandoverOfDCCControlledDevice(
        remote_party_role=DuisRemotePartyRole.NETWORK_OPERATOR,
        replacement_certificates=certificates,
        certification_path_certificates=path,
        apply_time_based_cpv_checks=True,
    )


def _certificates(wired: Wired, owner: Eui64) -> tuple[ReplacementCertificates, tuple[bytes, ...]]:
    party = wired.system.parties[owner].credentials
    certificates = ReplacementCertificates(
        digital_signing=party.ds.certificate.der, key_agreement=party.ka.certificate.der
    )
    return certificates, tuple(c.der for c in wired.system.keys.path_certificates())
