"""Built messages validate against the DUIS 5.4 XSD and survive a byte round trip."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.messages import (
    Asn1Status,
    CertificateHash,
    CertificateType,
    ClockStatus,
    CredentialsReplacementMode,
    DCCAlertMessage,
    DeviceAlertContent,
    DeviceAlertMessage,
    DuisRemotePartyRole,
    ExecutionOutcome,
    FutureDatedDeviceAlertMessage,
    GbcsData,
    GbcsPayload,
    GenericBody,
    GenericContent,
    LocalCommand,
    Message,
    PreCommand,
    RemotePartySeqNumberChange,
    ReplacementCertificates,
    ReplacementOutcome,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestHeader,
    RequestId,
    Response,
    ResponseHeader,
    ResponseMessage,
    S1SPAlert,
    S1SPAlertDSP,
    SecurityCredentialsUpdated,
    SignedPreCommand,
    SMETS1DeviceAlertMessage,
    SMETS1Header,
    SMETS1Response,
    SMETS1ResponseMessage,
    SMETS1ResponsePayload,
    SMETS1SignedResponse,
    SMETS1Timestamp,
    UpdateSecurityCredentialsKRP,
    UpdateSecurityCredentialsKRPRsp,
    parse_message,
    to_element,
)
from s1harness.duis.ns import DS, RA, SR, XSI, ds, sr
from s1harness.spec import Eui64, InputError

NO = Eui64("90-B3-D5-1F-30-02-00-00")
SUPPLIER = Eui64("90B3D51F30010000")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
REQUEST_ID = RequestId(NO, ESME, 1200)
WHEN = datetime(2030, 1, 1, tzinfo=UTC)
DER = b"\x30\x82\x01\x93" + bytes(range(256)) * 2
Z1 = b"\x30\x82\x01\xa0" + b"\x5a" * 40
PRE_COMMAND = bytes.fromhex("DF0901000000000000") + bytes(range(60))
SIGNED_PRE_COMMAND = PRE_COMMAND + b"\x40" + bytes(64)


def _generic(fragment: str) -> GenericContent:
    """A pass-through element written with the ``sr:`` and ``ra:`` prefixes."""
    wrapper = etree.fromstring(f'<w xmlns:sr="{SR}" xmlns:ra="{RA}">{fragment}</w>')
    return GenericContent.of(wrapper[0])


def _header(code: str, *, response_id: bool = False) -> ResponseHeader:
    return ResponseHeader(code, WHEN, REQUEST_ID, REQUEST_ID.swapped() if response_id else None)


def _credentials(service_reference: str = "6.15") -> ResponseMessage:
    return ResponseMessage(service_reference, "6.15.1")


def _s1sp_alert() -> S1SPAlert:
    return S1SPAlert(
        request_id=REQUEST_ID,
        device_id=ESME,
        alert_code="S1VE64",
        additional_information="security credential no longer on the device",
        utrn="12345678901234567890",
        date_time=datetime(2030, 1, 1, 0, 0, 1, 250000, tzinfo=UTC),
    )


def _smets1_header() -> SMETS1Header:
    return SMETS1Header(
        business_originator_id=ESME,
        business_target_id=NO,
        originator_counter=1200,
        supplementary_remote_party_id=SUPPLIER,
        supplementary_remote_party_counter=1000,
        supplementary_originator_counter=2**64 - 1,
        gbcs_hexadecimal_message_code="00ab",
        service_reference="6.15",
        service_reference_variant="6.15.1",
        timestamp=SMETS1Timestamp(WHEN, is_from_gsme=False, clock_status=ClockStatus.RELIABLE),
    )


def _krp_outcome() -> ExecutionOutcome:
    outcome = ReplacementOutcome(
        status_code=Asn1Status("success", 0),
        certificate_type=CertificateType.DIGITAL_SIGNING,
        remote_party_role=DuisRemotePartyRole.NETWORK_OPERATOR,
        existing_remote_party_id=NO,
        new_remote_party_id=NO,
        existing_certificate_hash=hashlib.sha1(Z1).digest(),
        new_certificate_hash=hashlib.sha1(DER).digest(),
    )
    return ExecutionOutcome(
        authorising_remote_party_originator_counter=1200,
        credentials_replacement_mode=CredentialsReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
        remote_party_seq_number_change=RemotePartySeqNumberChange(
            DuisRemotePartyRole.NETWORK_OPERATOR, 0, None
        ),
        replacement_outcomes=(
            outcome,
            ReplacementOutcome(status_code=Asn1Status("badCertificate", 1)),
        ),
    )


def _signed_response(
    body: SMETS1ResponsePayload | SMETS1DeviceAlertMessage,
) -> SMETS1SignedResponse:
    return SMETS1SignedResponse(response=SMETS1Response(_smets1_header(), body))


def _smets1_krp() -> SMETS1SignedResponse:
    return _signed_response(
        SMETS1ResponsePayload(
            gbcs_data=(GbcsData(PRE_COMMAND, "plain", 0, "CS02b response", "gbcs"),),
            smets_data=UpdateSecurityCredentialsKRPRsp(True, _krp_outcome()),
            debug_info=_generic(
                '<ra:SMETS1Debug><ra:SMETS1Response ResponseCode="0" Position="1">'
                "<ra:Error>none</ra:Error></ra:SMETS1Response></ra:SMETS1Debug>"
            ),
        )
    )


def _smets1_alert() -> SMETS1SignedResponse:
    content = DeviceAlertContent(
        "Supply Outage", WHEN, "8f36", _generic("<ra:FirmwareVerificationDeviceAlert/>")
    )
    return _signed_response(SMETS1DeviceAlertMessage((), content))


SAMPLES: dict[str, Message] = {
    "6.15.1 CV4": Request(
        RequestHeader(REQUEST_ID, 4, "6.15", "6.15.1", True, RequestId(NO, ESME, 1199)),
        UpdateSecurityCredentialsKRP(
            DuisRemotePartyRole.SUPPLIER,
            ReplacementCertificates(DER, DER[:-1], DER[:-2]),
            (Z1, Z1, Z1),
            False,
            WHEN,
            0,
            2**63 - 1,
        ),
    ),
    "6.15.1 CV4 minimal": Request(
        RequestHeader(REQUEST_ID, 4, "6.15", "6.15.1"),
        UpdateSecurityCredentialsKRP(
            DuisRemotePartyRole.NETWORK_OPERATOR, ReplacementCertificates(), (Z1,), True
        ),
    ),
    "SignedPreCommand CV5": Request(
        RequestHeader(REQUEST_ID, 5, "6.15", "6.15.1"), SignedPreCommand(SIGNED_PRE_COMMAND, WHEN)
    ),
    "6.21 CV1": Request(
        RequestHeader(RequestId(SUPPLIER, ESME, 1000), 1, "6.21", "6.21"),
        RequestHandoverOfDCCControlledDevice(
            DuisRemotePartyRole.SUPPLIER, ReplacementCertificates(DER), (Z1,), True, None, 0
        ),
        schema_version="5.1",
    ),
    "generic request body": Request(
        RequestHeader(RequestId(SUPPLIER, Eui64("90B3D51F30000002"), 1), 8, "8.2", "8.2"),
        GenericBody.of(
            _generic(
                "<sr:ReadInventory><sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID></sr:ReadInventory>"
            ).element
        ),
    ),
    "I0 PreCommand": Response(
        _header("I0"), ResponseMessage("6.15", "6.15.1", PreCommand("4.2", PRE_COMMAND))
    ),
    "I99 acknowledgement": Response(_header("I99"), _credentials()),
    "E2 error": Response(_header("E2"), _credentials()),
    "E061501 error": Response(_header("E061501"), _credentials()),
    "I0 GBCSPayload": Response(
        _header("I0", response_id=True), ResponseMessage("6.15", "6.15.1", GbcsPayload(PRE_COMMAND))
    ),
    "I0 LocalCommand": Response(
        _header("I0"), ResponseMessage("6.15", "6.15.1", LocalCommand(SIGNED_PRE_COMMAND))
    ),
    "I0 DSPScheduleID": Response(
        _header("I0"),
        ResponseMessage("5.1", "5.1", _generic("<sr:DSPScheduleID>42</sr:DSPScheduleID>")),
    ),
    "future-dated outcome": Response(
        _header("I0", response_id=True),
        ResponseMessage("6.15", "6.15.1", FutureDatedDeviceAlertMessage("8f66", PRE_COMMAND, 1, 1)),
    ),
    "device alert": Response(
        ResponseHeader("I0", WHEN), DeviceAlertMessage("8F36", PRE_COMMAND, 7, 2)
    ),
    "DCC alert SecurityCredentialsUpdated": Response(
        ResponseHeader("I0", WHEN),
        DCCAlertMessage(
            "N42",
            SecurityCredentialsUpdated(
                ESME,
                DuisRemotePartyRole.SUPPLIER,
                0,
                5,
                (
                    CertificateHash(CertificateType.DIGITAL_SIGNING, bytes(20)),
                    CertificateHash(CertificateType.KEY_AGREEMENT, b"\x01" * 20),
                    CertificateHash(CertificateType.KEY_AGREEMENT_TOP_UP, b"\x02" * 20),
                ),
            ),
        ),
    ),
    "DCC alert SecurityCredentialsUpdated minimal": Response(
        ResponseHeader("I0", WHEN),
        DCCAlertMessage(
            "N1",
            SecurityCredentialsUpdated(
                ESME,
                "NetworkOperator",  # type: ignore[arg-type]
                None,
                None,
                (("DigitalSigning", bytes(20)),),  # type: ignore[arg-type]
            ),
            1,
            2,
        ),
    ),
    "DCC alert S1SPAlertDSP": Response(
        ResponseHeader("I0", WHEN, REQUEST_ID),
        DCCAlertMessage("N999", S1SPAlertDSP(_s1sp_alert(), 10**12)),
    ),
    "DCC alert generic": Response(
        ResponseHeader("I0", WHEN),
        DCCAlertMessage(
            "AD1",
            _generic(
                "<sr:CoSCertificateAlert><sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>"
                "</sr:CoSCertificateAlert>"
            ),
        ),
    ),
    "SMETS1 6.15.1 response": Response(
        _header("I0", response_id=True),
        SMETS1ResponseMessage(
            service_reference="6.15",
            service_reference_variant="6.15.1",
            dsp_schedule_id=3,
            throttled_alert_sequence_id=4,
            throttled_alert_count=5,
            signed_response=_smets1_krp(),
        ),
    ),
    "SMETS1 device alert": Response(
        ResponseHeader("I0", WHEN), SMETS1ResponseMessage(signed_response=_smets1_alert())
    ),
    "S1SPAlert": _s1sp_alert(),
    "S1SPAlert minimal": S1SPAlert(alert_code="", date_time=WHEN, schema_version="5.1"),
    "SMETS1SignedResponse": _smets1_krp(),
    "SMETS1SignedResponse empty": _signed_response(SMETS1ResponsePayload()),
}


@pytest.mark.vectors
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_built_message_validates(
    name: str,
    duis_schema: etree.XMLSchema,
    sign_placeholders: Callable[[etree._Element], etree._Element],
) -> None:
    duis_schema.assertValid(sign_placeholders(to_element(SAMPLES[name])))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_built_message_round_trips(name: str) -> None:
    message = SAMPLES[name]
    again = parse_message(xml.parse(xml.serialise(to_element(message))))
    assert again == message
    assert type(again) is type(message)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_built_messages_are_unsigned_and_declare_the_template_namespaces(name: str) -> None:
    root = to_element(SAMPLES[name])
    assert root.find(ds("Signature")) is None
    assert {k: v for k, v in root.nsmap.items() if k != "ra"} == {"sr": SR, "ds": DS, "xsi": XSI}
    mmc = any(etree.QName(e).namespace == RA for e in root.iter())
    assert ("ra" in root.nsmap) == mmc, "ra is declared exactly where MMC content occurs"


def test_the_wire_form_is_compact_utc_with_milliseconds() -> None:
    eastern = timezone(timedelta(hours=-5))
    response = Response(
        ResponseHeader("I0", datetime(2029, 12, 31, 19, 0, tzinfo=eastern), REQUEST_ID),
        ResponseMessage("6.15", "6.15.1", GbcsPayload(bytes(200))),
    )
    data = xml.serialise(to_element(response))
    assert b"<sr:ResponseDateTime>2030-01-01T00:00:00.000Z</sr:ResponseDateTime>" in data
    assert b"\n" not in data and b"> <" not in data
    assert b"<sr:RequestID>90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1200<" in data


def test_sub_millisecond_times_keep_their_precision() -> None:
    precise = datetime(2030, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    response = Response(ResponseHeader("I0", precise), _credentials())
    assert b".123456Z<" in xml.serialise(to_element(response))
    assert parse_message(to_element(response)) == response


@pytest.mark.vectors
def test_a_signed_s1sp_alert_is_relayed_byte_for_byte(
    duis_schema: etree.XMLSchema, sign_placeholders: Callable[[etree._Element], etree._Element]
) -> None:
    signed_element = sign_placeholders(to_element(_s1sp_alert()))
    signed = parse_message(xml.parse(xml.serialise(signed_element)))
    assert isinstance(signed, S1SPAlert) and signed.signed and signed == _s1sp_alert()
    relay = Response(ResponseHeader("I0", WHEN), DCCAlertMessage("N12", S1SPAlertDSP(signed)))
    root = to_element(relay)
    duis_schema.assertValid(root)  # nothing added: the S1SP's signature came along
    embedded = root.find(f".//{sr('S1SPAlert')}")
    assert embedded is not None
    assert _exclusive(embedded) == _exclusive(signed_element)
    received = parse_message(xml.parse(xml.serialise(root)))
    assert isinstance(received, Response) and received == relay
    assert isinstance(received.body, DCCAlertMessage)
    assert isinstance(received.body.alert, S1SPAlertDSP) and received.body.alert.alert.signed


@pytest.mark.vectors
def test_a_signed_smets1_response_is_relayed_byte_for_byte(
    duis_schema: etree.XMLSchema, sign_placeholders: Callable[[etree._Element], etree._Element]
) -> None:
    signed_element = sign_placeholders(to_element(_smets1_krp()))
    signed = parse_message(signed_element)
    assert isinstance(signed, SMETS1SignedResponse) and signed.signed
    relay = Response(_header("I0"), SMETS1ResponseMessage(signed_response=signed))
    root = to_element(relay)
    duis_schema.assertValid(root)
    embedded = root.find(f".//{sr('SMETS1SignedResponse')}")
    assert embedded is not None and _exclusive(embedded) == _exclusive(signed_element)
    assert to_element(signed) is not signed.element
    assert _exclusive(to_element(signed)) == _exclusive(signed_element)


def test_a_kept_element_must_still_match_the_fields() -> None:
    signed = parse_message(to_element(_s1sp_alert()))
    assert isinstance(signed, S1SPAlert) and not signed.signed

    with pytest.raises(InputError, match="does not match"):
        to_element(replace(signed, alert_code="S1VE4"))
    smets1 = parse_message(to_element(_smets1_alert()))
    assert isinstance(smets1, SMETS1SignedResponse)
    with pytest.raises(InputError, match="does not match"):
        to_element(replace(smets1, schema_version="5.3"))


def _exclusive(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=True)
