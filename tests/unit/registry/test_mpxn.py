"""MPAN core, MPRN, distributors and user roles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s1harness.spec import InputError
from s1harness.spec.mpxn import (
    DISTRIBUTORS,
    IGT_MPRN_PREFIXES,
    MPAN_WEIGHTS,
    Mpan,
    Mprn,
    MpxnError,
    make_mpan,
    make_mprn,
    mpan_check_digit,
    mprn_check_digits,
    mprn_check_ok,
)
from s1harness.spec.users import UserRole

WORKED_VALID = ["2099999999993", "2499999999991", "1312345678907"]  # worked examples

distributor_ids = st.sampled_from(sorted(DISTRIBUTORS))
serials = st.integers(min_value=0, max_value=10**10 - 1)


def _remainder(core: str) -> int:
    return sum(int(d) * w for d, w in zip(core[:12], MPAN_WEIGHTS, strict=True)) % 11


@pytest.mark.parametrize("core", WORKED_VALID)
def test_worked_examples_are_valid(core: str) -> None:
    assert Mpan(core) == core
    assert mpan_check_digit(core[:12]) == int(core[12])


def test_worked_example_with_wrong_check_digit_names_the_expected_one() -> None:
    assert mpan_check_digit("120000000000") == 2
    with pytest.raises(MpxnError, match=r"1200000000000 has check digit 0, expected 2") as info:
        Mpan("1200000000000")
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_worked_sums_match_the_table() -> None:
    assert [_remainder(c) for c in WORKED_VALID] == [3, 1, 7]
    assert sum(int(d) * w for d, w in zip("209999999999", MPAN_WEIGHTS, strict=True)) == 2346


def test_remainder_ten_gives_check_digit_zero() -> None:
    core = next(c for s in range(200) if _remainder(c := make_mpan(10, s)) == 10)
    assert core.endswith("0")


@pytest.mark.parametrize(
    "bad", ["", "209999999999", "20999999999931", "20999999999 3", "2099999999a93", "٢٠٩٩٩٩٩٩٩٩٩٩٣"]
)
def test_malformed_mpan_is_refused(bad: str) -> None:
    with pytest.raises(MpxnError, match="13 digits"):
        Mpan(bad)


def test_non_string_mpan_is_refused() -> None:
    with pytest.raises(MpxnError, match="13 digits"):
        Mpan(2099999999993)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["12345678901", "1234567890a", ""])
def test_check_digit_needs_twelve_digits(bad: str) -> None:
    with pytest.raises(MpxnError, match="12 digits"):
        mpan_check_digit(bad)


def test_mpan_parts() -> None:
    mpan = Mpan("1312345678907")
    assert mpan.distributor_id == 13
    assert mpan.meter_point_id == "1234567890"
    assert mpan.distributor is not None and mpan.distributor.mpid == "MANW"
    assert Mpan(mpan) is mpan


def test_unknown_distributor_id_is_accepted_without_a_distributor() -> None:
    mpan = Mpan("8000000000030")
    assert mpan.distributor_id == 80 and mpan.distributor is None


def test_every_distributor_id_is_present() -> None:
    assert sorted(DISTRIBUTORS) == list(range(10, 39))
    for id_, distributor in DISTRIBUTORS.items():
        assert distributor.id == id_
        assert distributor.is_idno is (id_ >= 24)
        assert len(distributor.mpid) == 4 and distributor.mpid.isupper()
        assert (distributor.gsp_group is None) is distributor.is_idno
    assert len({d.mpid for d in DISTRIBUTORS.values()}) == 29
    assert len({d.gsp_group for d in DISTRIBUTORS.values() if not d.is_idno}) == 14


@pytest.mark.parametrize(
    ("id_", "mpid", "gsp"),
    [(10, "EELC", "_A"), (12, "LOND", "_C"), (17, "HYDE", "_P"), (23, "YELG", "_M")],
)
def test_dno_rows(id_: int, mpid: str, gsp: str) -> None:
    assert (DISTRIBUTORS[id_].mpid, DISTRIBUTORS[id_].gsp_group) == (mpid, gsp)


@pytest.mark.parametrize(("id_", "mpid"), [(24, "IPNL"), (28, "EDFI"), (36, "VATT"), (38, "INDI")])
def test_idno_rows(id_: int, mpid: str) -> None:
    assert DISTRIBUTORS[id_].mpid == mpid


def test_distributor_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        DISTRIBUTORS[99] = DISTRIBUTORS[10]  # type: ignore[index]


@given(distributor_ids, serials)
def test_make_mpan_round_trips(distributor_id: int, serial: int) -> None:
    mpan = make_mpan(distributor_id, serial)
    assert Mpan(str(mpan)) == mpan
    assert mpan.distributor_id == distributor_id
    assert mpan.meter_point_id == f"{serial:010d}"


@pytest.mark.parametrize(("distributor_id", "serial"), [(9, 0), (39, 0), (10, -1), (10, 10**10)])
def test_make_mpan_refuses_out_of_range(distributor_id: int, serial: int) -> None:
    with pytest.raises(MpxnError):
        make_mpan(distributor_id, serial)


@given(distributor_ids, serials, st.integers(0, 12), st.integers(1, 9))
def test_single_digit_change_is_caught_unless_remainders_are_zero_and_ten(
    distributor_id: int, serial: int, position: int, shift: int
) -> None:
    # (S mod 11) mod 10 folds remainders 0 and 10 onto check digit 0, so a change that moves
    # S mod 11 between exactly those two is the only single-digit change the check misses.
    core = make_mpan(distributor_id, serial)
    changed = core[:position] + str((int(core[position]) + shift) % 10) + core[position + 1 :]
    missed = position < 12 and {_remainder(core), _remainder(changed)} == {0, 10}
    if missed:
        assert Mpan(changed) == changed
    else:
        with pytest.raises(MpxnError, match="check digit"):
            Mpan(changed)


def test_the_zero_ten_blind_spot_exists() -> None:
    assert Mpan("1000000000030") and Mpan("8000000000030")  # S mod 11: 0 and 10


@given(distributor_ids, serials, st.integers(1, 9))
def test_any_change_to_the_check_digit_is_caught(
    distributor_id: int, serial: int, shift: int
) -> None:
    core = make_mpan(distributor_id, serial)
    with pytest.raises(MpxnError):
        Mpan(core[:12] + str((int(core[12]) + shift) % 10))


def test_mprn_worked_example() -> None:
    assert mprn_check_digits("39384244") == "03"
    assert mprn_check_ok("3938424403")
    assert Mprn("3938424403").check_ok


@pytest.mark.parametrize("text", ["1", "123456", "3938424404", "0000000000"])
def test_mprn_accepts_one_to_ten_digits_without_enforcing_the_check(text: str) -> None:
    assert Mprn(text) == text


@pytest.mark.parametrize("text", ["3938424404", "3938424413", "12", "1", "", "39384244a3"])
def test_mprn_soft_check_fails(text: str) -> None:
    assert not mprn_check_ok(text)


@pytest.mark.parametrize("bad", ["", "12345678901", "12a4", " 123", "١٢٣"])
def test_malformed_mprn_is_refused(bad: str) -> None:
    with pytest.raises(MpxnError, match="1–10 digits"):
        Mprn(bad)


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_make_mprn_passes_the_soft_check(serial: int) -> None:
    mprn = make_mprn(serial)
    assert len(mprn) == 10 and mprn.check_ok and mprn[:8] == f"{serial:08d}"


@pytest.mark.parametrize("prefix", IGT_MPRN_PREFIXES)
def test_make_mprn_with_an_igt_prefix(prefix: str) -> None:
    mprn = make_mprn(123456, prefix=prefix)
    assert mprn.looks_igt and mprn.check_ok and mprn.startswith(prefix)
    assert not make_mprn(123456, prefix="39").looks_igt


@pytest.mark.parametrize(
    ("serial", "prefix"), [(-1, ""), (10**8, ""), (10**6, "74"), (0, "7a"), (0, "12345678")]
)
def test_make_mprn_refuses_what_does_not_fit(serial: int, prefix: str) -> None:
    with pytest.raises(MpxnError):
        make_mprn(serial, prefix=prefix)


def test_user_roles_have_the_duis_codes() -> None:
    assert [role.value for role in UserRole] == ["IS", "ES", "GS", "ED", "GT", "OU", "RSA"]
    assert {r for r in UserRole if r.is_supplier} == {UserRole.IS, UserRole.GS}
    assert {r for r in UserRole if r.is_network_operator} == {UserRole.ED, UserRole.GT}
