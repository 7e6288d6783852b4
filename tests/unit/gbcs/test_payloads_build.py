"""Builders: every CS02 payload built from dataclasses decodes back to an equal dataclass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads import (
    ALERT,
    COMMAND,
    RESPONSE,
    AlertCode,
    AuthorisingRemotePartyControl,
    CellUsage,
    CpvChecks,
    ExecutionOutcome,
    IssueResponseCode,
    IssueSecurityCredentials,
    IssueSecurityCredentialsResponse,
    Payload,
    ProvideCertificateCode,
    ProvideDeviceCertificate,
    ProvideDeviceCertificateResponse,
    ProvideSecurityCredentials,
    ProvideSecurityCredentialsResponse,
    RemotePartyCredentials,
    ReplacementMode,
    ReplacementOutcome,
    SeqNumberChange,
    SpecialistSeqNumber,
    StatusCode,
    TrustAnchorCell,
    TrustAnchorCellDetails,
    TrustAnchorReplacement,
    UpdateDeviceCertificate,
    UpdateDeviceCertificateCode,
    UpdateDeviceCertificateResponse,
    UpdateSecurityCredentials,
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    decode_payload,
    decode_update_security_credentials,
    decode_update_security_credentials_response,
    encode_payload,
    encode_update_security_credentials,
    encode_update_security_credentials_alert,
    payload_to_json,
)
from s1harness.gbcs.payloads._ber import device_lengths
from s1harness.smki import TestPki
from s1harness.spec import Eui64, InputError, KeyUsage, RemotePartyRole

DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
_PKI = TestPki("gbcs-payloads")
_SUPPLIER = Eui64("90B3D51F30010000")
_DS_DER = _PKI.issue_organisation(_SUPPLIER, RemotePartyRole.SUPPLIER, DS).certificate.der
_KA_DER = _PKI.issue_organisation(_SUPPLIER, RemotePartyRole.SUPPLIER, KA).certificate.der
_CA_DER = _PKI.org_ca.certificate.der
_AUTHORISING_ROLE = {
    ReplacementMode.ROOT_BY_SUPPLIER: RemotePartyRole.SUPPLIER,
    ReplacementMode.ROOT_BY_WAN_PROVIDER: RemotePartyRole.WAN_PROVIDER,
    ReplacementMode.ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY: RemotePartyRole.RECOVERY,
    ReplacementMode.ANY_BY_CONTINGENCY: RemotePartyRole.ROOT,
    ReplacementMode.TRANS_COS_BY_TRANS_COS: RemotePartyRole.TRANSITIONAL_COS,
    ReplacementMode.SUPPLIER_BY_TRANS_COS: RemotePartyRole.TRANSITIONAL_COS,
    ReplacementMode.LOAD_CONTROLLER_BY_LOAD_CONTROLLER: RemotePartyRole.LOAD_CONTROLLER,
}


def _command(mode: ReplacementMode) -> UpdateSecurityCredentials:
    role = _AUTHORISING_ROLE.get(mode, RemotePartyRole.SUPPLIER)
    cell = (
        None if mode == ReplacementMode.ACCESS_CONTROL_BROKER_BY_ACB else TrustAnchorCell(role, DS)
    )
    odd = mode % 2 == 1
    control = AuthorisingRemotePartyControl(
        mode=mode,
        seq_number=1000 + mode,
        authorising_cell=cell,
        apply_time_based_cpv_checks=CpvChecks.DISAPPLY if odd else None,
        plaintext_symmetric_key=bytes(range(16)) if mode == 0 else None,
        floor_seq_number=None if odd else 0,
        specialist_floor_seq_numbers=(SpecialistSeqNumber(0, 7),) if mode == 2 else None,
        other_seq_number_changes=(
            (SeqNumberChange(2, 0, (SpecialistSeqNumber(0, 0),)), SeqNumberChange(3, 9))
            if mode >= 7
            else None
        ),
    )
    replacements = (
        TrustAnchorReplacement(_DS_DER, TrustAnchorCell(2, DS)),
        TrustAnchorReplacement(_KA_DER, TrustAnchorCell(2, KA, CellUsage.PREPAYMENT_TOP_UP)),
    )
    when = datetime(2030, 1, 15, tzinfo=UTC) if mode in {2, 10} else None
    return UpdateSecurityCredentials(control, replacements, (_CA_DER,), when)


def _outcome(mode: int, statuses: tuple[int, ...]) -> ExecutionOutcome:
    cells = [TrustAnchorCell(2, DS), TrustAnchorCell(2, KA), TrustAnchorCell(2, KA, 1)]
    outcomes = tuple(
        ReplacementOutcome(
            cell=cell,
            status=status,
            existing_subject_unique_id=_SUPPLIER,
            existing_subject_key_id=bytes([i]) * 8,
            replacing_subject_unique_id=_SUPPLIER,
            replacing_subject_key_id=bytes([i + 16]) * 8,
        )
        for i, (cell, status) in enumerate(zip(cells, statuses, strict=False))
    )
    changes = (SeqNumberChange(2, 0, (SpecialistSeqNumber(0, 0),)),)
    return ExecutionOutcome(1001, mode, changes, outcomes)


@pytest.mark.parametrize("mode", list(ReplacementMode), ids=lambda m: m.name)
def test_every_replacement_mode_round_trips(mode: ReplacementMode) -> None:
    command = _command(mode)
    content = encode_payload(command)
    assert decode_payload(mode.message_code, COMMAND, content) == command
    assert command.message_code == mode.message_code
    assert ReplacementMode.for_message_code(mode.message_code) is mode
    assert payload_to_json(command)["control"]["mode"] == int(mode)


def test_command_field_forms() -> None:
    command = _command(ReplacementMode.LOAD_CONTROLLER_BY_SUPPLIER)
    content = encode_update_security_credentials(command)
    # 81 01 01 disapply, A6 for [6], 02 01 01 for the prepayment cell, certificates verbatim.
    assert bytes.fromhex("810101") in content
    assert _DS_DER in content and _KA_DER in content and _CA_DER in content
    assert bytes.fromhex("300A02010203020308020101") in content
    explicit_apply = AuthorisingRemotePartyControl(
        3, 5, apply_time_based_cpv_checks=CpvChecks.APPLY
    )
    explicit = UpdateSecurityCredentials(explicit_apply, (), ())
    assert bytes.fromhex("810100") in encode_update_security_credentials(explicit)
    assert (
        decode_update_security_credentials(encode_update_security_credentials(explicit)) == explicit
    )


def test_responses_and_alerts_use_device_lengths() -> None:
    response = UpdateSecurityCredentialsResponse(_outcome(2, (0, 10, 0)))
    content = encode_payload(response)
    assert content.startswith(bytes.fromhex("308200"))
    assert decode_payload(0x0102, RESPONSE, content) == response
    assert encode_payload(UpdateSecurityCredentialsResponse()) == bytes.fromhex("30020500")
    alert = UpdateSecurityCredentialsAlert(
        AlertCode.FUTURE_DATED_FAILURE, datetime(2030, 1, 15, tzinfo=UTC), _outcome(11, (10, 10))
    )
    content = encode_update_security_credentials_alert(alert)
    assert content[4:9] == bytes.fromhex("0203008F67")
    assert decode_payload(0x0124, ALERT, content) == alert


def test_unknown_codes_stay_plain_integers() -> None:
    response = UpdateSecurityCredentialsResponse(_outcome(42, (99, 0)))
    decoded = decode_update_security_credentials_response(encode_payload(response))
    assert decoded == response and decoded.outcome is not None
    first = decoded.outcome.replacement_outcomes[0].status
    assert first == 99 and not isinstance(first, StatusCode)
    assert decoded.outcome.mode == 42 and not isinstance(decoded.outcome.mode, ReplacementMode)
    assert isinstance(decoded.outcome.replacement_outcomes[1].status, StatusCode)


PAYLOADS: list[tuple[int, int, Payload]] = [
    (0x0008, COMMAND, ProvideSecurityCredentials(TrustAnchorCell(4, KA), (2, 3, 8))),
    (
        0x011B,
        RESPONSE,
        ProvideSecurityCredentialsResponse(
            (
                RemotePartyCredentials(
                    RemotePartyRole.SUPPLIER,
                    StatusCode.SUCCESS,
                    12,
                    (
                        TrustAnchorCellDetails(DS, _SUPPLIER, bytes(8)),
                        TrustAnchorCellDetails(KA, _SUPPLIER, bytes(8)),
                        TrustAnchorCellDetails(
                            KA, _SUPPLIER, bytes(8), CellUsage.PREPAYMENT_TOP_UP
                        ),
                        TrustAnchorCellDetails(KA, _SUPPLIER, b"\xff" * 8),
                        TrustAnchorCellDetails(KA, _SUPPLIER, b"\xee" * 8),
                    ),
                ),
                RemotePartyCredentials(RemotePartyRole.TRANSITIONAL_COS, StatusCode.OTHER),
            )
        ),
    ),
    (0x000A, COMMAND, IssueSecurityCredentials(KA)),
    (0x000A, RESPONSE, IssueSecurityCredentialsResponse(csr=_CA_DER)),
    (0x000A, RESPONSE, IssueSecurityCredentialsResponse(response_code=IssueResponseCode(3))),
    (0x000B, COMMAND, UpdateDeviceCertificate(_DS_DER)),
    (0x000B, RESPONSE, UpdateDeviceCertificateResponse(UpdateDeviceCertificateCode.SUCCESS)),
    (0x000C, COMMAND, ProvideDeviceCertificate(DS)),
    (0x000C, RESPONSE, ProvideDeviceCertificateResponse(certificate=_KA_DER)),
    (0x000C, RESPONSE, ProvideDeviceCertificateResponse(response_code=ProvideCertificateCode(2))),
]


@pytest.mark.parametrize(("message_code", "cra", "payload"), PAYLOADS)
def test_other_cs02_payloads_round_trip(message_code: int, cra: int, payload: Payload) -> None:
    content = encode_payload(payload)
    assert decode_payload(message_code, cra, content) == payload
    assert payload_to_json(payload)["type"] == type(payload).__name__


def test_cs02af_response_uses_device_lengths() -> None:
    content = encode_payload(PAYLOADS[1][2])
    assert content[:4] == bytes.fromhex("308200") + bytes([len(content) - 4])


def _der_length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _sequence_of_size(size: int) -> bytes:
    """A minimal-DER SEQUENCE whose value is one OCTET STRING filling ``size`` octets."""
    fill = next(n for n in range(size, 0, -1) if 1 + len(_der_length(n)) + n == size)
    inner = b"\x04" + _der_length(fill) + bytes(fill)
    return b"\x30" + _der_length(size) + inner


def test_device_lengths_rewrite_only_constructed_128_to_255() -> None:
    assert device_lengths(_sequence_of_size(127)) == _sequence_of_size(127)
    rewritten = device_lengths(_sequence_of_size(200))
    assert rewritten[:4] == bytes.fromhex("308200C8")
    assert rewritten[4:7] == bytes.fromhex("0481C5")  # a primitive keeps its DER header
    assert device_lengths(_sequence_of_size(128))[:4] == bytes.fromhex("30820080")
    assert device_lengths(_sequence_of_size(255))[:4] == bytes.fromhex("308200FF")
    assert device_lengths(_sequence_of_size(256)) == _sequence_of_size(256)
    assert device_lengths(_sequence_of_size(300)) == _sequence_of_size(300)


def test_builder_input_errors() -> None:
    naive = UpdateSecurityCredentials(
        AuthorisingRemotePartyControl(3, 1), (), (), datetime(2030, 1, 1)
    )
    with pytest.raises(InputError, match="timezone-aware"):
        encode_payload(naive)
    with pytest.raises(InputError):
        IssueSecurityCredentialsResponse(csr=_CA_DER, response_code=1)
    with pytest.raises(InputError):
        ProvideDeviceCertificateResponse()
    with pytest.raises(InputError, match="cannot embed"):
        encode_payload(UpdateDeviceCertificate(b"\x30\x05\x00"))
    with pytest.raises(TypeError):
        encode_payload("not a payload")  # type: ignore[arg-type]


def test_local_times_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    alert = UpdateSecurityCredentialsAlert(
        0x8F66, datetime(2030, 1, 15, 1, tzinfo=paris), _outcome(2, (0,))
    )
    decoded = decode_payload(0x00CB, ALERT, encode_payload(alert))
    assert isinstance(decoded, UpdateSecurityCredentialsAlert)
    assert decoded.execution_date_time == datetime(2030, 1, 15, tzinfo=UTC)
    assert decoded.execution_date_time.tzinfo is UTC


@pytest.mark.parametrize(
    ("content", "field", "offset"),
    [
        ("3003020103", "UpdateSecurityCredentialsResponse.commandAccepted", 2),  # not NULL
        ("300405000500", "UpdateSecurityCredentialsResponse", 4),  # an element too many
        ("3006050030020201", "UpdateSecurityCredentialsResponse.executionOutcome[0]", 6),
        ("30020500FF", "UpdateSecurityCredentialsResponse", 4),  # trailing octet
        ("3080050000", "UpdateSecurityCredentialsResponse", 1),  # indefinite length
        ("30030501FF", "UpdateSecurityCredentialsResponse.commandAccepted", 2),
    ],
)
def test_errors_carry_field_and_offset(content: str, field: str, offset: int) -> None:
    with pytest.raises(GbcsCodecError) as caught:
        decode_update_security_credentials_response(bytes.fromhex(content))
    assert (caught.value.field, caught.value.offset) == (field, offset)


def test_status_must_be_enumerated_and_key_usage_one_bit() -> None:
    good = encode_payload(UpdateSecurityCredentialsResponse(_outcome(3, (0,))))
    at = good.index(bytes.fromhex("0A0100"))
    bad_status = good[:at] + b"\x02" + good[at + 1 :]
    with pytest.raises(GbcsCodecError) as caught:
        decode_payload(0x0103, RESPONSE, bad_status)
    assert caught.value.field.endswith("replacementOutcomes[0].statusCode")
    assert caught.value.offset == at
    two_bits = good.replace(bytes.fromhex("03020780"), bytes.fromhex("03020388"))
    with pytest.raises(GbcsCodecError, match="exactly one known key usage"):
        decode_payload(0x0103, RESPONSE, two_bits)


def _tlv(tag: int, *parts: bytes) -> bytes:
    value = b"".join(parts)
    return bytes([tag, len(value)]) + value


def test_subject_unique_ids_are_eight_octets() -> None:
    details = _tlv(0x30, bytes.fromhex("03020780"), _tlv(0x04, b"\xab\xcd"), _tlv(0x04, bytes(8)))
    role = _tlv(0x30, bytes.fromhex("020102 0A0100 020100"), _tlv(0x30, details))
    content = _tlv(0x30, role)
    with pytest.raises(GbcsCodecError, match="must be 8 octets") as caught:
        decode_payload(0x0008, RESPONSE, content)
    assert caught.value.field.endswith("trustAnchorCellDetails[0].subjectUniqueID")
    assert caught.value.offset == content.index(b"\x04\x02\xab\xcd")
