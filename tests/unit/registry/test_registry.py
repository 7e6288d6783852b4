"""Registry: parties, registration periods, SRPD 6.1(f) eligibility and the inventory."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s1harness.registry import (
    MEMORY,
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Registry,
    Smets,
    SmiStatus,
)
from s1harness.spec import Eui64, InputError
from s1harness.spec.mpxn import make_mpan, make_mprn
from s1harness.spec.users import UserRole

SUPPLIER_A = Eui64("90-B3-D5-1F-30-01-00-01")  # IS + GS
SUPPLIER_B = Eui64("90-B3-D5-1F-30-01-00-02")  # IS
DNO = Eui64("90-B3-D5-1F-30-01-00-10")  # ED, distributor 10
WRONG_DNO = Eui64("90-B3-D5-1F-30-01-00-12")  # ED, distributor 12
GAS_NO = Eui64("90-B3-D5-1F-30-01-00-20")  # GT
OTHER = Eui64("90-B3-D5-1F-30-01-00-30")  # OU

ESME = Eui64("00-DB-12-34-56-78-90-01")
GSME = Eui64("00-DB-12-34-56-78-90-02")
GPF = Eui64("00-DB-12-34-56-78-90-03")
CHF = Eui64("00-DB-12-34-56-78-90-04")
UNKNOWN = Eui64("00-DB-12-34-56-78-90-FF")

MPAN = make_mpan(10, 1)
MPRN = make_mprn(1)
START = datetime(2024, 1, 1, tzinfo=UTC)
CHANGE = datetime(2025, 1, 1, tzinfo=UTC)  # change of supplier A → B
TICK = timedelta(microseconds=1)


def _parties() -> list[Party]:
    return [
        Party(SUPPLIER_A, "Supplier A", frozenset({UserRole.IS, UserRole.GS})),
        Party(SUPPLIER_B, "Supplier B", frozenset({UserRole.IS})),
        Party(DNO, "UKPN EPN", frozenset({UserRole.ED}), distributor_id=10),
        Party(WRONG_DNO, "UKPN LPN", frozenset({UserRole.ED}), distributor_id=12),
        Party(GAS_NO, "Cadent", frozenset({UserRole.GT}), gas_transporter="Cadent"),
        Party(OTHER, "Other", frozenset({UserRole.OU})),
    ]


def _elec(supplier: Eui64, start: datetime, end: datetime | None) -> RegistrationPeriod:
    return RegistrationPeriod(MPAN, Fuel.ELECTRICITY, supplier, DNO, start, end)


def _devices() -> list[Device]:
    return [
        Device(ESME, DeviceType.ESME, Smets.SMETS1, Cohort.IOC, SmiStatus.COMMISSIONED, MPAN),
        Device(GSME, DeviceType.GSME, Smets.SMETS2, None, SmiStatus.COMMISSIONED, mprn=MPRN),
        Device(GPF, DeviceType.GPF, Smets.SMETS1, Cohort.MOC, SmiStatus.COMMISSIONED, mprn=MPRN),
        Device(CHF, DeviceType.CHF, Smets.SMETS2, None, SmiStatus.COMMISSIONED),
    ]


def _populate(registry: Registry) -> Registry:
    registry.add_parties(_parties())
    registry.add_periods(
        [
            _elec(SUPPLIER_A, START, CHANGE),
            _elec(SUPPLIER_B, CHANGE, None),
            RegistrationPeriod(MPRN, Fuel.GAS, SUPPLIER_A, GAS_NO, START, None),
        ]
    )
    registry.add_devices(_devices())
    return registry


@pytest.fixture
def registry() -> Iterator[Registry]:
    with Registry.open(MEMORY) as opened:
        yield _populate(opened)


@pytest.fixture(scope="module")
def shared() -> Iterator[Registry]:
    """A read-only populated registry for property tests."""
    with Registry.open(MEMORY) as opened:
        yield _populate(opened)


# -- SRPD 6.1(f) at one instant ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "a", "b"),
    [
        (START - TICK, False, False),  # before any registration
        (START, True, False),  # effective_from is inclusive
        (CHANGE - TICK, True, False),
        (CHANGE, False, True),  # effective_to is exclusive: the new supplier from the date
        (datetime(2099, 1, 1, tzinfo=UTC), False, True),  # open-ended
    ],
)
def test_supplier_eligibility_by_date(registry: Registry, at: datetime, a: bool, b: bool) -> None:
    assert registry.eligible(SUPPLIER_A, ESME, UserRole.IS, at) is a
    assert registry.eligible(SUPPLIER_B, ESME, UserRole.IS, at) is b


def test_network_operator_survives_the_change_of_supplier(registry: Registry) -> None:
    for at in (START, CHANGE - TICK, CHANGE, CHANGE + timedelta(days=400)):
        assert registry.eligible(DNO, ESME, UserRole.ED, at)
        assert not registry.eligible(WRONG_DNO, ESME, UserRole.ED, at)


def test_other_timezones_are_the_same_instant(registry: Registry) -> None:
    one_am_paris = datetime(2025, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    assert registry.eligible(SUPPLIER_B, ESME, UserRole.IS, one_am_paris)
    assert not registry.eligible(SUPPLIER_A, ESME, UserRole.IS, one_am_paris)


@pytest.mark.parametrize(
    ("user", "device", "role", "expected"),
    [
        (SUPPLIER_A, GSME, UserRole.GS, True),  # GSME → its MPRN
        (SUPPLIER_A, GPF, UserRole.GS, True),  # GPF → the MPRN of its gas meter
        (GAS_NO, GSME, UserRole.GT, True),
        (GAS_NO, GPF, UserRole.GT, True),
        (SUPPLIER_A, GSME, UserRole.IS, False),  # IS is the electricity role
        (SUPPLIER_A, ESME, UserRole.GS, False),  # GS is the gas role
        (DNO, GPF, UserRole.ED, False),
        (GAS_NO, ESME, UserRole.GT, False),
        (SUPPLIER_A, ESME, UserRole.ED, False),  # right user, wrong role
        (SUPPLIER_A, CHF, UserRole.IS, False),  # a CHF has no MPxN
        (DNO, CHF, UserRole.ED, False),
        (SUPPLIER_A, UNKNOWN, UserRole.IS, False),  # unknown device
        (OTHER, ESME, UserRole.OU, False),  # 6.2(c) is the DSP's exception, not RDP data
        (SUPPLIER_A, ESME, UserRole.ES, False),
    ],
)
def test_device_linkage(
    registry: Registry, user: Eui64, device: Eui64, role: UserRole, expected: bool
) -> None:
    assert registry.eligible(user, device, role, START + timedelta(days=1)) is expected


def test_unlinked_meter_is_eligible_for_nobody(registry: Registry) -> None:
    loose = Eui64("00-DB-12-34-56-78-90-05")
    registry.add_device(Device(loose, DeviceType.ESME, Smets.SMETS2, None, SmiStatus.PENDING))
    assert not registry.eligible(SUPPLIER_A, loose, UserRole.IS, START)


def test_eligible_accepts_duis_forms(registry: Registry) -> None:
    assert registry.eligible(SUPPLIER_A.duis, ESME.duis.lower(), UserRole.IS, START)


# -- SRPD 6.1(f) over a range ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "role", "start", "end", "expected"),
    [
        (SUPPLIER_A, UserRole.IS, START, CHANGE - TICK, True),  # the whole of A's period
        (SUPPLIER_A, UserRole.IS, START, CHANGE, False),  # the closed range reaches B's period
        (SUPPLIER_B, UserRole.IS, CHANGE - TICK, CHANGE, False),
        (SUPPLIER_B, UserRole.IS, CHANGE, datetime(2099, 1, 1, tzinfo=UTC), True),
        (SUPPLIER_A, UserRole.IS, START - TICK, START, False),  # starts before registration
        (DNO, UserRole.ED, START, datetime(2099, 1, 1, tzinfo=UTC), True),  # across the change
        (WRONG_DNO, UserRole.ED, START, START, False),
        (SUPPLIER_A, UserRole.IS, START, START, True),  # a single instant
    ],
)
def test_eligibility_over_a_range(
    registry: Registry, user: Eui64, role: UserRole, start: datetime, end: datetime, expected: bool
) -> None:
    assert registry.eligible_over(user, ESME, role, start, end) is expected


def test_range_across_a_gap_is_refused(registry: Registry) -> None:
    mpan = make_mpan(10, 2)
    registry.add_periods(
        [
            RegistrationPeriod(mpan, Fuel.ELECTRICITY, SUPPLIER_A, DNO, START, CHANGE),
            RegistrationPeriod(mpan, Fuel.ELECTRICITY, SUPPLIER_A, DNO, CHANGE + TICK, None),
        ]
    )
    meter = Eui64("00-DB-12-34-56-78-90-06")
    registry.add_device(
        Device(meter, DeviceType.ESME, Smets.SMETS2, None, SmiStatus.COMMISSIONED, mpan)
    )
    assert registry.eligible_over(SUPPLIER_A, meter, UserRole.IS, START, CHANGE - TICK)
    assert not registry.eligible_over(SUPPLIER_A, meter, UserRole.IS, START, CHANGE + TICK)


def test_range_must_not_run_backwards(registry: Registry) -> None:
    with pytest.raises(InputError, match="after it ends"):
        registry.eligible_over(SUPPLIER_A, ESME, UserRole.IS, CHANGE, START)


instants = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@given(instants, instants)
def test_range_eligibility_matches_supplier_a_period(
    shared: Registry, first: datetime, second: datetime
) -> None:
    start, end = min(first, second), max(first, second)
    expected = start >= START and end < CHANGE
    assert shared.eligible_over(SUPPLIER_A, ESME, UserRole.IS, start, end) is expected
    if expected:
        assert shared.eligible(SUPPLIER_A, ESME, UserRole.IS, start)
        assert shared.eligible(SUPPLIER_A, ESME, UserRole.IS, end)


# -- registration periods -------------------------------------------------------------------


def test_registered_returns_the_period_in_force(registry: Registry) -> None:
    assert registry.registered(MPAN, START - TICK) is None
    period = registry.registered(MPAN, CHANGE)
    assert period == _elec(SUPPLIER_B, CHANGE, None)
    assert registry.registered(make_mpan(11, 1), CHANGE) is None
    assert [p.supplier for p in registry.periods(MPAN)] == [SUPPLIER_A, SUPPLIER_B]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START - timedelta(days=1), START + TICK),  # reaches into A's period
        (CHANGE - TICK, CHANGE),  # the last instant of A's period
        (datetime(2030, 1, 1, tzinfo=UTC), None),  # inside B's open-ended period
        (START - timedelta(days=10), None),  # covers everything
    ],
)
def test_overlapping_period_is_refused_and_changes_nothing(
    registry: Registry, start: datetime, end: datetime | None
) -> None:
    before = registry.snapshot()
    with pytest.raises(InputError, match=f"registration of {MPAN} .* overlaps"):
        registry.add_period(_elec(SUPPLIER_A, start, end))
    assert registry.snapshot() == before


def test_adjacent_period_is_accepted(registry: Registry) -> None:
    registry.add_period(_elec(SUPPLIER_B, START - timedelta(days=1), START))
    assert registry.eligible(SUPPLIER_B, ESME, UserRole.IS, START - TICK)


def test_batch_with_an_overlap_inside_it_writes_nothing() -> None:
    with Registry.open(MEMORY) as registry:
        registry.add_parties(_parties())
        before = registry.snapshot()
        good = _elec(SUPPLIER_A, START, CHANGE)
        with pytest.raises(InputError, match="overlaps"):
            registry.add_periods([good, _elec(SUPPLIER_B, CHANGE - TICK, None)])
        assert registry.snapshot() == before


@pytest.mark.parametrize(
    ("supplier", "network", "message"),
    [
        (SUPPLIER_B, GAS_NO, "GS 90B3D51F30010002 does not hold"),  # B is IS only
        (SUPPLIER_A, DNO, "GT 90B3D51F30010010 does not hold"),
        (Eui64("90B3D51F300100EE"), GAS_NO, "is not a registered party"),
    ],
)
def test_period_parties_must_hold_the_roles(
    registry: Registry, supplier: Eui64, network: Eui64, message: str
) -> None:
    before = registry.snapshot()
    with pytest.raises(InputError, match=message):
        registry.add_period(RegistrationPeriod(make_mprn(2), Fuel.GAS, supplier, network, START))
    assert registry.snapshot() == before


def test_period_validation() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        _elec(SUPPLIER_A, datetime(2024, 1, 1), None)
    with pytest.raises(InputError, match="after effective_from"):
        _elec(SUPPLIER_A, START, START)
    with pytest.raises(InputError, match="check digit"):
        RegistrationPeriod("1200000000000", Fuel.ELECTRICITY, SUPPLIER_A, DNO, START)
    with pytest.raises(InputError, match="1–10 digits"):
        RegistrationPeriod(str(MPAN), Fuel.GAS, SUPPLIER_A, GAS_NO, START)
    with pytest.raises(InputError, match="fuel"):
        RegistrationPeriod(MPRN, "water", SUPPLIER_A, GAS_NO, START)  # type: ignore[arg-type]


# -- parties ------------------------------------------------------------------------------------


def test_parties_round_trip(registry: Registry) -> None:
    assert registry.party(SUPPLIER_A) == _parties()[0]
    assert registry.party(UNKNOWN) is None
    assert [p.user_id for p in registry.parties_with_role(UserRole.IS)] == [SUPPLIER_A, SUPPLIER_B]
    assert [p.user_id for p in registry.parties_with_role(UserRole.ED)] == [DNO, WRONG_DNO]
    assert [p.user_id for p in registry.parties_for_distributor(12)] == [WRONG_DNO]
    assert registry.parties_with_role(UserRole.RSA) == []


def test_duplicate_party_is_refused_and_changes_nothing(registry: Registry) -> None:
    before = registry.snapshot()
    with pytest.raises(InputError, match="already registered"):
        registry.add_parties([Party(UNKNOWN, "New", frozenset({UserRole.IS})), _parties()[0]])
    assert registry.snapshot() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"roles": frozenset()}, "at least one role"),
        ({"name": " "}, "needs a name"),
        ({"roles": frozenset({"XX"})}, "is not one of IS"),
        ({"distributor_id": 10}, "needs the ED role"),
        ({"roles": frozenset({UserRole.ED}), "distributor_id": 40}, "unknown distributor ID 40"),
        ({"gas_transporter": "SGN"}, "needs the GT role"),
        ({"user_id": "not-an-eui"}, "EUI-64"),
    ],
)
def test_party_validation(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"user_id": UNKNOWN, "name": "P", "roles": frozenset({"IS"})}
    with pytest.raises(InputError, match=message):
        Party(**(fields | kwargs))  # type: ignore[arg-type]


# -- inventory --------------------------------------------------------------------------------


def test_devices_round_trip(registry: Registry) -> None:
    assert [registry.device(d.device_id) for d in _devices()] == _devices()
    assert registry.device(UNKNOWN) is None
    assert [d.device_id for d in registry.devices(cohort=Cohort.IOC)] == [ESME]
    assert [d.device_id for d in registry.devices(device_type=DeviceType.GPF)] == [GPF]
    assert len(registry.devices()) == 4


def test_update_status(registry: Registry) -> None:
    assert registry.device(ESME).status is not SmiStatus.SUSPENDED  # type: ignore[union-attr]
    updated = registry.update_status(ESME, SmiStatus.SUSPENDED)
    assert updated.status is SmiStatus.SUSPENDED
    assert registry.device(ESME) == updated  # the look-up kept before is not what it gives


@pytest.mark.parametrize(
    ("device", "status", "message"),
    [(UNKNOWN, SmiStatus.SUSPENDED, "not in the inventory"), (ESME, "Broken", "not one of")],
)
def test_failed_status_update_changes_nothing(
    registry: Registry, device: Eui64, status: SmiStatus, message: str
) -> None:
    before = registry.snapshot()
    with pytest.raises(InputError, match=message):
        registry.update_status(device, status)
    assert registry.snapshot() == before


def test_duplicate_device_is_refused_and_changes_nothing(registry: Registry) -> None:
    before = registry.snapshot()
    new = Device(UNKNOWN, DeviceType.CHF, Smets.SMETS2, None, SmiStatus.PENDING)
    with pytest.raises(InputError, match="already in the inventory"):
        registry.add_devices([new, _devices()[0]])
    assert registry.snapshot() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("ESME", "SMETS1", None, "Commissioned", None, None), "needs a cohort"),
        (("ESME", "SMETS2", "IOC", "Commissioned", None, None), "has no cohort"),
        (("ESME", "SMETS2", None, "Commissioned", None, MPRN), "a ESME has no mprn"),
        (("GPF", "SMETS1", "FOC", "Commissioned", MPAN, None), "a GPF has no mpan"),
        (("CHF", "SMETS2", None, "Commissioned", None, MPRN), "a CHF has no mprn"),
        (("HCALCS", "SMETS2", None, "Commissioned", None, None), "device_type"),
        (("ESME", "SMETS3", None, "Commissioned", None, None), "generation"),
        (("ESME", "SMETS1", "XOC", "Commissioned", None, None), "cohort"),
        (("ESME", "SMETS2", None, "Installed", None, None), "status"),
        (("ESME", "SMETS2", None, "Commissioned", "1200000000000", None), "expected 2"),
    ],
)
def test_device_validation(fields: tuple[object, ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Device(UNKNOWN, *fields)  # type: ignore[arg-type]


def test_smi_statuses_are_the_duis_values() -> None:
    assert [s.value for s in SmiStatus] == [
        "Pending",
        "Whitelisted",
        "InstalledNotCommissioned",
        "Commissioned",
        "Decommissioned",
        "Withdrawn",
        "Suspended",
        "Recovery",
        "Recovered",
    ]


# -- storage ----------------------------------------------------------------------------------


def test_snapshot_is_json_friendly_and_sorted(registry: Registry) -> None:
    snapshot = registry.snapshot()
    assert set(snapshot) == {"device", "party", "party_role", "registration"}
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert [row["device_id"] for row in snapshot["device"]] == sorted([ESME, GSME, GPF, CHF])
    assert snapshot["registration"][0]["effective_from"] == "2024-01-01T00:00:00.000000+00:00"


def test_file_database_reopened_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    with Registry.open(path) as registry:
        _populate(registry)
        before = registry.snapshot()
    with Registry.open(str(path)) as reopened:
        assert reopened.snapshot() == before
        assert reopened.eligible(SUPPLIER_B, ESME, UserRole.IS, CHANGE)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("PRAGMA user_version").fetchone() == (1,)
    raw.close()


def test_foreign_keys_are_enforced(registry: Registry) -> None:
    before = registry.snapshot()
    with pytest.raises(InputError, match="FOREIGN KEY"), registry._write() as db:
        db.execute("INSERT INTO party_role VALUES ('90B3D51F300100EE', 'IS')")
    assert registry.snapshot() == before


def test_foreign_keys_are_on_for_file_databases(tmp_path: Path) -> None:
    with Registry.open(tmp_path / "r.sqlite") as registry:
        assert registry._db.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE t (x)")
    raw.close()
    with pytest.raises(InputError, match="not a registry database of schema version 1"):
        Registry.open(path)


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    Registry.open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 2")
    raw.close()
    with pytest.raises(InputError, match="user_version 2"):
        Registry.open(path)


@pytest.mark.parametrize("name", ["garbage.sqlite", "missing/dir/registry.sqlite"])
def test_unopenable_file_is_an_input_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "garbage.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="cannot open registry") as info:
        Registry.open(tmp_path / name)
    assert "\n" not in str(info.value)
