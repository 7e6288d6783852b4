"""CS02 payloads of the RTDS vectors: decode, their outcomes, byte-exact rebuild."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads import (
    CellUsage,
    CpvChecks,
    ProvideSecurityCredentialsResponse,
    ReplacementMode,
    SeqNumberChange,
    SpecialistSeqNumber,
    StatusCode,
    TrustAnchorCell,
    UpdateSecurityCredentials,
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    decode_payload,
    encode_payload,
    payload_to_json,
)
from s1harness.spec import KeyUsage, RemotePartyRole

if TYPE_CHECKING:
    from unit.gbcs.conftest import RtdsPayload

pytestmark = pytest.mark.vectors

DS, KA, KCS = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT, KeyUsage.KEY_CERT_SIGN
FUTURE = datetime(2030, 1, 15, tzinfo=UTC)
CANCEL = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
BARE_ACCEPTED = bytes.fromhex("30020500")

# Non-zero statuses per file; every other status in the vectors is 0.
NON_ZERO: dict[str, list[tuple[object, int]]] = {
    "CS02bSupplierBySupplier_6.15.1_IMMEDIATE_ERROR_RESPONSE": [(TrustAnchorCell(2, KA), 10)],
    "CS02bSupplierBySupplier_6.15.1_8F67_FUTURE_DATED_ERROR_ALERT": [(TrustAnchorCell(2, KA), 10)],
    "CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_ERROR_RESPONSE": [
        (TrustAnchorCell(8, DS), 10),
        (TrustAnchorCell(8, KA), 10),
    ],
    "CS02gLoadControllerBySupplier_6.15.1_8F67_FUTURE_DATED_ERROR_ALERT": [
        (TrustAnchorCell(8, DS), 10),
        (TrustAnchorCell(8, KA), 10),
    ],
    "CS02bAnyByContingency_NA_ERROR_RESPONSE": [
        (TrustAnchorCell(2, KA, CellUsage.PREPAYMENT_TOP_UP), 10)
    ],
    "CS02aMAC_6.24.1_ERROR_RESPONSE": [(RemotePartyRole.NETWORK_OPERATOR, 25)],
    "CS02aSignature_NA_ERROR_RESPONSE": [(RemotePartyRole.WAN_PROVIDER, 25)],
    "CS02fMAC_6.24.1_ERROR_RESPONSE": [(RemotePartyRole.TRANSITIONAL_COS, 127)],
    "CS02fSignature_NA_ERROR_RESPONSE": [(RemotePartyRole.TRANSITIONAL_COS, 127)],
}


def _decoded(payloads: tuple[RtdsPayload, ...]) -> dict[str, object]:
    return {p.name: decode_payload(p.message_code, p.cra, p.content) for p in payloads}


def _by_name(payloads: tuple[RtdsPayload, ...], name: str) -> object:
    (match,) = [p for p in payloads if p.name == name]
    return decode_payload(match.message_code, match.cra, match.content)


def _statuses(payload: object) -> list[tuple[object, int]]:
    if isinstance(payload, ProvideSecurityCredentialsResponse):
        return [(c.role, c.status) for c in payload.credentials]
    if isinstance(payload, UpdateSecurityCredentialsResponse | UpdateSecurityCredentialsAlert):
        outcomes = payload.outcome.replacement_outcomes if payload.outcome else ()
        return [(o.cell, o.status) for o in outcomes]
    return []


def test_all_84_cs02abfg_payloads_decode(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    families = Counter(p.family for p in cs02_payloads)
    assert families == {
        "CS02a": 8,
        "CS02b": 41,
        "CS02f": 8,
        "CS02g": 27,
        "CS02c": 6,
        "CS02d": 6,
        "CS02e": 6,
    }
    decoded = [decode_payload(p.message_code, p.cra, p.content) for p in cs02_payloads]
    pairs = zip(decoded, cs02_payloads, strict=True)
    abfg = [d for d, p in pairs if p.family in {"CS02a", "CS02b", "CS02f", "CS02g"}]
    assert len(abfg) == 84
    kinds = Counter(type(d).__name__ for d in abfg)
    assert kinds == {
        "UpdateSecurityCredentials": 37,  # 23 COMMAND + 14 PRECOMMAND
        "UpdateSecurityCredentialsResponse": 25,
        "UpdateSecurityCredentialsAlert": 6,
        "ProvideSecurityCredentials": 8,
        "ProvideSecurityCredentialsResponse": 8,
    }


def test_statuses_match_the_inventory(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    seen = 0
    for name, payload in _decoded(cs02_payloads).items():
        statuses = _statuses(payload)
        non_zero = [(what, status) for what, status in statuses if status != 0]
        assert non_zero == NON_ZERO.get(name, []), name
        assert all(isinstance(s, StatusCode) for _, s in statuses)
        seen += len(statuses)
    assert seen == 80  # 51 in CS02b/g responses, 15 in alerts, 14 roles in CS02a/f responses


def test_future_dated_and_cancellation_responses_are_bare(
    cs02_payloads: tuple[RtdsPayload, ...],
) -> None:
    bare = [p for p in cs02_payloads if p.content == BARE_ACCEPTED]
    assert len(bare) == 10
    assert all("FUTURE_DATED" in p.name or "CANCELLATION" in p.name for p in bare)
    for p in bare:
        assert p.cra == 2
        assert (
            decode_payload(p.message_code, p.cra, p.content) == UpdateSecurityCredentialsResponse()
        )


def test_execution_date_times(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    times: dict[str, set[datetime | None]] = {"FUTURE": set(), "CANCEL": set(), "IMMEDIATE": set()}
    for name, payload in _decoded(cs02_payloads).items():
        if isinstance(payload, UpdateSecurityCredentials):
            kind = (
                "CANCEL"
                if "CANCELLATION" in name
                else "FUTURE"
                if "FUTURE" in name
                else "IMMEDIATE"
            )
            times[kind].add(payload.execution_date_time)
        if isinstance(payload, UpdateSecurityCredentialsAlert):
            assert payload.execution_date_time in {FUTURE, datetime(2030, 1, 2, tzinfo=UTC)}
    assert times["FUTURE"] == {FUTURE, datetime(2030, 1, 2, tzinfo=UTC)}  # 6.23 uses 2 January
    assert times["CANCEL"] == {CANCEL}
    assert times["IMMEDIATE"] == {None}


def test_seq_numbers_follow_the_header_counters(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    for p in cs02_payloads:
        payload = decode_payload(p.message_code, p.cra, p.content)
        if isinstance(payload, UpdateSecurityCredentials):
            assert payload.control.seq_number == p.counter, p.name
            assert payload.message_code == p.message_code
        elif isinstance(payload, UpdateSecurityCredentialsResponse) and payload.outcome:
            assert payload.outcome.seq_number == p.counter, p.name


def test_authorising_remote_party_control_rows(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    """A few rows of how the ARPC varies between the RTDS commands."""
    no = _by_name(cs02_payloads, "CS02bNOByNO_6.15.1_SUCCESS_COMMAND")
    assert isinstance(no, UpdateSecurityCredentials)
    assert no.control.mode == ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR
    assert no.control.authorising_cell == TrustAnchorCell(RemotePartyRole.NETWORK_OPERATOR, DS)
    assert (no.control.seq_number, no.control.floor_seq_number) == (1200, 0)
    assert no.control.apply_time_based_cpv_checks is None
    assert [r.target.key_usage for r in no.replacements] == [DS, KA]
    assert len(no.certification_path_certificates) == 1

    acb = _by_name(cs02_payloads, "CS02bACBByACB_8.5_SUCCESS_COMMAND")
    assert isinstance(acb, UpdateSecurityCredentials)
    assert acb.control.mode == ReplacementMode.ACCESS_CONTROL_BROKER_BY_ACB
    assert acb.control.authorising_cell is None
    assert [r.target for r in acb.replacements] == [TrustAnchorCell(4, KA)]

    tcos = _by_name(cs02_payloads, "CS02bTransCoSByTransCoS_NA_SUCCESS_COMMAND")
    assert isinstance(tcos, UpdateSecurityCredentials)
    assert tcos.control.mode == ReplacementMode.TRANS_COS_BY_TRANS_COS
    assert tcos.control.apply_time_based_cpv_checks == CpvChecks.DISAPPLY
    assert tcos.control.floor_seq_number is None
    assert tcos.control.seq_number == 6000

    recovery = _by_name(cs02_payloads, "CS02bAnyExceptAbnormalRootByRecovery_NA_SUCCESS_COMMAND")
    assert isinstance(recovery, UpdateSecurityCredentials)
    assert recovery.control.authorising_cell == TrustAnchorCell(RemotePartyRole.RECOVERY, DS)
    assert recovery.control.other_seq_number_changes == (
        SeqNumberChange(2, 0, (SpecialistSeqNumber(0, 0),)),
        SeqNumberChange(3, 0),
        SeqNumberChange(4, 0),
        SeqNumberChange(5, 0),
    )
    assert len(recovery.replacements) == 8

    supplier = _by_name(cs02_payloads, "CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND")
    assert isinstance(supplier, UpdateSecurityCredentials)
    assert supplier.control.specialist_floor_seq_numbers == (SpecialistSeqNumber(0, 0),)
    assert supplier.replacements[2].target == TrustAnchorCell(2, KA, CellUsage.PREPAYMENT_TOP_UP)

    cancel = _by_name(cs02_payloads, "CS02bSupplierByTransCoS_6.23_CANCELLATION_SUCCESS_COMMAND")
    assert isinstance(cancel, UpdateSecurityCredentials)
    assert cancel.control.other_seq_number_changes is None
    assert cancel.execution_date_time == CANCEL

    lc = _by_name(cs02_payloads, "CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_ERROR_COMMAND")
    assert isinstance(lc, UpdateSecurityCredentials)
    assert lc.control.mode == ReplacementMode.LOAD_CONTROLLER_BY_SUPPLIER
    assert lc.control.other_seq_number_changes == (SeqNumberChange(8, 0),)
    assert lc.message_code == 0x0126


def test_contingency_outcome_replaces_the_root_cell(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    response = _by_name(cs02_payloads, "CS02bAnyByContingency_NA_SUCCESS_RESPONSE")
    assert isinstance(response, UpdateSecurityCredentialsResponse) and response.outcome
    root = response.outcome.replacement_outcomes[0]
    assert root.cell == TrustAnchorCell(RemotePartyRole.ROOT, KCS)
    assert root.existing_subject_unique_id == "0000000000000000"
    assert root.existing_subject_key_id == bytes.fromhex("48CF1B32697C4669")
    assert len(response.outcome.replacement_outcomes) == 9


def _minimal(data: bytes) -> bytes:
    """Independent check: the same TLV tree with every length in minimal DER form."""
    out, at = bytearray(), 0
    while at < len(data):
        tag, first, start = data[at], data[at + 1], at + 2
        length = first
        if first & 0x80:
            length = int.from_bytes(data[start : start + (first & 0x7F)], "big")
            start += first & 0x7F
        value = data[start : start + length]
        value = _minimal(value) if tag & 0x20 else value
        size = len(value)
        head = bytes([size]) if size < 0x80 else _long(size)
        out += bytes([tag]) + head + value
        at = start + length
    return bytes(out)


def _long(size: int) -> bytes:
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def test_every_cs02_payload_rebuilds_byte_for_byte(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    non_minimal = []
    for p in cs02_payloads:
        payload = decode_payload(p.message_code, p.cra, p.content)
        assert payload is not None
        assert encode_payload(payload) == p.content, p.name
        if _minimal(p.content) != p.content:
            non_minimal.append(p)
    assert len(cs02_payloads) == 102
    assert len(non_minimal) == 18  # every device payload: 82 00 nn lengths
    assert {p.cra for p in non_minimal} == {2, 3}
    assert {p.family for p in non_minimal} == {"CS02a", "CS02b", "CS02f", "CS02g"}


def test_json_views(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    for p in cs02_payloads:
        payload = decode_payload(p.message_code, p.cra, p.content)
        assert payload is not None
        view = payload_to_json(payload)
        assert view["type"] == type(payload).__name__
        json.dumps(view)
    command = _by_name(cs02_payloads, "CS02bNOByNO_6.15.1_SUCCESS_COMMAND")
    assert isinstance(command, UpdateSecurityCredentials)
    view = payload_to_json(command)
    first = view["replacements"][0]["certificate"]
    assert first == {
        "der_length": 407,
        "subject_eui": "90B3D51F30020000",
        "serial": "68AAC8A913BCB4D9634CAE09D909A533",
        "role": 3,
        "key_usage": "digitalSignature",
    }
    assert view["control"]["authorising_cell"] == {
        "role": 3,
        "key_usage": "digitalSignature",
        "cell_usage": 0,
    }
    response = _by_name(cs02_payloads, "CS02bNOByNO_6.15.1_SUCCESS_RESPONSE")
    assert isinstance(response, UpdateSecurityCredentialsResponse)
    outcome = payload_to_json(response)["outcome"]["replacement_outcomes"][0]
    assert outcome["existing_subject_key_id"] == "48CF97FA9F827FB5"
    assert outcome["replacing_subject_unique_id"] == "90B3D51F30020000"


def test_other_message_codes_are_not_modelled(other_payloads: tuple[RtdsPayload, ...]) -> None:
    assert len(other_payloads) == 66
    assert all(decode_payload(p.message_code, p.cra, p.content) is None for p in other_payloads)


def test_a_cra_without_a_payload_is_an_error(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    alert = next(p for p in cs02_payloads if p.cra == 3)
    with pytest.raises(GbcsCodecError) as caught:
        decode_payload(alert.message_code, 1, alert.content)
    assert caught.value.field == "cra"
