"""Typed SMETS1 frame bodies: round trips and strict reading (docs/smets1-instruction-frame.md
§3.5, §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s1harness.roles.smets1 import (
    CertificateId,
    CredentialsRecorded,
    CredentialUpdate,
    DeviceStatus,
    DeviceType,
    ImportReading,
    OutageAlert,
    Smets1CodecError,
    SupplyReport,
    SupplyState,
    Tlv,
    TlvTag,
    diagnostic,
)
from s1harness.roles.smets1.bodies import diagnostic_tlv, time_tlv
from s1harness.spec import InputError, RemotePartyRole

NO = RemotePartyRole.NETWORK_OPERATOR
T0 = datetime(2024, 6, 1, 11, 50, tzinfo=UTC)
SERIAL_20 = 2**159 + 1

BODIES = [
    CredentialUpdate(NO, CertificateId(0x1234, "Z1"), CertificateId(SERIAL_20, "x" * 64)),
    CredentialUpdate(RemotePartyRole.SUPPLIER, critical=CertificateId(1, "Z1")),
    CredentialUpdate(NO, non_critical=CertificateId(255, "ZAZ1 issuing CA")),
    CredentialsRecorded(NO, 2**32 - 1),
    DeviceStatus(DeviceType.GPF, T0),
    ImportReading(2**64 - 1, T0),
    SupplyReport(SupplyState.DISCONNECTED),
    OutageAlert(T0, T0),
    OutageAlert(T0 + timedelta(minutes=9), T0, T0 + timedelta(minutes=9)),
]


@pytest.mark.parametrize("body", BODIES, ids=repr)
def test_every_body_round_trips(body: object) -> None:
    tlvs = body.to_body()  # type: ignore[attr-defined]
    assert type(body).from_body(tlvs) == body  # type: ignore[attr-defined]


def test_credential_update_writes_minimal_serials_in_tag_order() -> None:
    update = CredentialUpdate(NO, CertificateId(0x1234, "Z1"), CertificateId(0x01, "Z1"))
    assert update.to_body() == (
        Tlv(TlvTag.ROLE, b"\x03"),
        Tlv(TlvTag.CRITICAL_CERTIFICATE_SERIAL, b"\x12\x34"),
        Tlv(TlvTag.CRITICAL_CERTIFICATE_ISSUER, b"Z1"),
        Tlv(TlvTag.NON_CRITICAL_CERTIFICATE_SERIAL, b"\x01"),
        Tlv(TlvTag.NON_CRITICAL_CERTIFICATE_ISSUER, b"Z1"),
    )


ROLE, SERIAL, ISSUER = (Tlv(TlvTag.ROLE, b"\x03"), Tlv(2, b"\x12"), Tlv(3, b"Z1"))

STRICT = [
    ((SERIAL, ISSUER), "body.role", 43),
    ((ROLE, ROLE, SERIAL, ISSUER), "body.role", 38),
    ((ROLE, SERIAL, ISSUER, Tlv(TlvTag.DEVICE_TIME, bytes(8))), "body.device-time", 47),
    ((ROLE, SERIAL, ISSUER, Tlv(0xEE, b"")), "body.tag-EE", 47),
    ((Tlv(TlvTag.ROLE, b"\x03\x00"), SERIAL, ISSUER), "body.role", 37),
    ((Tlv(TlvTag.ROLE, b"\x04"), SERIAL, ISSUER), "body.role", 37),
    ((ROLE,), "body.role", 37),
    ((ROLE, SERIAL), "body.critical-certificate-issuer", 42),
    ((ROLE, Tlv(2, b""), ISSUER), "body.critical-certificate-serial", 41),
    ((ROLE, Tlv(2, bytes(21)), ISSUER), "body.critical-certificate-serial", 41),
    ((ROLE, Tlv(2, b"\x00"), ISSUER), "body.critical-certificate-serial", 41),
    ((ROLE, SERIAL, Tlv(3, b"")), "body.critical-certificate-issuer", 45),
    ((ROLE, SERIAL, Tlv(3, b"\xff")), "body.critical-certificate-issuer", 45),
    ((ROLE, SERIAL, Tlv(3, b"x" * 65)), "body.critical-certificate-issuer", 45),
]


@pytest.mark.parametrize(("body", "field", "offset"), STRICT)
def test_credential_update_bodies_are_read_strictly(
    body: tuple[Tlv, ...], field: str, offset: int
) -> None:
    with pytest.raises(Smets1CodecError) as caught:
        CredentialUpdate.from_body(body)
    assert (caught.value.field, caught.value.offset) == (field, offset)


@pytest.mark.parametrize(
    ("reader", "body", "field"),
    [
        (CredentialsRecorded.from_body, (Tlv(1, b"\x07"), Tlv(6, bytes(4))), "body.role"),
        (DeviceStatus.from_body, (Tlv(0x10, b"\x03"), Tlv(0x11, bytes(8))), "body.device-type"),
        (SupplyReport.from_body, (Tlv(0x13, b"\x00"),), "body.supply-state"),
        (ImportReading.from_body, (Tlv(0x12, bytes(8)),), "body.device-time"),
        (
            ImportReading.from_body,
            (Tlv(0x12, bytes(8)), Tlv(0x11, b"\xff" * 8)),
            "body.device-time",
        ),
        (OutageAlert.from_body, (Tlv(0x20, bytes(8)), Tlv(0x22, bytes(8))), "body.outage-start"),
        (
            OutageAlert.from_body,
            (Tlv(0x20, bytes(8)), Tlv(0x21, b"\x00" * 7 + b"\x02"), Tlv(0x22, bytes(8))),
            "body.outage-end",
        ),
    ],
)
def test_response_and_alert_bodies_are_read_strictly(
    reader: object, body: tuple[Tlv, ...], field: str
) -> None:
    with pytest.raises(Smets1CodecError) as caught:
        reader(body)  # type: ignore[operator]
    assert caught.value.field == field


@pytest.mark.parametrize(
    "build",
    [
        lambda: CertificateId(0, "Z1"),
        lambda: CertificateId(2**160, "Z1"),
        lambda: CertificateId(1, ""),
        lambda: CertificateId(1, "é" * 33),
        lambda: CredentialUpdate(NO),
        lambda: CredentialUpdate(RemotePartyRole.ROOT, CertificateId(1, "Z1")),
        lambda: time_tlv(TlvTag.ALERT_TIME, datetime(1969, 12, 31, tzinfo=UTC)),
        lambda: ImportReading(2**64, datetime(2024, 1, 1, tzinfo=UTC)).to_body(),
    ],
)
def test_values_that_cannot_be_written_are_refused(build: object) -> None:
    with pytest.raises(InputError):
        build()  # type: ignore[operator]


def test_times_are_whole_utc_seconds() -> None:
    local = datetime(2024, 6, 1, 13, 50, 0, 999_999, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 6, 1, 11, 50)
    assert time_tlv(TlvTag.ALERT_TIME, local) == time_tlv(TlvTag.ALERT_TIME, naive)
    assert OutageAlert.from_body(OutageAlert(local, naive).to_body()) == OutageAlert(T0, T0)


def test_outage_alert_reports_its_duration() -> None:
    assert OutageAlert(T0, T0).duration is None
    end = T0 + timedelta(minutes=3)
    assert OutageAlert(end, T0, end).duration == timedelta(minutes=3)


def test_diagnostic_is_cut_to_250_octets_and_read_back() -> None:
    tlv = diagnostic_tlv("why " * 100)
    assert len(tlv.value) == 250
    assert diagnostic((Tlv(TlvTag.ROLE, b"\x03"), tlv)) == ("why " * 100)[:250]
    assert diagnostic(()) is None


_READERS = [
    CredentialUpdate.from_body,
    CredentialsRecorded.from_body,
    DeviceStatus.from_body,
    ImportReading.from_body,
    SupplyReport.from_body,
    OutageAlert.from_body,
]
_TAGS = st.sampled_from([*(int(t) for t in TlvTag), 0x00, 0xEE])


@given(
    st.sampled_from(_READERS),
    st.lists(st.builds(Tlv, _TAGS, st.binary(max_size=24)), max_size=6),
)
def test_random_bodies_raise_only_the_codec_error(reader: object, body: list[Tlv]) -> None:
    refusal: Smets1CodecError | None = None
    try:
        reader(tuple(body))  # type: ignore[operator]
    except Smets1CodecError as error:
        refusal = error
    if refusal is not None:
        end = 34 + sum(3 + len(tlv.value) for tlv in body)
        assert refusal.field.startswith("body.") and 34 <= refusal.offset <= end
