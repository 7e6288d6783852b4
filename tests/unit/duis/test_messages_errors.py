"""Bad DUIS documents fail with DuisParseError saying where; bad fields fail with InputError."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    CertificateHash,
    DCCAlertMessage,
    DeviceAlertMessage,
    DuisRemotePartyRole,
    FutureDatedDeviceAlertMessage,
    GenericBody,
    GenericContent,
    Message,
    ReplacementCertificates,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestHeader,
    RequestId,
    Response,
    ResponseHeader,
    S1SPAlert,
    SecurityCredentialsUpdated,
    UpdateSecurityCredentialsKRP,
    parse_message,
    parse_request,
    parse_response,
    parse_s1sp_alert,
    parse_smets1_signed_response,
    to_element,
)
from s1harness.duis.ns import SR
from s1harness.spec import Eui64, InputError
from support import VECTORS

NO_BY_NO = VECTORS / "duis" / "requests" / "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
KRP_PATH = "/sr:Request/sr:Body/sr:UpdateSecurityCredentialsKRP"
ID = RequestId(Eui64("90B3D51F30020000"), Eui64("00DB1234567890A0"), 1200)
WHEN = datetime(2030, 1, 1, tzinfo=UTC)


def _template() -> bytes:
    return NO_BY_NO.read_bytes()


def _parse(data: bytes) -> Message:
    return parse_message(xml.parse(data))


def _error(data: bytes) -> DuisParseError:
    with pytest.raises(DuisParseError) as raised:
        _parse(data)
    return raised.value


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b'<x:Request xmlns:x="urn:other" schemaVersion="5.4"/>', "wrong namespace"),
        (b'<Request schemaVersion="5.4"/>', "wrong namespace"),
        (f'<sr:Acknowledgement xmlns:sr="{SR}"/>'.encode(), "not a DUIS message"),
    ],
)
def test_roots_outside_duis_are_refused(document: bytes, message: str) -> None:
    error = _error(document)
    assert message in str(error)
    assert error.path is not None and error.line == 1


def test_each_parse_function_wants_its_own_root() -> None:
    root = xml.parse(f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4"/>'.encode())
    for parse in (parse_request, parse_s1sp_alert, parse_smets1_signed_response):
        with pytest.raises(DuisParseError, match="the root is sr:Response"):
            parse(root)
    with pytest.raises(DuisParseError, match="missing mandatory sr:Header"):
        parse_response(root)


@pytest.mark.vectors
@pytest.mark.parametrize(
    ("old", "new", "path", "line", "message"),
    [
        (
            b"90-B3-D5-1F-30-02-00-00:",
            b"90B3D51F30020000:",
            "/sr:Request/sr:Header/sr:RequestID",
            4,
            "not a DUIS RequestID",
        ),
        (
            b":1200<",
            b":18446744073709551616<",
            "/sr:Request/sr:Header/sr:RequestID",
            4,
            "RequestID",
        ),
        (
            b"<sr:ApplyTimeBasedCPVChecks>true</sr:ApplyTimeBasedCPVChecks>",
            b"",
            f"{KRP_PATH}/sr:ApplyTimeBasedCPVChecks",
            10,
            "missing mandatory sr:ApplyTimeBasedCPVChecks",
        ),
        (
            b"<sr:RemotePartyRole>NetworkOperator</sr:RemotePartyRole>",
            b"",
            f"{KRP_PATH}/sr:RemotePartyRole",
            12,
            "found sr:RemotePartyFloorSeqNumber",
        ),
        (
            b"<sr:DigitalSigningCertificate>MIIB",
            b"<sr:DigitalSigningCertificate>!!MIIB",
            f"{KRP_PATH}/sr:ReplacementCertificates/sr:SupplierOrNetworkOperatorCertificates"
            "/sr:DigitalSigningCertificate",
            15,
            "not valid base64",
        ),
        (
            b">NetworkOperator<",
            b">ImportSupplier<",
            f"{KRP_PATH}/sr:RemotePartyRole",
            11,
            "unknown",
        ),
        (b">true<", b">yes<", f"{KRP_PATH}/sr:ApplyTimeBasedCPVChecks", 22, "not a boolean"),
        (
            b">4</sr:CommandVariant>",
            b">10</sr:CommandVariant>",
            "/sr:Request/sr:Header/sr:CommandVariant",
            5,
            "outside 1..9",
        ),
        (
            b">0</sr:RemotePartyFloorSeqNumber>",
            b">-1</sr:RemotePartyFloorSeqNumber>",
            f"{KRP_PATH}/sr:RemotePartyFloorSeqNumber",
            12,
            "outside",
        ),
        (b' schemaVersion="5.4"', b"", "/sr:Request/@schemaVersion", 2, "schemaVersion"),
        (b' schemaVersion="5.4"', b' schemaVersion="v5"', "/sr:Request", 2, "decimal"),
        (
            b"<sr:RemotePartyRole>",
            b"<sr:ExecutionDateTime>2030-13-01T00:00:00Z</sr:ExecutionDateTime><sr:RemotePartyRole>",
            f"{KRP_PATH}/sr:ExecutionDateTime",
            11,
            "month",
        ),
        (
            b"<sr:RemotePartyRole>",
            b"<sr:ExecutionDateTime>tomorrow</sr:ExecutionDateTime><sr:RemotePartyRole>",
            f"{KRP_PATH}/sr:ExecutionDateTime",
            11,
            "not an xs:dateTime",
        ),
        (
            b"</sr:ReplacementCertificates>",
            b"</sr:ReplacementCertificates><sr:Extra/>",
            f"{KRP_PATH}/sr:CertificationPathCertificates",
            18,
            "(found sr:Extra)",
        ),
        (
            b"</sr:UpdateSecurityCredentialsKRP>",
            b"<sr:Extra/></sr:UpdateSecurityCredentialsKRP>",
            f"{KRP_PATH}/sr:Extra",
            23,
            "unexpected element sr:Extra",
        ),
        (
            b"<sr:CommandVariant>4",
            b"<sr:CommandVariant><sr:X/>4",
            "/sr:Request/sr:Header/sr:CommandVariant/sr:X",
            5,
            "unexpected element sr:X",
        ),
    ],
)
def test_structural_errors_carry_path_and_line(
    vectors: Path, old: bytes, new: bytes, path: str, line: int, message: str
) -> None:
    data = (vectors / "duis" / "requests" / NO_BY_NO.name).read_bytes()
    assert old in data
    error = _error(data.replace(old, new, 1))
    assert message in str(error)
    assert (error.path, error.line) == (path, line)
    assert path in str(error) and f"line {line}" in str(error)


@pytest.mark.vectors
def test_four_path_certificates_are_too_many(vectors: Path) -> None:
    data = (vectors / "duis" / "requests" / NO_BY_NO.name).read_bytes()
    start = data.index(b"<sr:Certificate>")
    end = data.index(b"</sr:Certificate>") + len(b"</sr:Certificate>")
    error = _error(data[:end] + data[start:end] * 3 + data[end:])
    assert "more than 3" in str(error) and error.path is not None
    assert error.path.endswith("/sr:CertificationPathCertificates/sr:Certificate[4]")


@pytest.mark.vectors
def test_6_21_needs_the_digital_signing_certificate_and_no_wrapper(vectors: Path) -> None:
    name = "CS02bNOByNOHandover_6.21_SUCCESS_REQUEST_DUIS.XML"
    data = (vectors / "duis" / "requests" / name).read_bytes()
    start = data.index(b"<sr:DigitalSigningCertificate>")
    end = data.index(b"</sr:DigitalSigningCertificate>") + len(b"</sr:DigitalSigningCertificate>")
    error = _error(data[:start] + data[end:])
    assert "missing mandatory sr:DigitalSigningCertificate" in str(error)
    wrapped = data.replace(
        b"<sr:ReplacementCertificates>",
        b"<sr:ReplacementCertificates><sr:SupplierOrNetworkOperatorCertificates>",
    ).replace(
        b"</sr:ReplacementCertificates>",
        b"</sr:SupplierOrNetworkOperatorCertificates></sr:ReplacementCertificates>",
    )
    assert "SupplierOrNetworkOperatorCertificates" in str(_error(wrapped))


def test_base64_tolerates_whitespace_and_hex_either_case() -> None:
    document = (
        f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4"><sr:Header>'
        "<sr:ResponseCode>I0</sr:ResponseCode>"
        "<sr:ResponseDateTime> 2030-01-01T01:00:00+01:00 </sr:ResponseDateTime></sr:Header>"
        "<sr:Body><sr:DeviceAlertMessage><sr:AlertCode>8f36</sr:AlertCode>"
        "<sr:GBCSPayload>\n AAEC\r\n AwQ= \n</sr:GBCSPayload></sr:DeviceAlertMessage></sr:Body>"
        "</sr:Response>"
    ).encode()
    response = _parse(document)
    assert isinstance(response, Response)
    assert response == parse_message(to_element(response))
    assert response.body == DeviceAlertMessage("8F36", bytes([0, 1, 2, 3, 4]))
    assert response.header == ResponseHeader("I0", WHEN)


def test_a_document_without_line_numbers_still_names_the_path() -> None:
    root = to_element(
        Request(
            RequestHeader(ID, 5, "6.15", "6.15.1"),
            GenericBody.of(xml.parse(f'<sr:Foo xmlns:sr="{SR}"/>'.encode())),
        )
    )
    root[0][0].text = "nonsense"
    with pytest.raises(DuisParseError) as raised:
        parse_message(root)
    assert raised.value.path == "/sr:Request/sr:Header/sr:RequestID"
    assert raised.value.line is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: RequestId(Eui64("90B3D51F30020000"), Eui64("00DB1234567890A0"), 2**64),
        lambda: RequestId(Eui64("90B3D51F30020000"), Eui64("00DB1234567890A0"), -1),
        lambda: RequestId("90B3D51F3002", "00DB1234567890A0", 1),  # type: ignore[arg-type]
        lambda: RequestHeader(ID, 0, "6.15", "6.15.1"),
        lambda: RequestHeader(ID, 4, " ", "6.15.1"),
        lambda: Request(RequestHeader(ID, 4, "6.15", "6.15.1"), _krp(), schema_version="five"),
        lambda: _krp(certification_path_certificates=()),
        lambda: _krp(certification_path_certificates=(b"1", b"2", b"3", b"4")),
        lambda: _krp(remote_party_floor_seq_number=2**63),
        lambda: _krp(execution_date_time=datetime(2030, 1, 1)),
        lambda: _krp(remote_party_role="Importer"),
        lambda: RequestHandoverOfDCCControlledDevice(
            DuisRemotePartyRole.SUPPLIER, ReplacementCertificates(None, b"KA"), (b"Z1",), True
        ),
        lambda: ResponseHeader("X1", WHEN),
        lambda: ResponseHeader("I0", datetime(2030, 1, 1)),
        lambda: FutureDatedDeviceAlertMessage("8F36", b"", 1, 1),
        lambda: FutureDatedDeviceAlertMessage("8F66", b"", 65536, 1),
        lambda: DeviceAlertMessage("8F3", b""),
        lambda: DeviceAlertMessage("8F36", b"", 2**32),
        lambda: DCCAlertMessage("N32x", GenericContent.of(xml.parse(b"<a/>"))),
        lambda: SecurityCredentialsUpdated(
            Eui64("00DB1234567890A0"),
            DuisRemotePartyRole.SUPPLIER,
            None,
            1,
            (("DigitalSigning", b""),),  # type: ignore[arg-type]
        ),
        lambda: SecurityCredentialsUpdated(
            Eui64("00DB1234567890A0"), DuisRemotePartyRole.SUPPLIER, None, None, ()
        ),
        lambda: SecurityCredentialsUpdated(
            Eui64("00DB1234567890A0"),
            DuisRemotePartyRole.SUPPLIER,
            None,
            None,
            (CertificateHash("KeyCertSign", b""),),  # type: ignore[arg-type]
        ),
        lambda: S1SPAlert(alert_code="S1VE4", date_time=WHEN, utrn="123"),
        lambda: S1SPAlert(alert_code="S1VE4", date_time=datetime(2030, 1, 1)),
        lambda: GenericContent("Foo", b"<Bar/>"),
        lambda: GenericContent("Foo", b"<Foo>"),
    ],
)
def test_bad_fields_are_refused_when_building(build: object) -> None:
    with pytest.raises((InputError, ValueError)):
        build()  # type: ignore[operator]


def _krp(**changes: object) -> UpdateSecurityCredentialsKRP:
    fields: dict[str, object] = {
        "remote_party_role": DuisRemotePartyRole.SUPPLIER,
        "replacement_certificates": ReplacementCertificates(b"DS"),
        "certification_path_certificates": (b"Z1",),
        "apply_time_based_cpv_checks": True,
    }
    return UpdateSecurityCredentialsKRP(**{**fields, **changes})  # type: ignore[arg-type]


_MUTATION_SOURCES = [
    NO_BY_NO,
    VECTORS / "duis" / "requests" / "CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML",
    VECTORS / "duis" / "responses" / "readfw-response.xml",
    VECTORS / "duis" / "responses" / "acknowledgement-error.xml",
]
_ALPHABET = st.sampled_from([*"<>/&\"'=:-.0159AaFfZz \n\t", "é", "\x00", "sr:", "ra:"])


@pytest.mark.vectors
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(_MUTATION_SOURCES),
    at=st.floats(0, 1, exclude_max=True),
    operation=st.sampled_from(["replace", "insert", "delete"]),
    text=_ALPHABET,
)
def test_mutated_documents_parse_or_raise_parse_errors(
    source: Path, at: float, operation: str, text: str
) -> None:
    data = source.read_bytes()
    index = int(at * len(data))
    chunk = text.encode()
    mutated = {
        "replace": data[:index] + chunk + data[index + 1 :],
        "insert": data[:index] + chunk + data[index:],
        "delete": data[:index] + data[index + 1 :],
    }[operation]
    try:
        message = _parse(mutated)
    except DuisParseError:
        return
    # Whatever parses is a message the model can write back and read again unchanged.
    assert parse_message(to_element(message)) == message
