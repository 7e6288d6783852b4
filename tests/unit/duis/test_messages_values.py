"""Identifiers, lexical forms and pass-through content of the DUIS message model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    CertificateHash,
    CertificateType,
    DuisRemotePartyRole,
    GenericContent,
    RequestId,
    S1SPAlert,
    _xml,
    parse_message,
    to_element,
)
from s1harness.duis.ns import SR
from s1harness.spec import Eui64, InputError, RemotePartyRole

NO = Eui64("90B3D51F30020000")
ESME = Eui64("00DB1234567890A0")


def test_request_ids_read_the_xsd_form_in_either_case() -> None:
    parsed = RequestId.parse(" 90-b3-d5-1f-30-02-00-00:00-DB-12-34-56-78-90-a0:1200 ")
    assert parsed == RequestId(NO, ESME, 1200)
    assert str(parsed) == "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1200"
    assert parsed.swapped() == RequestId(ESME, NO, 1200)
    assert RequestId.parse(f"{NO.duis}:{ESME.duis}:{2**64 - 1}").counter == 2**64 - 1
    assert RequestId("90-B3-D5-1F-30-02-00-00", ESME, 0).originator == NO  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "90B3D51F30020000:00DB1234567890A0:1200",
        "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0",
        "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:01200",
        "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:-1",
        "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:18446744073709551616",
        "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1200:1",
        "90-B3-D5-1F-30-02-00-0G:00-DB-12-34-56-78-90-A0:1",
        "90:B3:D5:1F:30:02:00:00:00-DB-12-34-56-78-90-A0:1",
        "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:١٢",
    ],
)
def test_request_ids_off_the_pattern_are_refused(text: str) -> None:
    with pytest.raises(DuisParseError, match="not a DUIS RequestID"):
        RequestId.parse(text)


@given(
    st.binary(min_size=8, max_size=8), st.binary(min_size=8, max_size=8), st.integers(0, 2**64 - 1)
)
def test_request_ids_round_trip_through_text(
    originator: bytes, target: bytes, counter: int
) -> None:
    request_id = RequestId(Eui64(originator), Eui64(target), counter)
    assert RequestId.parse(str(request_id)) == request_id
    assert RequestId.parse(str(request_id).lower()) == request_id


def test_duis_roles_are_the_xsd_values_and_map_to_gbcs_roles() -> None:
    assert [r.value for r in DuisRemotePartyRole] == [
        "ACB",
        "NetworkOperator",
        "Recovery",
        "Root",
        "Supplier",
        "TransCoS",
        "LoadController",
    ]
    assert DuisRemotePartyRole.ACB.gbcs is RemotePartyRole.ACCESS_CONTROL_BROKER
    assert DuisRemotePartyRole.TRANS_COS.gbcs is RemotePartyRole.TRANSITIONAL_COS
    assert DuisRemotePartyRole("LoadController").gbcs.ou == "08"


def _date_time(text: str) -> datetime:
    return _xml.date_time(etree.fromstring(f"<t>{text}</t>"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-15T00:00:00.00Z", datetime(2030, 1, 15, tzinfo=UTC)),
        ("3000-12-31T00:00:00.00Z", datetime(3000, 12, 31, tzinfo=UTC)),
        ("2022-08-17T15:45:42.790Z", datetime(2022, 8, 17, 15, 45, 42, 790000, tzinfo=UTC)),
        ("2030-01-01T01:30:00+01:30", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2029-12-31T19:00:00-05:00", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01T00:00:00", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2029-12-31T24:00:00Z", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01T00:00:00.1234567Z", datetime(2030, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_date_times_become_aware_utc(text: str, expected: datetime) -> None:
    parsed = _date_time(text)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["2030-01-01", "2030-02-30T00:00:00Z", "2030-01-01T25:00:00Z", "0001-01-01T00:00:00+01:00"],
)
def test_impossible_date_times_are_parse_errors(text: str) -> None:
    with pytest.raises(DuisParseError) as raised:
        _date_time(text)
    assert raised.value.path == "/t"


def test_date_times_are_written_in_utc_with_milliseconds() -> None:
    assert _xml.format_date_time(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01T00:00:00.000Z"
    assert (
        _xml.format_date_time(datetime(5, 1, 1, 0, 0, 0, 7000, tzinfo=UTC))
        == "0005-01-01T00:00:00.007Z"
    )
    with pytest.raises(InputError, match="time zone"):
        _xml.format_date_time(datetime(2030, 1, 1))


def test_certificate_hashes_are_plain_pairs() -> None:
    entry = CertificateHash(CertificateType.KEY_AGREEMENT, b"\x00" * 20)
    assert entry == ("KeyAgreement", b"\x00" * 20)
    assert entry.certificate_type == "KeyAgreement"


def test_generic_content_is_equal_wherever_it_came_from() -> None:
    fragment = (
        "<sr:ReadInventory><sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID></sr:ReadInventory>"
    )
    here = etree.fromstring(f'<x xmlns:sr="{SR}" xmlns:y="urn:unused">{fragment}</x>')[0]
    there = etree.fromstring(f'<sr:Body xmlns:sr="{SR}"><!----> {fragment}</sr:Body>')[1]
    assert GenericContent.of(here) == GenericContent.of(there)
    content = GenericContent.of(here)
    assert content.name == "ReadInventory" and content.tag == f"{{{SR}}}ReadInventory"
    assert b"urn:unused" not in content.xml
    assert content.element is not content.element
    with pytest.raises(InputError, match="must be an element"):
        GenericContent.of(etree.fromstring(f"<x><!--c-->{fragment}</x>".replace("sr:", ""))[0])


def test_kept_elements_do_not_take_part_in_equality() -> None:
    alert = S1SPAlert(alert_code="S1VE4", date_time=datetime(2030, 1, 1, tzinfo=UTC))
    parsed = parse_message(xml.parse(xml.serialise(to_element(alert))))
    assert isinstance(parsed, S1SPAlert)
    assert parsed.element is not None and alert.element is None
    assert parsed == alert and not parsed.signed
    assert "element" not in repr(parsed)
