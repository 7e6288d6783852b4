"""The records of the registry: parties, registration periods and Smart Metering Inventory
devices (SRPD 6.1(f); DUIS 5.4 ``DeviceStatus`` / ``DeviceType``).

Each record validates itself on construction and normalises its identifiers (EUI-64, MPAN,
MPRN) and datetimes (timezone-aware, converted to UTC), so a record that exists is valid.
Every invalid field raises :class:`~s1harness.spec.InputError` with a one-line message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from s1harness.spec import devices
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.mpxn import DISTRIBUTORS, Mpan, Mprn
from s1harness.spec.users import ROLES_BY_FUEL, UserRole

DeviceType = devices.DeviceType
"""The inventory's device type (defined in :mod:`s1harness.spec.devices`, which the role
mapping of :mod:`s1harness.spec.users` also reads)."""
Smets = devices.Smets
"""The device generation (defined in :mod:`s1harness.spec.devices`)."""


Fuel = devices.Fuel
"""The fuel of a meter point (defined in :mod:`s1harness.spec.devices`)."""


class Cohort(enum.StrEnum):
    """SMETS1 migration cohort, one S1SP each: Initial, Middle, Final Operating Capability."""

    IOC = "IOC"
    MOC = "MOC"
    FOC = "FOC"


class SmiStatus(enum.StrEnum):
    """Smart Metering Inventory status, with the DUIS 5.4 ``DeviceStatus`` values."""

    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    WITHDRAWN = "Withdrawn"
    SUSPENDED = "Suspended"
    RECOVERY = "Recovery"
    RECOVERED = "Recovered"


def utc(value: datetime, what: str) -> datetime:
    """``value`` converted to UTC.

    Raises:
        InputError: if it is not a timezone-aware datetime.
    """
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InputError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _set(record: object, name: str, value: object) -> None:
    object.__setattr__(record, name, value)  # normalising a frozen dataclass in __post_init__


_E = TypeVar("_E", bound=enum.StrEnum)


def member(kind: type[_E], value: object, where: str) -> _E:
    """``value`` as a member of ``kind``.

    Raises:
        InputError: naming ``where`` and the allowed values, if it is not one.
    """
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    allowed = ", ".join(item.value for item in kind)
    raise InputError(f"{where}: {value!r} is not one of {allowed}")


@dataclass(frozen=True, slots=True)
class Party:
    """A DCC User: a SEC party with a User ID and the roles it holds.

    Attributes:
        user_id: The DCC User ID (EUI-64).
        name: A display name.
        roles: The DUIS user roles it holds (at least one).
        distributor_id: For an Electricity Distributor, its distributor ID (10–38).
        gas_transporter: For a Gas Transporter, the network it operates (free text).
    """

    user_id: Eui64
    name: str
    roles: frozenset[UserRole]
    distributor_id: int | None = None
    gas_transporter: str | None = None

    def __post_init__(self) -> None:
        _set(self, "user_id", Eui64(self.user_id))
        where = f"party {self.user_id} role"
        _set(self, "roles", frozenset(member(UserRole, role, where) for role in self.roles))
        if not self.name.strip() or not self.roles:
            raise InputError(f"party {self.user_id}: needs a name and at least one role")
        self._check_network_fields()

    def _check_network_fields(self) -> None:
        if self.distributor_id is not None:
            if UserRole.ED not in self.roles:
                raise InputError(f"party {self.user_id}: distributor_id needs the ED role")
            if self.distributor_id not in DISTRIBUTORS:
                raise InputError(
                    f"party {self.user_id}: unknown distributor ID {self.distributor_id}"
                )
        if self.gas_transporter is not None and UserRole.GT not in self.roles:
            raise InputError(f"party {self.user_id}: gas_transporter needs the GT role")


@dataclass(frozen=True, slots=True)
class RegistrationPeriod:
    """Who is registered for one MPAN or MPRN over ``[effective_from, effective_to)``.

    An MPAN carries its import supplier (IS) and Electricity Distributor (ED); an MPRN its gas
    supplier (GS) and Gas Transporter (GT). ``effective_to`` is exclusive, so a change of
    supplier on instant *t* ends the old period at *t* and starts the new one at *t*; ``None``
    means open-ended.
    """

    mpxn: str
    fuel: Fuel
    supplier: Eui64
    network_operator: Eui64
    effective_from: datetime
    effective_to: datetime | None = None

    def __post_init__(self) -> None:
        _set(self, "fuel", member(Fuel, self.fuel, f"registration of {self.mpxn!r} fuel"))
        _set(self, "mpxn", Mpan(self.mpxn) if self.fuel is Fuel.ELECTRICITY else Mprn(self.mpxn))
        _set(self, "supplier", Eui64(self.supplier))
        _set(self, "network_operator", Eui64(self.network_operator))
        _set(self, "effective_from", utc(self.effective_from, "effective_from"))
        if self.effective_to is not None:
            _set(self, "effective_to", utc(self.effective_to, "effective_to"))
            if self.effective_to <= self.effective_from:
                raise InputError(
                    f"registration of {self.mpxn}: effective_to must be after effective_from"
                )

    @property
    def supplier_role(self) -> UserRole:
        """The role the supplier holds for this fuel: IS or GS."""
        return ROLES_BY_FUEL[self.fuel].supplier

    @property
    def network_role(self) -> UserRole:
        """The role the network operator holds for this fuel: ED or GT."""
        return ROLES_BY_FUEL[self.fuel].network_operator

    def contains(self, at: datetime) -> bool:
        """Whether the instant ``at`` lies in ``[effective_from, effective_to)``."""
        at = utc(at, "at")
        return self.effective_from <= at and (self.effective_to is None or at < self.effective_to)

    def overlaps(self, other: RegistrationPeriod) -> bool:
        """Whether the two half-open periods share an instant."""
        return _before(self.effective_from, other.effective_to) and _before(
            other.effective_from, self.effective_to
        )

    def holder(self, role: UserRole) -> Eui64 | None:
        """The user eligible in ``role`` under SRPD 6.1(f), or ``None`` if the role has none."""
        if role is self.supplier_role:
            return self.supplier
        if role is self.network_role:
            return self.network_operator
        return None


def _before(start: datetime, end: datetime | None) -> bool:
    return end is None or start < end


_LINKS = {DeviceType.ESME: "mpan", DeviceType.GSME: "mprn", DeviceType.GPF: "mprn"}


@dataclass(frozen=True, slots=True)
class Device:
    """A Smart Metering Inventory entry.

    An ESME is linked to its MPAN, a GSME to its MPRN, a GPF to the MPRN of its gas meter, a
    CHF to neither; an unlinked meter (``None``) is allowed, e.g. before installation. A SMETS1
    device has a cohort (its S1SP); a SMETS2 device has none.
    """

    device_id: Eui64
    device_type: DeviceType
    generation: Smets
    cohort: Cohort | None
    status: SmiStatus
    mpan: Mpan | None = None
    mprn: Mprn | None = None

    def __post_init__(self) -> None:
        _set(self, "device_id", Eui64(self.device_id))
        where = f"device {self.device_id}"
        _set(self, "device_type", member(DeviceType, self.device_type, f"{where} device_type"))
        _set(self, "generation", member(Smets, self.generation, f"{where} generation"))
        _set(self, "status", member(SmiStatus, self.status, f"{where} status"))
        self._check_cohort()
        self._check_links()

    def _check_cohort(self) -> None:
        where = f"device {self.device_id}"
        if self.cohort is not None:
            _set(self, "cohort", member(Cohort, self.cohort, f"{where} cohort"))
        if self.generation is Smets.SMETS1 and self.cohort is None:
            raise InputError(f"{where}: a SMETS1 device needs a cohort (IOC, MOC or FOC)")
        if self.generation is Smets.SMETS2 and self.cohort is not None:
            raise InputError(f"{where}: a SMETS2 device has no cohort, got {self.cohort}")

    def _check_links(self) -> None:
        if self.mpan is not None:
            _set(self, "mpan", Mpan(self.mpan))
        if self.mprn is not None:
            _set(self, "mprn", Mprn(self.mprn))
        link = _LINKS.get(self.device_type)
        for name in ("mpan", "mprn"):
            if getattr(self, name) is not None and name != link:
                raise InputError(f"device {self.device_id}: a {self.device_type} has no {name}")

    @property
    def linked_mpxn(self) -> tuple[str, Fuel] | None:
        """The meter point SRPD 6.1(f) eligibility is judged on, with its fuel, if any."""
        if self.mpan is not None:
            return self.mpan, Fuel.ELECTRICITY
        if self.mprn is not None:
            return self.mprn, Fuel.GAS
        return None
