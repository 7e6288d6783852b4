"""Named estates: ``small`` (every feature scenario has a device to run on), ``boxed``
(the DCC Boxed ZAZ1 identities, so the real DUIS request templates replay) and ``fia`` (the FIA's
wrong-NO populations: its parties and emulated devices here, its population of device rows
written by ``s1harness estate init --preset fia``; :mod:`s1harness.estate.fia`).

In ``small``, device IDs are systematic, so a reader can tell a device from its ID
(:func:`s1harness.estate.conventions.device_id`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from s1harness.estate.conventions import REGISTERED_SINCE, START, device_id
from s1harness.estate.document import load
from s1harness.estate.errors import EstateNotFoundError
from s1harness.estate.fia import fia
from s1harness.estate.model import PLACEHOLDER, DeviceSpec, DspSpec, Estate, EstateError, S1spSpec
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
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.mpxn import make_mpan, make_mprn
from s1harness.spec.users import UserRole

SUPPLIER = Eui64("90B3D51F30010000")
"""Supplier A: registered for every meter point of the ``small`` estate (IS and GS)."""
OTHER_SUPPLIER = Eui64("90B3D51F30010001")
"""Supplier B: registered for nothing (the negative Supplier-role scenario)."""
EXPORT_SUPPLIER = Eui64("90B3D51F30010002")
NETWORK_OPERATOR = Eui64("90B3D51F30020000")
"""The Electricity Distributor of distributor area 10: every MPAN's registered NO."""
WRONG_NETWORK_OPERATOR = Eui64("90B3D51F30020001")
"""The Electricity Distributor of area 12, whose certificates sit on the wrong-NO ESMEs."""
GAS_TRANSPORTER = Eui64("90B3D51F30030000")
"""Every MPRN's registered Gas Transporter."""
WRONG_GAS_TRANSPORTER = Eui64("90B3D51F30030001")
"""Another Gas Transporter, whose certificates sit on the wrong-NO GPFs."""
OTHER_USER = Eui64("90B3D51F30040000")
SUPPLIER_AGENT = Eui64("90B3D51F30040001")


def _parties() -> tuple[Party, ...]:
    ed, gt = frozenset({UserRole.ED}), frozenset({UserRole.GT})
    return (
        Party(SUPPLIER, "Supplier A", frozenset({UserRole.IS, UserRole.GS})),
        Party(OTHER_SUPPLIER, "Supplier B", frozenset({UserRole.IS, UserRole.GS})),
        Party(EXPORT_SUPPLIER, "Export Supplier", frozenset({UserRole.ES})),
        Party(NETWORK_OPERATOR, "Distributor 10", ed, distributor_id=10),
        Party(WRONG_NETWORK_OPERATOR, "Distributor 12", ed, distributor_id=12),
        Party(GAS_TRANSPORTER, "Gas Transporter North", gt, gas_transporter="North"),
        Party(WRONG_GAS_TRANSPORTER, "Gas Transporter South", gt, gas_transporter="South"),
        Party(OTHER_USER, "Other User", frozenset({UserRole.OU})),
        Party(SUPPLIER_AGENT, "Registered Supplier Agent", frozenset({UserRole.RSA})),
    )


class _Builder:
    """Adds devices with their meter points, numbering both."""

    def __init__(self) -> None:
        self.registrations: list[RegistrationPeriod] = []
        self.devices: list[DeviceSpec] = []
        self._serial = 0
        self._per_kind: dict[tuple[Smets, Cohort | None, DeviceType], int] = {}

    def meter_point(self, fuel: Fuel) -> str:
        self._serial += 1
        if fuel is Fuel.ELECTRICITY:
            mpan = make_mpan(10, self._serial)
            self.registrations.append(
                RegistrationPeriod(mpan, fuel, SUPPLIER, NETWORK_OPERATOR, REGISTERED_SINCE)
            )
            return mpan
        mprn = make_mprn(self._serial)
        self.registrations.append(
            RegistrationPeriod(mprn, fuel, SUPPLIER, GAS_TRANSPORTER, REGISTERED_SINCE)
        )
        return mprn

    def device(
        self,
        generation: Smets,
        cohort: Cohort | None,
        device_type: DeviceType,
        point: str,
        *,
        holds_no: Eui64 | None = None,
    ) -> None:
        key = (generation, cohort, device_type)
        self._per_kind[key] = self._per_kind.get(key, 0) + 1
        link = {"mpan": point} if device_type is DeviceType.ESME else {"mprn": point}
        device = Device(
            device_id(generation, cohort, device_type, self._per_kind[key]),
            device_type,
            generation,
            cohort,
            SmiStatus.COMMISSIONED,
            **link,  # type: ignore[arg-type]
        )
        self.devices.append(DeviceSpec(device, network_operator=holds_no))


def small() -> Estate:
    """Per cohort: an ESME and a GPF holding the registered NO's certificates, and an ESME and a
    GPF holding another NO's (the wrong-NO placements); SMETS2: an ESME, a wrong-NO ESME, and a
    GSME with its GPF. Every S1SP and the DSP have MP107 on."""
    build = _Builder()
    for cohort in Cohort:
        for wrong in (False, True):
            build.device(
                Smets.SMETS1, cohort, DeviceType.ESME, build.meter_point(Fuel.ELECTRICITY),
                holds_no=WRONG_NETWORK_OPERATOR if wrong else None,
            )  # fmt: skip
            build.device(
                Smets.SMETS1, cohort, DeviceType.GPF, build.meter_point(Fuel.GAS),
                holds_no=WRONG_GAS_TRANSPORTER if wrong else None,
            )  # fmt: skip
    build.device(Smets.SMETS2, None, DeviceType.ESME, build.meter_point(Fuel.ELECTRICITY))
    build.device(
        Smets.SMETS2, None, DeviceType.ESME, build.meter_point(Fuel.ELECTRICITY),
        holds_no=WRONG_NETWORK_OPERATOR,
    )  # fmt: skip
    gas = build.meter_point(Fuel.GAS)
    build.device(Smets.SMETS2, None, DeviceType.GSME, gas)
    build.device(Smets.SMETS2, None, DeviceType.GPF, gas)
    return Estate(
        name="small",
        seed="s1harness small estate",
        start=START,
        dsp=DspSpec(mp107=True),
        s1sps=tuple(S1spSpec(c, mp107=True) for c in Cohort),
        parties=_parties(),
        registrations=tuple(build.registrations),
        devices=tuple(build.devices),
    )


BOXED_START = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
"""When the ``boxed`` estate starts: inside every validity period it relies on — the 2015 ZAZ1
party certificates (to 2025-10-29), the 2025 certificates the DUIS templates place (from
2025-09-01), the 2018 XML-signing ones and Z1."""
BOXED_DISTRIBUTOR_ID = 10
"""The distributor ID of the ``boxed`` MPAN (ZAZ1 publishes none for its network operator)."""
BOXED_SUPPLIER_2 = Eui64("90B3D51F30030000")
"""ZAZ1 supplier 2 (GITTESTSUPPLIER2), whose certificates the 6.23 templates place."""
BOXED_OTHER_USER = Eui64("00DB123456780004")
"""The ZAZ1 Other User: an XML-signing certificate (role 135) and role-127 DS/KA."""
BOXED_MDR = Eui64("90B3D51F30010009")
"""The ZAZ1 MDR: role-127 DS/KA issued by Z99 (no XML-signing certificate in the keystore)."""
BOXED_ESME = Eui64("00DB1234567890A0")
"""The ESME every device template but the 6.21 ones targets (RTDS ECS and CS02 vectors)."""
BOXED_GSME = Eui64("00DB1234567890A1")
"""The RTDS gas meter (GCS02 vectors), on the MPRN the GPF serves."""
BOXED_GPF = Eui64("00DB1234567890A3")
"""The GPF the 6.21 handover templates (and the RTDS 6.21 vectors) target."""


def _boxed_parties() -> tuple[Party, ...]:
    both = frozenset({UserRole.IS, UserRole.GS})
    other = frozenset({UserRole.OU})
    # One ZAZ1 network operator serves both fuels: the 6.15.1 template places its certificates
    # on the ESME, the 6.21 NO handover template on the GPF.
    network = frozenset({UserRole.ED, UserRole.GT})
    return (
        Party(SUPPLIER, "ZAZ1 Supplier (GITTESTSUPPLIER)", both),
        Party(BOXED_SUPPLIER_2, "ZAZ1 Supplier 2 (GITTESTSUPPLIER2)", both),
        Party(NETWORK_OPERATOR, "ZAZ1 Network Operator", network, BOXED_DISTRIBUTOR_ID),
        Party(BOXED_OTHER_USER, "ZAZ1 Other User", other),
        Party(BOXED_MDR, "ZAZ1 MDR", other),
    )


def boxed() -> Estate:
    """The DCC Boxed ZAZ1 identities with the ``zaz1`` key source
    (:mod:`s1harness.estate.zaz1`), so the DUIS request templates replay as published.

    The SMETS2 ESME 00DB1234567890A0 on an MPAN and the GSME 00DB1234567890A1 with its GPF
    00DB1234567890A3 on an MPRN, all registered to supplier 90B3D51F30010000 and network operator
    90B3D51F30020000 (ED and GT), whose ZAZ1 certificates the ESME's and GSME's cells hold (the
    GPF holds the DCC's placeholders, ready for the 6.21 handover templates); supplier 2, the Other
    User and the MDR registered for nothing. The DCC is 90B3D51F30000002. No SMETS1 device, so
    no S1SP. The clock starts at :data:`BOXED_START`.
    """
    mpan, mprn = make_mpan(BOXED_DISTRIBUTOR_ID, 1), make_mprn(1)
    smets2 = (Smets.SMETS2, None, SmiStatus.COMMISSIONED)
    devices = (
        DeviceSpec(Device(BOXED_ESME, DeviceType.ESME, *smets2, mpan=mpan)),
        DeviceSpec(Device(BOXED_GSME, DeviceType.GSME, *smets2, mprn=mprn)),
        # Before the 6.21 handover templates, the GPF holds the DCC's placeholders (RTDS 6.21:
        # the existing certificates are 90B3D51F30000002's).
        DeviceSpec(
            Device(BOXED_GPF, DeviceType.GPF, *smets2, mprn=mprn),
            network_operator=PLACEHOLDER,
            supplier=PLACEHOLDER,
        ),
    )
    return Estate(
        name="boxed",
        seed="s1harness boxed estate",
        start=BOXED_START,
        dsp=DspSpec(mp107=True),
        s1sps=(),
        parties=_boxed_parties(),
        registrations=(
            RegistrationPeriod(
                mpan, Fuel.ELECTRICITY, SUPPLIER, NETWORK_OPERATOR, REGISTERED_SINCE
            ),
            RegistrationPeriod(mprn, Fuel.GAS, SUPPLIER, NETWORK_OPERATOR, REGISTERED_SINCE),
        ),
        devices=devices,
        dcc_id=DCC_EUI,
        keys="zaz1",
    )


PRESETS: dict[str, Callable[[], Estate]] = {"small": small, "boxed": boxed, "fia": fia}
"""Every preset by name."""


def preset(name: str) -> Estate:
    """The named preset.

    Raises:
        EstateError: for an unknown name (listing the known ones).
    """
    make = PRESETS.get(name)
    if make is None:
        raise EstateError(f"unknown estate preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    return make()


EXAMPLES = Path(__file__).resolve().parent / "examples"
"""Example estate files shipped in the package (``partial-rollout``, ``switch-off``, and
``small`` written out), each usable by name: the repository's ``emulators/estates/``, which
``examples`` here links to and the wheel carries."""


def examples() -> dict[str, Path]:
    """Every example estate file by name (its file name without ``.yaml``)."""
    return {path.stem: path for path in sorted(EXAMPLES.glob("*.yaml"))}


def resolve(ref: Estate | str | Path) -> Estate:
    """An estate given as itself, a preset name, an example's name, or a YAML file or estate
    folder (a path wins over an example of the same name).

    Raises:
        EstateNotFoundError: for a name that is none of these.
        EstateError: for a bad file.
    """
    if isinstance(ref, Estate):
        return ref
    if isinstance(ref, str) and ref in PRESETS:
        return preset(ref)
    path = Path(ref)
    if not path.exists() and isinstance(ref, str) and ref in examples():
        path = examples()[ref]
    if not path.exists():
        known = ", ".join(sorted({*PRESETS, *examples()}))
        raise EstateNotFoundError(f"{ref}: neither an estate file or folder nor a preset ({known})")
    return load(path)


__all__ = [
    "BOXED_START",
    "EXAMPLES",
    "PRESETS",
    "START",
    "boxed",
    "device_id",
    "examples",
    "preset",
    "resolve",
    "small",
]
