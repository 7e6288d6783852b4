"""The estate: who the parties are, what is registered to whom, which devices exist and which
credentials each holds (docs/estates.md).

An :class:`Estate` is a plain, validated value. It reuses the registry's records (parties,
registration periods, inventory entries) so one set of rules checks identifiers and dates, and
adds what only an estate says: the switches of the DSP and each S1SP, the seed every key and
certificate derives from, the time the emulated clock starts at, and per device whose
certificates it holds — which is how a deliberate wrong-NO placement is written down.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from s1harness.estate.errors import EstateError
from s1harness.estate.sources import KEY_SOURCES
from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Smets,
    utc,
)
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.roles import RemotePartyRole
from s1harness.spec.users import ROLES_BY_FUEL, UserRole

SMETS1_TYPES = frozenset({DeviceType.ESME, DeviceType.GPF})
SMETS2_TYPES = frozenset({DeviceType.ESME, DeviceType.GSME, DeviceType.GPF})
DEFAULT_S1SP_IDS = {
    Cohort.IOC: Eui64("90B3D51F30050001"),
    Cohort.MOC: Eui64("90B3D51F30050002"),
    Cohort.FOC: Eui64("90B3D51F30050003"),
}


@dataclass(frozen=True, slots=True)
class DspSpec:
    """The DSP's switches: MP107's single switch, the optional SECMP0058 check."""

    mp107: bool = True
    mp058: bool = False


@dataclass(frozen=True, slots=True)
class S1spSpec:
    """One S1SP: its cohort, its own MP107 flag (partial rollout) and its signing identity."""

    cohort: Cohort
    mp107: bool = True
    signer_id: Eui64 | None = None

    @property
    def identity(self) -> Eui64:
        return self.signer_id or DEFAULT_S1SP_IDS[self.cohort]


class Held(enum.Enum):
    """What a device holds for a role when it holds no party's certificates."""

    PLACEHOLDER = "placeholder"
    """The DCC's (ACB) placeholder certificates of a SMETS2 device before the 6.21 handover;
    empty slots at the S1SP for a SMETS1 device."""


PLACEHOLDER = Held.PLACEHOLDER


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device and the credentials it holds.

    Attributes:
        device: Its Smart Metering Inventory entry.
        network_operator: Whose Network Operator certificates it holds; ``None`` means the NO
            registered for its meter point at the estate's start (or none, if unregistered).
            Naming another NO is a deliberate wrong-NO placement; :data:`PLACEHOLDER` means
            no party's (the state a 6.21 handover starts from).
        supplier: Whose Supplier certificates it holds; ``None`` means the registered supplier.
    """

    device: Device
    network_operator: Eui64 | Held | None = None
    supplier: Eui64 | Held | None = None

    @property
    def device_id(self) -> Eui64:
        return self.device.device_id


@dataclass(frozen=True)
class Estate:
    """A whole estate, checked for consistency on construction.

    Attributes:
        name: A short name (the preset's, or the file's).
        seed: Every key and certificate derives from it (the test PKI is deterministic).
        start: Where the emulated clock starts.
        dsp / s1sps: The switches (an S1SP not listed is not deployed).
        parties / registrations / devices: Who, what is registered to whom, what exists.
        dcc_id: The DCC's identity (DSP XML signing, ACB).
        receive_urls: Parties' DUIS Receive Response Service URLs (``s1harness up``'s HTTP
            endpoint POSTs their asynchronous messages there).
        keys: Where keys and certificates come from (:data:`~s1harness.estate.sources.KEY_SOURCES`).
    """

    name: str
    seed: str
    start: datetime
    dsp: DspSpec = field(default_factory=DspSpec)
    s1sps: tuple[S1spSpec, ...] = tuple(S1spSpec(c) for c in Cohort)
    parties: tuple[Party, ...] = ()
    registrations: tuple[RegistrationPeriod, ...] = ()
    devices: tuple[DeviceSpec, ...] = ()
    dcc_id: Eui64 = DCC_EUI
    keys: str = "test-pki"
    receive_urls: tuple[tuple[Eui64, str], ...] = ()
    _parties: dict[Eui64, Party] = field(init=False, repr=False, compare=False)
    _periods: dict[str, list[RegistrationPeriod]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start, "estate start"))
        if not self.name.strip() or not self.seed:
            raise EstateError("an estate needs a name and a seed")
        if self.keys not in KEY_SOURCES:
            known = ", ".join(sorted(KEY_SOURCES))
            raise EstateError(f"unknown key source {self.keys!r} (known: {known})")
        _unique("party", (p.user_id for p in self.parties))
        _unique("device", (d.device_id for d in self.devices))
        _unique("S1SP for cohort", (s.cohort for s in self.s1sps))
        object.__setattr__(self, "_parties", {p.user_id: p for p in self.parties})
        periods: dict[str, list[RegistrationPeriod]] = {}
        for period in self.registrations:
            periods.setdefault(period.mpxn, []).append(period)
        object.__setattr__(self, "_periods", periods)
        for party in self.parties:
            remote_party_role(party)
        for user_id, url in self.receive_urls:
            if self.party(user_id) is None:
                raise EstateError(f"receive URL for {user_id}: not a party of the estate")
            if not url.startswith(("http://", "https://")):
                raise EstateError(f"receive URL for {user_id}: {url!r} is not an http(s) URL")
        for period in self.registrations:
            self._check_period(period)
        for spec in self.devices:
            self._check_device(spec)

    # -- look-ups ----------------------------------------------------------------------------

    def party(self, user_id: Eui64 | str) -> Party | None:
        return self._parties.get(Eui64(user_id))

    def s1sp(self, cohort: Cohort | str) -> S1spSpec | None:
        return next((s for s in self.s1sps if s.cohort == cohort), None)

    def registration(self, mpxn: str, at: datetime | None = None) -> RegistrationPeriod | None:
        """The registration of a meter point in force at ``at`` (default: the start)."""
        when = at or self.start
        return next((p for p in self._periods.get(mpxn, ()) if p.contains(when)), None)

    def holder(self, spec: DeviceSpec, role: RemotePartyRole) -> Eui64 | None:
        """Whose certificates ``spec``'s device holds for the Supplier or Network Operator."""
        named = spec.supplier if role is RemotePartyRole.SUPPLIER else spec.network_operator
        if named is PLACEHOLDER:
            return None
        if isinstance(named, Eui64):
            return named
        link = spec.device.linked_mpxn
        period = self.registration(link[0]) if link else None
        if period is None:
            return None
        return period.supplier if role is RemotePartyRole.SUPPLIER else period.network_operator

    def counts(self) -> dict[str, int]:
        """How many of each thing, for summaries."""
        return {
            "parties": len(self.parties),
            "registrations": len(self.registrations),
            "devices": len(self.devices),
            "smets1": sum(d.device.generation is Smets.SMETS1 for d in self.devices),
            "smets2": sum(d.device.generation is Smets.SMETS2 for d in self.devices),
            "wrong_no": sum(self.wrong_network_operator(d) for d in self.devices),
        }

    def wrong_network_operator(self, spec: DeviceSpec) -> bool:
        """Whether the device holds a NO's certificates other than the registered NO's."""
        link = spec.device.linked_mpxn
        period = self.registration(link[0]) if link else None
        held = self.holder(spec, RemotePartyRole.NETWORK_OPERATOR)
        return period is not None and held is not None and held != period.network_operator

    # -- consistency ---------------------------------------------------------------------------

    def _check_period(self, period: RegistrationPeriod) -> None:
        where = f"registration of {period.mpxn}"
        for user_id, role in (
            (period.supplier, period.supplier_role),
            (period.network_operator, period.network_role),
        ):
            self._require_role(user_id, role, where)

    def _require_role(self, user_id: Eui64, role: UserRole, where: str) -> Party:
        party = self.party(user_id)
        if party is None:
            raise EstateError(f"{where}: {user_id} is not a party of the estate")
        if role not in party.roles:
            raise EstateError(f"{where}: party {user_id} does not hold the {role} role")
        return party

    def _check_device(self, spec: DeviceSpec) -> None:
        device = spec.device
        where = f"device {device.device_id}"
        allowed = SMETS1_TYPES if device.generation is Smets.SMETS1 else SMETS2_TYPES
        if device.device_type not in allowed:
            kinds = ", ".join(sorted(allowed))
            raise EstateError(f"{where}: a {device.generation} device is one of {kinds}")
        if device.cohort is not None and self.s1sp(device.cohort) is None:
            raise EstateError(f"{where}: no S1SP serves cohort {device.cohort}")
        link = device.linked_mpxn
        if link is not None and link[0] not in self._periods:
            raise EstateError(f"{where}: {link[0]} has no registration in the estate")
        fuel = link[1] if link else _fuel(device.device_type)
        network = ROLES_BY_FUEL[fuel].network_operator
        supplier = ROLES_BY_FUEL[fuel].supplier
        if spec.network_operator is not None and device.device_type is DeviceType.GSME:
            raise EstateError(f"{where}: a GSME holds no Network Operator certificates")
        if isinstance(spec.network_operator, Eui64):
            self._require_role(spec.network_operator, network, f"{where} network_operator")
        if isinstance(spec.supplier, Eui64):
            self._require_role(spec.supplier, supplier, f"{where} supplier")


def _fuel(device_type: DeviceType) -> Fuel:
    return device_type.fuel or Fuel.GAS  # only a comms hub has none, and no estate holds one


def _unique(what: str, values: Iterable[object]) -> None:
    repeated = [value for value, n in Counter(values).items() if n > 1]
    if repeated:
        raise EstateError(f"{what} {repeated[0]} appears more than once")


def remote_party_role(party: Party) -> RemotePartyRole:
    """The SMKI role of a party's DS/KA certificates: Supplier, Network Operator or Other.

    Raises:
        EstateError: for a party that would be both a supplier and a network operator.
    """
    supplier = any(r in {UserRole.IS, UserRole.ES, UserRole.GS} for r in party.roles)
    network = any(r.is_network_operator for r in party.roles)
    if supplier and network:
        raise EstateError(
            f"party {party.user_id}: one party cannot be both a supplier and a network operator "
            "(their certificates carry one remote party role)"
        )
    if supplier:
        return RemotePartyRole.SUPPLIER
    return RemotePartyRole.NETWORK_OPERATOR if network else RemotePartyRole.OTHER


__all__ = [
    "DEFAULT_S1SP_IDS",
    "PLACEHOLDER",
    "DeviceSpec",
    "DspSpec",
    "Estate",
    "EstateError",
    "Held",
    "S1spSpec",
    "remote_party_role",
]
