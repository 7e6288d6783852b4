"""The ``fia`` estate: the populations of the DCC Full Impact Assessment (CR4296) at scale.

The FIA counts the SMETS1 devices whose Network Operator slots hold another NO's certificates:
9,024 ESMEs and 18,905 GPFs at the IOC S1SP, 125 ESMEs and 1,226 GPFs at the MOC S1SP; the
FOC figure is unknown (:data:`FIA_WRONG_NO`). The ``fia`` estate places exactly those among
correctly-set devices — by default 100,000 SMETS1 devices over IOC, MOC and FOC
(:data:`COHORT_SHARE`, :data:`ESME_SHARE`).

Two kinds of device:

* **Emulated devices** — per cohort an ESME and a GPF holding the registered NO's
  certificates and an ESME and a GPF holding another NO's (:func:`fia`). They are the estate
  document's devices: ``s1harness up`` and the Harness build a SMETS1 emulator for each, so a
  6.15.1 to them runs end to end.
* **Population devices** — everything else (:func:`generate`). They are rows: a Smart
  Metering Inventory entry and a registration in ``registry.sqlite``, and four virtual anchor
  slots in their S1SP's database, holding the real DER of the parties' certificates (each
  party's certificates are issued once and reused; none is issued per device). The DSP and the
  S1SPs run every check on them, and when an instruction reaches one the device bank
  (:mod:`s1harness.roles.smets1.bank`) emulates it on demand, so it answers as the emulated
  devices do.

``smets2`` adds that many SMETS2 devices to the inventory (rows only: an ESME, a GSME and a
GPF per dual-fuel premise, each meter point registered to a Supplier and its NO). SMETS2
devices are not the FIA's subject; they make an estate as large as a real one, and each is
emulated from the first command that reaches it (:mod:`s1harness.roles.smets2.bank`),
commissioned for the parties registered for its meter point.

The emulated devices count in the FIA figures (each cohort's wrong-NO ESME and GPF are two of
them), so the whole estate holds exactly :data:`FIA_WRONG_NO`. The FOC S1SP holds only its
emulated wrong-NO devices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from s1harness.estate.build import System, build
from s1harness.estate.conventions import REGISTERED_SINCE, START, device_id
from s1harness.estate.document import dumps
from s1harness.estate.model import DeviceSpec, DspSpec, Estate, EstateError, S1spSpec
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
from s1harness.roles.s1sp.store import SlotKind, SlotRole, SlotRow, SlotStore, slot_row
from s1harness.spec.identifiers import Eui64
from s1harness.spec.mpxn import make_mpan, make_mprn
from s1harness.spec.users import UserRole

DEFAULT_DEVICES = 100_000

FIA_WRONG_NO: Mapping[Cohort, Mapping[DeviceType, int]] = {
    Cohort.IOC: {DeviceType.ESME: 9024, DeviceType.GPF: 18905},
    Cohort.MOC: {DeviceType.ESME: 125, DeviceType.GPF: 1226},
    Cohort.FOC: {DeviceType.ESME: 1, DeviceType.GPF: 1},
}
"""Wrong-NO devices per S1SP and device type: the FIA's figures for IOC and MOC; for FOC,
whose figure the FIA does not know, just the emulated wrong-NO ESME and GPF."""

COHORT_SHARE = {Cohort.IOC: 0.5, Cohort.MOC: 0.25, Cohort.FOC: 0.25}
"""How the SMETS1 devices spread over the S1SPs."""
ESME_SHARE = 0.55
"""The share of each cohort's devices that are ESMEs (the rest are GPFs)."""

DNOS = tuple(range(10, 24))
"""One Electricity Distributor per DNO licence area (distributor IDs 10–23)."""
GAS_NETWORKS = (
    "East of England", "London", "North West", "West Midlands",
    "North of England", "Scotland", "Southern", "Wales and West",
)  # fmt: skip
"""One Gas Transporter per gas distribution network."""
SUPPLIERS = 4

Progress = Callable[[int], None]
"""Called with how many more devices were written."""
WrongNo = Mapping[Cohort, Mapping[DeviceType, int]]
_KINDS = (DeviceType.ESME, DeviceType.GPF)
_EMULATED = 2  # per cohort and type: one holding the registered NO, one another NO's
_CHUNK = 20_000
_SMETS2_TYPES = (DeviceType.ESME, DeviceType.GSME, DeviceType.GPF)
_SMETS2_SERIALS = 6 * 10**7
"""Where the SMETS2 premises' meter point serials start (after the SMETS1 kinds')."""


def supplier(n: int) -> Eui64:
    return Eui64(f"90B3D51F3001{n:04d}")


def distributor(distributor_id: int) -> Eui64:
    """The Electricity Distributor of a DNO area."""
    return Eui64(f"90B3D51F3002{distributor_id:04d}")


def gas_transporter(n: int) -> Eui64:
    """The Gas Transporter of the ``n``-th network of :data:`GAS_NETWORKS`."""
    return Eui64(f"90B3D51F3003{n:04d}")


def parties() -> tuple[Party, ...]:
    """Suppliers, one ED per DNO area, one GT per gas network."""
    both = frozenset({UserRole.IS, UserRole.GS})
    out = [Party(supplier(n), f"Supplier {n + 1}", both) for n in range(SUPPLIERS)]
    out += [Party(distributor(d), f"Distributor {d}", frozenset({UserRole.ED}), distributor_id=d)
            for d in DNOS]  # fmt: skip
    out += [Party(gas_transporter(n), f"Gas Transporter {name}", frozenset({UserRole.GT}),
                  gas_transporter=name) for n, name in enumerate(GAS_NETWORKS)]  # fmt: skip
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MeterPoint:
    """The meter point of the ``serial``-th device and who is (and who wrongly is) its NO."""

    mpxn: str
    supplier: Eui64
    network_operator: Eui64
    wrong_network_operator: Eui64

    @classmethod
    def of(cls, device_type: DeviceType, serial: int) -> MeterPoint:
        chosen = supplier(serial % SUPPLIERS)
        if device_type is DeviceType.ESME:
            area = DNOS[serial % len(DNOS)]
            wrong = DNOS[(serial + 1) % len(DNOS)]
            return cls(make_mpan(area, serial), chosen, distributor(area), distributor(wrong))
        network = serial % len(GAS_NETWORKS)
        wrong_network = (network + 1) % len(GAS_NETWORKS)
        return cls(
            make_mprn(serial), chosen, gas_transporter(network), gas_transporter(wrong_network)
        )


@dataclass(frozen=True, slots=True)
class Kind:
    """One S1SP × device type of the population: how many devices, how many wrong-NO."""

    cohort: Cohort
    device_type: DeviceType
    devices: int
    wrong: int

    def serial(self, n: int) -> int:
        """A meter point serial unique across the estate for the ``n``-th device (from 1)."""
        return (list(Cohort).index(self.cohort) * 2 + _KINDS.index(self.device_type)) * 10**7 + n

    def is_wrong(self, n: int) -> bool:
        """Whether the ``n``-th device (from 1) holds a wrong NO: the emulated ``n == 2``, and
        among the rest the wrong ones spread evenly (exactly ``wrong - 1`` of them)."""
        if n <= _EMULATED:
            return n == 2
        rest, wrong, j = self.devices - _EMULATED, self.wrong - 1, n - _EMULATED - 1
        return (j + 1) * wrong // rest > j * wrong // rest


def population(devices: int = DEFAULT_DEVICES, wrong: WrongNo | float = FIA_WRONG_NO) -> list[Kind]:
    """The estate's kinds for ``devices`` SMETS1 devices in all, with ``wrong`` wrong-NO
    devices per kind (counts, or a share of each kind: ``1.0`` is all but the emulated
    correctly-set device).

    Raises:
        EstateError: when too few devices are asked for to hold the wrong-NO counts.
    """
    kinds = []
    cohorts = list(Cohort)
    left = devices
    for index, cohort in enumerate(cohorts):
        in_cohort = left if index == len(cohorts) - 1 else int(devices * COHORT_SHARE[cohort])
        left -= in_cohort
        esmes = int(in_cohort * ESME_SHARE)
        for device_type, count in ((DeviceType.ESME, esmes), (DeviceType.GPF, in_cohort - esmes)):
            placed = _placed(wrong, cohort, device_type, count)
            if not 1 <= placed <= count - 1:
                need = minimum_devices(wrong) if isinstance(wrong, dict) else None
                at_least = f" (at least {need:,} needed)" if need else ""
                raise EstateError(
                    f"{devices:,} devices cannot hold {placed:,} wrong-NO {cohort} "
                    f"{device_type}s{at_least}"
                )
            kinds.append(Kind(cohort, device_type, count, placed))
    return kinds


def _placed(wrong: WrongNo | float, cohort: Cohort, device_type: DeviceType, count: int) -> int:
    if isinstance(wrong, float):  # a share: every kind at least its emulated wrong-NO device
        return max(1, min(count - 1, round(count * wrong)))
    return wrong[cohort][device_type]


def minimum_devices(wrong: WrongNo) -> int:
    """The fewest SMETS1 devices an estate can have and still hold ``wrong`` wrong-NO devices
    of every kind (each kind's share of the estate must hold them and its emulated devices)."""
    need = max(
        _minimum(cohort, device_type, wrong[cohort][device_type])
        for cohort in Cohort
        for device_type in _KINDS
    )
    while not _holds(need, wrong):  # the shares round: step to the first that holds…
        need += 1
    while _holds(need - 1, wrong):  # …and back to the fewest
        need -= 1
    return need


def _holds(devices: int, wrong: WrongNo) -> bool:
    left, cohorts = devices, list(Cohort)
    for index, cohort in enumerate(cohorts):
        in_cohort = left if index == len(cohorts) - 1 else int(devices * COHORT_SHARE[cohort])
        left -= in_cohort
        esmes = int(in_cohort * ESME_SHARE)
        for device_type, count in ((DeviceType.ESME, esmes), (DeviceType.GPF, in_cohort - esmes)):
            if not 1 <= wrong[cohort][device_type] <= count - 1:
                return False
    return True


def _minimum(cohort: Cohort, device_type: DeviceType, wrong: int) -> int:
    share = COHORT_SHARE[cohort] * (
        ESME_SHARE if device_type is DeviceType.ESME else 1 - ESME_SHARE
    )
    return int((wrong + _EMULATED) / share) + 1


def fia() -> Estate:
    """The ``fia`` estate document: its parties and its emulated devices (module docstring);
    :func:`generate` adds the population."""
    registrations, specs = [], []
    for cohort in Cohort:
        for device_type in _KINDS:
            kind = Kind(cohort, device_type, _EMULATED, 1)
            for n in range(1, _EMULATED + 1):
                point = MeterPoint.of(device_type, kind.serial(n))
                fuel = Fuel.ELECTRICITY if device_type is DeviceType.ESME else Fuel.GAS
                registrations.append(RegistrationPeriod(
                    point.mpxn, fuel, point.supplier, point.network_operator, REGISTERED_SINCE
                ))  # fmt: skip
                link = {"mpan" if fuel is Fuel.ELECTRICITY else "mprn": point.mpxn}
                device = Device(
                    device_id(Smets.SMETS1, cohort, device_type, n), device_type, Smets.SMETS1,
                    cohort, SmiStatus.COMMISSIONED, **link,  # type: ignore[arg-type]
                )  # fmt: skip
                held = point.wrong_network_operator if kind.is_wrong(n) else None
                specs.append(DeviceSpec(device, network_operator=held))
    return Estate(
        name="fia",
        seed="s1harness fia estate",
        start=START,
        dsp=DspSpec(mp107=True),
        s1sps=tuple(S1spSpec(c, mp107=True) for c in Cohort),
        parties=parties(),
        registrations=tuple(registrations),
        devices=tuple(specs),
    )


def generate(
    out: Path,
    *,
    devices: int = DEFAULT_DEVICES,
    wrong: WrongNo | float = FIA_WRONG_NO,
    smets2: int = 0,
    progress: Progress | None = None,
) -> System:
    """Write the ``fia`` estate into ``out``: its document (``estate.yaml``), the registry and
    one database per S1SP, with the emulated devices (built by
    :func:`~s1harness.estate.build.build`) and the population rows (bulk inserts, one
    transaction per chunk). Returns the built (closed) system, whose parties' certificates the
    population reuses.

    Raises:
        EstateError: for too few devices, or databases already in ``out``.
    """
    kinds = population(devices, wrong)
    if (out / "registry.sqlite").exists():
        raise EstateError(f"{out}: already holds an estate's databases")
    estate = fia()
    out.mkdir(parents=True, exist_ok=True)
    (out / "estate.yaml").write_text(dumps(estate), encoding="utf-8")
    system = build(estate, clock=lambda: estate.start, data_dir=out)
    system.close()
    slots = _PartySlots(system)
    registry = Registry.open(out / "registry.sqlite")
    try:
        for kind in kinds:
            store = SlotStore.open(out / f"s1sp-{kind.cohort}.sqlite")
            try:
                _write_kind(kind, registry, store, slots, progress)
            finally:
                store.close()
        _write_smets2(smets2, registry, progress)
    finally:
        registry.close()
    return system


class _PartySlots:
    """Each party's certificates as slot-row tails (DER, serial, issuer, owner), made once."""

    def __init__(self, system: System) -> None:
        self._tails: dict[tuple[Eui64, SlotKind], tuple[bytes, str, str, str]] = {}
        for eui, keys in system.parties.items():
            for kind, issued in ((SlotKind.CRITICAL, keys.credentials.ds),
                                 (SlotKind.NON_CRITICAL, keys.credentials.ka)):  # fmt: skip
                row = slot_row("", SlotRole.SUPPLIER, kind, issued.certificate)
                self._tails[(eui, kind)] = row[3:]

    def rows(self, device: str, supplier: Eui64, operator: Eui64) -> Iterator[SlotRow]:
        for role, holder in ((SlotRole.SUPPLIER, supplier), (SlotRole.NETWORK_OPERATOR, operator)):
            for kind in SlotKind:
                yield (device, role.value, kind.value, *self._tails[(holder, kind)])


def _write_kind(
    kind: Kind, registry: Registry, store: SlotStore, slots: _PartySlots, progress: Progress | None
) -> None:
    since = REGISTERED_SINCE.isoformat(timespec="microseconds")
    fuel = Fuel.ELECTRICITY if kind.device_type is DeviceType.ESME else Fuel.GAS
    prefix = device_id(Smets.SMETS1, kind.cohort, kind.device_type, 0)[:7]
    for first in range(_EMULATED + 1, kind.devices + 1, _CHUNK):
        periods: list[tuple[object, ...]] = []
        entries: list[tuple[object, ...]] = []
        rows: list[SlotRow] = []
        for n in range(first, min(first + _CHUNK, kind.devices + 1)):
            point = MeterPoint.of(kind.device_type, kind.serial(n))
            device = f"{prefix}{n:09d}"
            periods.append((point.mpxn, fuel.value, point.supplier, point.network_operator,
                            since, None))  # fmt: skip
            mpan, mprn = (point.mpxn, None) if fuel is Fuel.ELECTRICITY else (None, point.mpxn)
            entries.append((device, kind.device_type.value, "SMETS1", kind.cohort.value,
                            SmiStatus.COMMISSIONED.value, mpan, mprn))  # fmt: skip
            held = point.wrong_network_operator if kind.is_wrong(n) else point.network_operator
            rows.extend(slots.rows(device, point.supplier, held))
        registry.import_rows(periods, entries)
        store.fill(rows)
        if progress is not None:
            progress(len(entries))


def _write_smets2(devices: int, registry: Registry, progress: Progress | None) -> None:
    """``devices`` SMETS2 inventory rows: ESME, GSME, GPF per premise, the gas pair sharing
    one MPRN, every meter point registered since :data:`REGISTERED_SINCE`."""
    since = REGISTERED_SINCE.isoformat(timespec="microseconds")
    for first in range(1, devices + 1, _CHUNK):
        periods: list[tuple[object, ...]] = []
        entries: list[tuple[object, ...]] = []
        for n in range(first, min(first + _CHUNK, devices + 1)):
            device_type = _SMETS2_TYPES[(n - 1) % len(_SMETS2_TYPES)]
            electric = device_type is DeviceType.ESME
            serial = _SMETS2_SERIALS + (n - 1) // len(_SMETS2_TYPES) + 1
            point = MeterPoint.of(DeviceType.ESME if electric else DeviceType.GPF, serial)
            fuel = Fuel.ELECTRICITY if electric else Fuel.GAS
            if device_type is not DeviceType.GPF:  # the GPF's MPRN is its GSME's
                periods.append((point.mpxn, fuel.value, point.supplier, point.network_operator,
                                since, None))  # fmt: skip
            mpan, mprn = (point.mpxn, None) if electric else (None, point.mpxn)
            entries.append((str(device_id(Smets.SMETS2, None, device_type, n)),
                            device_type.value, "SMETS2", None, SmiStatus.COMMISSIONED.value,
                            mpan, mprn))  # fmt: skip
        registry.import_rows(periods, entries)
        if progress is not None:
            progress(len(entries))


def emulated_count() -> int:
    """How many devices :func:`fia` emulates (the rest of ``devices`` is rows only)."""
    return len(Cohort) * len(_KINDS) * _EMULATED


__all__ = [
    "DEFAULT_DEVICES",
    "FIA_WRONG_NO",
    "Kind",
    "MeterPoint",
    "WrongNo",
    "emulated_count",
    "fia",
    "generate",
    "population",
]
