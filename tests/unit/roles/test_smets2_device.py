"""The SMETS2 device on immediate CS02b commands built with the real codec."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from s1harness.gbcs.dlms import encode_date_time
from s1harness.gbcs.payloads import (
    CpvChecks,
    ReplacementMode,
    SeqNumberChange,
    SeqNumberUsage,
    SpecialistSeqNumber,
    StatusCode,
)
from s1harness.roles.smets2 import (
    ACB_KA,
    DEFAULT_RECOVERY_ID,
    DEFAULT_TRANSITIONAL_COS_ID,
    NETWORK_OPERATOR_DS,
    NETWORK_OPERATOR_KA,
    RECOVERY_DS,
    ROOT,
    SUPPLIER_DS,
    SUPPLIER_KA,
    SUPPLIER_KA_TOP_UP,
    TRANSITIONAL_COS_DS,
    DeviceType,
    FloorSeqNumbers,
    RejectionReason,
    Smets2Device,
)
from s1harness.smki import TestPki
from s1harness.spec import Eui64, KeyUsage, RemotePartyRole
from unit.roles.smets2_support import (
    ACB_ID,
    GPF_ID,
    NO_ID,
    SUPPLIER_2_ID,
    SUPPLIER_ID,
    ManualClock,
    Parties,
    command_frame,
    device,
    held,
    parties,
    rekeyed,
    response_of,
    signed_by,
    statuses,
    update,
)

NO_BY_NO = ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR
SUPPLIER_BY_SUPPLIER = ReplacementMode.SUPPLIER_BY_SUPPLIER
DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
Reason = RejectionReason


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def known(pki: TestPki) -> Parties:
    return parties(pki)


@pytest.fixture
def esme(pki: TestPki, clock: ManualClock) -> Smets2Device:
    return device(pki, clock)


def _no_by_no(pki: TestPki, known: Parties, esme: Smets2Device, seq: int = 1200) -> bytes:
    new = rekeyed(pki, known.network_operator)
    payload = update(
        pki, NO_BY_NO, seq, [(new.ds, NETWORK_OPERATOR_DS), (new.ka, NETWORK_OPERATOR_KA)]
    )
    return signed_by(known.network_operator, payload, esme, known.acb)


def _assert_refused(esme: Smets2Device, frame: bytes, reason: RejectionReason) -> None:
    cells, floors = esme.cells, esme.floors
    reception = esme.receive_detailed(frame)
    assert reception.frames == ()
    assert reception.rejection is not None
    assert reception.rejection.reason is reason, reception.rejection.detail
    assert esme.last_rejection == reception.rejection
    assert esme.cells is cells and esme.floors is floors


# -- 6.15.1 NO by NO ---------------------------------------------------------------------------


def test_no_by_no_replaces_the_no_cells_and_answers_with_a_signed_outcome(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    new = rekeyed(pki, known.network_operator)
    frames = esme.receive(_no_by_no(pki, known, esme))

    assert len(frames) == 1 and frames[0][0] == 0xDF
    apdu, response = response_of(frames[0], esme)
    assert (apdu.counter, apdu.originator, apdu.target) == (1200, esme.device_id, NO_ID)
    assert apdu.message_code == 0x0103
    assert apdu.date_time == encode_date_time(clock.now)
    assert statuses(response) == [0, 0]
    assert response.outcome is not None
    assert response.outcome.seq_number == 1200 and response.outcome.mode == NO_BY_NO
    assert response.outcome.seq_number_changes == (
        SeqNumberChange(RemotePartyRole.NETWORK_OPERATOR, 0),
    )
    ds, ka = response.outcome.replacement_outcomes
    old = known.network_operator
    assert (ds.cell, ds.existing_subject_unique_id, ds.replacing_subject_unique_id) == (
        NETWORK_OPERATOR_DS,
        NO_ID,
        NO_ID,
    )
    assert ds.existing_subject_key_id == old.ds.certificate.ski
    assert ds.replacing_subject_key_id == new.ds.certificate.ski
    assert ka.existing_subject_key_id == old.ka.certificate.ski
    assert ka.replacing_subject_key_id == new.ka.certificate.ski
    assert held(esme, NETWORK_OPERATOR_DS) == new.ds.certificate
    assert held(esme, NETWORK_OPERATOR_KA) == new.ka.certificate
    assert esme.floors.floor(RemotePartyRole.NETWORK_OPERATOR) == 0
    assert esme.last_rejection is None


def test_after_no_by_no_the_old_no_is_refused_and_the_new_one_accepted(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    esme.receive(_no_by_no(pki, known, esme))
    newer = rekeyed(pki, known.network_operator, generation=2)
    payload = update(pki, NO_BY_NO, 5, [(newer.ka, NETWORK_OPERATOR_KA)])

    _assert_refused(
        esme, signed_by(known.network_operator, payload, esme, known.acb), Reason.SIGNATURE_FAILURE
    )
    _, response = response_of(esme.receive(signed_by(new, payload, esme, known.acb))[0], esme)
    assert statuses(response) == [0]
    assert held(esme, NETWORK_OPERATOR_KA) == newer.ka.certificate


def test_a_replayed_command_is_refused_and_changes_nothing(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new_ka = rekeyed(pki, known.network_operator).ka
    payload = update(pki, NO_BY_NO, 1200, [(new_ka, NETWORK_OPERATOR_KA)], floor=None)
    frame = signed_by(known.network_operator, payload, esme, known.acb)
    assert esme.receive(frame)
    assert esme.floors.floor(RemotePartyRole.NETWORK_OPERATOR) == 1200

    _assert_refused(esme, frame, Reason.REPLAY)
    lower = update(pki, NO_BY_NO, 1199, [(new_ka, NETWORK_OPERATOR_KA)], floor=None)
    _assert_refused(esme, signed_by(known.network_operator, lower, esme, known.acb), Reason.REPLAY)
    assert esme.last_rejection is not None
    assert esme.last_rejection.counter == 1199 and esme.last_rejection.message_code == 0x0103
    assert esme.last_rejection.code == "SMETS2-REPLAY"


def test_a_counter_must_exceed_the_commissioned_floor(
    pki: TestPki, known: Parties, clock: ManualClock
) -> None:
    esme = Smets2Device.commissioned(
        pki,
        "00DB1234567890A0",
        "ESME",
        supplier=known.supplier,
        network_operator=known.network_operator,
        acb=known.acb,
        clock=clock,
        floors=FloorSeqNumbers.initial({RemotePartyRole.NETWORK_OPERATOR: 1200}),
    )
    _assert_refused(esme, _no_by_no(pki, known, esme, seq=1200), Reason.REPLAY)
    assert esme.receive(_no_by_no(pki, known, esme, seq=1201))


def test_a_certificate_from_another_pki_fails_its_cell_only(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    foreign = TestPki("another PKI").issue_organisation(NO_ID, RemotePartyRole.NETWORK_OPERATOR, KA)
    payload = update(
        pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS), (foreign, NETWORK_OPERATOR_KA)]
    )

    _, response = response_of(
        esme.receive(signed_by(known.network_operator, payload, esme, known.acb))[0], esme
    )

    assert statuses(response) == [StatusCode.SUCCESS, StatusCode.NO_TRUST_ANCHOR]
    assert response.outcome is not None
    failed = response.outcome.replacement_outcomes[1]
    assert failed.replacing_subject_key_id == failed.existing_subject_key_id
    assert held(esme, NETWORK_OPERATOR_DS) == new.ds.certificate
    assert held(esme, NETWORK_OPERATOR_KA) == known.network_operator.ka.certificate


@pytest.mark.parametrize(
    ("cpv", "status"),
    [
        (None, StatusCode.NO_TRUST_ANCHOR),
        (CpvChecks.APPLY, StatusCode.NO_TRUST_ANCHOR),
        (CpvChecks.DISAPPLY, StatusCode.SUCCESS),
    ],
)
def test_time_based_checks_apply_unless_disapplied(
    pki: TestPki, known: Parties, esme: Smets2Device, cpv: CpvChecks | None, status: StatusCode
) -> None:
    expired = pki.issue_organisation(
        NO_ID,
        RemotePartyRole.NETWORK_OPERATOR,
        KA,
        validity=(datetime(2021, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)),
        generation=7,
    )
    payload = update(pki, NO_BY_NO, 1200, [(expired, NETWORK_OPERATOR_KA)], cpv=cpv)

    _, response = response_of(
        esme.receive(signed_by(known.network_operator, payload, esme, known.acb))[0], esme
    )

    assert statuses(response) == [status]
    assert (held(esme, NETWORK_OPERATOR_KA) == expired.certificate) is (
        status == StatusCode.SUCCESS
    )


def test_a_certificate_of_the_wrong_key_usage_is_a_bad_certificate(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(
        pki,
        NO_BY_NO,
        1200,
        [(new.ka, NETWORK_OPERATOR_DS), (b"\x30\x03\x02\x01\x00", NETWORK_OPERATOR_KA)],
    )

    _, response = response_of(
        esme.receive(signed_by(known.network_operator, payload, esme, known.acb))[0], esme
    )

    assert statuses(response) == [StatusCode.BAD_CERTIFICATE] * 2
    assert held(esme, NETWORK_OPERATOR_DS) == known.network_operator.ds.certificate


# -- refusals ----------------------------------------------------------------------------------


def test_the_no_may_not_replace_supplier_cells(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    impostor = rekeyed(pki, known.supplier)
    payload = update(pki, NO_BY_NO, 1200, [(impostor.ds, SUPPLIER_DS)])
    _assert_refused(
        esme, signed_by(known.network_operator, payload, esme, known.acb), Reason.MODE_MISMATCH
    )


def test_the_authorising_cell_must_be_the_modes(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(
        pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)], authorising_cell=SUPPLIER_DS
    )
    _assert_refused(
        esme, signed_by(known.network_operator, payload, esme, known.acb), Reason.MODE_MISMATCH
    )


def test_the_message_code_must_carry_the_payloads_mode(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    frame = signed_by(known.network_operator, payload, esme, known.acb, message_code=0x0102)
    _assert_refused(esme, frame, Reason.MODE_MISMATCH)


def test_a_command_without_the_acb_mac_is_refused(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    bare = command_frame(
        payload,
        originator=NO_ID,
        signer=known.network_operator.ds.private_key,
        acb_ka=None,
        target=esme,
    )
    _assert_refused(esme, bare, Reason.MAC_FAILURE)


def test_a_bad_mac_is_refused(pki: TestPki, known: Parties, esme: Smets2Device) -> None:
    frame = bytearray(_no_by_no(pki, known, esme))
    frame[-1] ^= 0x01
    _assert_refused(esme, bytes(frame), Reason.MAC_FAILURE)
    other_acb = rekeyed(pki, known.acb)
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    _assert_refused(
        esme, signed_by(known.network_operator, payload, esme, other_acb), Reason.MAC_FAILURE
    )


def test_a_command_unsigned_or_signed_by_another_party_is_refused(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    unsigned = command_frame(
        payload, originator=NO_ID, signer=None, acb_ka=known.acb.ka.private_key, target=esme
    )
    forged = command_frame(
        payload,
        originator=NO_ID,
        signer=known.supplier.ds.private_key,
        acb_ka=known.acb.ka.private_key,
        target=esme,
    )
    _assert_refused(esme, unsigned, Reason.SIGNATURE_FAILURE)
    _assert_refused(esme, forged, Reason.SIGNATURE_FAILURE)


def test_the_originator_must_be_the_subject_of_the_authorising_cell(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    frame = command_frame(
        payload,
        originator=SUPPLIER_ID,
        signer=known.network_operator.ds.private_key,
        acb_ka=known.acb.ka.private_key,
        target=esme,
    )
    _assert_refused(esme, frame, Reason.UNKNOWN_AUTHORISER)


def test_the_arpc_seq_number_must_equal_the_header_counter(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    frame = signed_by(known.network_operator, payload, esme, known.acb, counter=1201)
    _assert_refused(esme, frame, Reason.SEQUENCE_MISMATCH)


def test_frames_for_other_devices_or_not_commands_are_refused(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    other = device(pki, clock, device_id=Eui64("00DB1234567890B0"))
    _assert_refused(esme, _no_by_no(pki, known, other), Reason.NOT_ADDRESSED_TO_DEVICE)
    response = esme.receive(_no_by_no(pki, known, esme))[0]
    _assert_refused(esme, response, Reason.NOT_ADDRESSED_TO_DEVICE)


def test_garbage_and_unmodelled_use_cases_are_refused(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    _assert_refused(esme, b"\xdf\x09\x01", Reason.MALFORMED)
    new = rekeyed(pki, known.network_operator)
    payload = update(pki, NO_BY_NO, 1200, [(new.ds, NETWORK_OPERATOR_DS)])
    cs02a = signed_by(known.network_operator, payload, esme, known.acb, message_code=0x0008)
    _assert_refused(esme, cs02a, Reason.UNSUPPORTED)
    root = update(pki, ReplacementMode.ROOT_BY_SUPPLIER, 1200, [], authorising_cell=SUPPLIER_DS)
    _assert_refused(esme, signed_by(known.supplier, root, esme, known.acb), Reason.UNSUPPORTED)
    truncated = signed_by(known.network_operator, payload, esme, known.acb)[:-20]
    _assert_refused(esme, truncated, Reason.MALFORMED)
    assert esme.last_rejection is not None and esme.last_rejection.counter is None


def test_a_gsme_has_no_network_operator_to_authorise(
    pki: TestPki, known: Parties, clock: ManualClock
) -> None:
    gsme = device(pki, clock, device_type=DeviceType.GSME)
    _assert_refused(gsme, _no_by_no(pki, known, gsme), Reason.UNKNOWN_AUTHORISER)


# -- other modes -------------------------------------------------------------------------------


def test_supplier_by_supplier_replaces_the_prepayment_cell_and_sets_the_top_up_floor(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new = rekeyed(pki, known.supplier)
    top_up = pki.issue_organisation(SUPPLIER_ID, RemotePartyRole.SUPPLIER, KA, generation=3)
    specialist = (SpecialistSeqNumber(SeqNumberUsage.PREPAYMENT_TOP_UP, 40),)
    payload = update(
        pki,
        SUPPLIER_BY_SUPPLIER,
        1000,
        [(new.ds, SUPPLIER_DS), (new.ka, SUPPLIER_KA), (top_up, SUPPLIER_KA_TOP_UP)],
        floor=7,
        specialist=specialist,
        cpv=CpvChecks.DISAPPLY,
    )

    apdu, response = response_of(
        esme.receive(signed_by(known.supplier, payload, esme, known.acb))[0], esme
    )

    assert apdu.target == SUPPLIER_ID and apdu.message_code == 0x0102
    assert statuses(response) == [0, 0, 0]
    assert response.outcome is not None
    assert response.outcome.seq_number_changes == (
        SeqNumberChange(RemotePartyRole.SUPPLIER, 7, specialist),
    )
    assert held(esme, SUPPLIER_KA_TOP_UP) == top_up.certificate
    assert esme.floors.floor(RemotePartyRole.SUPPLIER) == 7
    assert esme.floors.specialist_floor(RemotePartyRole.SUPPLIER) == 40


def test_supplier_by_transitional_cos_installs_a_new_supplier_and_resets_its_floor(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    transitional_cos = pki.issue_organisation(
        DEFAULT_TRANSITIONAL_COS_ID, RemotePartyRole.TRANSITIONAL_COS, DS
    )
    gaining = pki.issue_party(SUPPLIER_2_ID, RemotePartyRole.SUPPLIER)
    reset = (SeqNumberChange(RemotePartyRole.SUPPLIER, 0),)
    payload = update(
        pki,
        ReplacementMode.SUPPLIER_BY_TRANS_COS,
        6001,
        [(gaining.ds, SUPPLIER_DS), (gaining.ka, SUPPLIER_KA), (gaining.ka, SUPPLIER_KA_TOP_UP)],
        floor=None,
        other=reset,
    )
    frame = command_frame(
        payload,
        originator=DEFAULT_TRANSITIONAL_COS_ID,
        signer=transitional_cos.private_key,
        acb_ka=known.acb.ka.private_key,
        target=esme,
    )

    apdu, response = response_of(esme.receive(frame)[0], esme)

    assert apdu.target == DEFAULT_TRANSITIONAL_COS_ID
    assert statuses(response) == [0, 0, 0]
    assert response.outcome is not None and response.outcome.seq_number_changes == reset
    assert held(esme, SUPPLIER_DS) == gaining.ds.certificate
    assert esme.floors.floor(RemotePartyRole.TRANSITIONAL_COS) == 6001
    assert esme.floors.floor(RemotePartyRole.SUPPLIER) == 0


def test_recovery_is_a_bare_signed_command_that_may_replace_any_cell_but_root(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    recovery = pki.issue_organisation(DEFAULT_RECOVERY_ID, RemotePartyRole.RECOVERY, DS)
    new_no = rekeyed(pki, known.network_operator)
    others = (
        SeqNumberChange(RemotePartyRole.NETWORK_OPERATOR, 0),
        SeqNumberChange(RemotePartyRole.ACCESS_CONTROL_BROKER, 0),
    )
    mode = ReplacementMode.ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY
    payload = update(
        pki,
        mode,
        7000,
        [
            (recovery, RECOVERY_DS),
            (new_no.ds, NETWORK_OPERATOR_DS),
            (new_no.ka, NETWORK_OPERATOR_KA),
        ],
        other=others,
        cpv=CpvChecks.DISAPPLY,
    )
    frame = command_frame(
        payload,
        originator=DEFAULT_RECOVERY_ID,
        signer=recovery.private_key,
        acb_ka=None,
        target=esme,
    )

    _, response = response_of(esme.receive(frame)[0], esme)

    assert statuses(response) == [0, 0, 0]
    assert response.outcome is not None
    changes = response.outcome.seq_number_changes
    assert changes == (SeqNumberChange(RemotePartyRole.RECOVERY, 0), *others)
    assert held(esme, NETWORK_OPERATOR_DS) == new_no.ds.certificate
    root = update(pki, mode, 7001, [(known.supplier.ds, ROOT)])
    bare = command_frame(
        root, originator=DEFAULT_RECOVERY_ID, signer=recovery.private_key, acb_ka=None, target=esme
    )
    _assert_refused(esme, bare, Reason.MODE_MISMATCH)


def test_acb_by_acb_is_authenticated_by_the_mac_alone(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    new_acb = rekeyed(pki, known.acb)
    payload = update(
        pki, ReplacementMode.ACCESS_CONTROL_BROKER_BY_ACB, 1300, [(new_acb.ka, ACB_KA)]
    )
    frame = command_frame(
        payload, originator=ACB_ID, signer=None, acb_ka=known.acb.ka.private_key, target=esme
    )

    apdu, response = response_of(esme.receive(frame)[0], esme)

    assert apdu.target == ACB_ID and apdu.message_code == 0x0104
    assert statuses(response) == [0]
    assert held(esme, ACB_KA) == new_acb.ka.certificate
    new_no = rekeyed(pki, known.network_operator)
    later = update(pki, NO_BY_NO, 1200, [(new_no.ka, NETWORK_OPERATOR_KA)])
    _assert_refused(
        esme, signed_by(known.network_operator, later, esme, known.acb), Reason.MAC_FAILURE
    )
    assert esme.receive(signed_by(known.network_operator, later, esme, new_acb))


def test_handover_the_acb_signs_to_replace_its_placeholders_on_a_gpf(
    pki: TestPki, known: Parties, clock: ManualClock
) -> None:
    gpf = device(pki, clock, device_type=DeviceType.GPF, device_id=GPF_ID, placeholders=True)
    assert held(gpf, NETWORK_OPERATOR_DS) == known.acb.ds.certificate
    operator = known.network_operator
    payload = update(
        pki,
        NO_BY_NO,
        1301,
        [(operator.ds, NETWORK_OPERATOR_DS), (operator.ka, NETWORK_OPERATOR_KA)],
    )

    apdu, response = response_of(gpf.receive(signed_by(known.acb, payload, gpf, known.acb))[0], gpf)

    assert apdu.originator == GPF_ID and apdu.target == ACB_ID
    assert statuses(response) == [0, 0]
    assert response.outcome is not None
    ds = response.outcome.replacement_outcomes[0]
    assert (ds.existing_subject_unique_id, ds.replacing_subject_unique_id) == (ACB_ID, NO_ID)
    assert ds.existing_subject_key_id == known.acb.ds.certificate.ski
    assert held(gpf, SUPPLIER_DS) == known.acb.ds.certificate  # the supplier's handover is separate
    after = update(pki, NO_BY_NO, 1, [(rekeyed(pki, operator).ka, NETWORK_OPERATOR_KA)])
    _assert_refused(gpf, signed_by(known.acb, after, gpf, known.acb), Reason.UNKNOWN_AUTHORISER)
    assert gpf.receive(signed_by(operator, after, gpf, known.acb))


def test_transitional_cos_cell_is_replaced_by_its_own_mode(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    transitional_cos = pki.issue_organisation(
        DEFAULT_TRANSITIONAL_COS_ID, RemotePartyRole.TRANSITIONAL_COS, DS
    )
    successor = pki.issue_organisation(
        DEFAULT_TRANSITIONAL_COS_ID, RemotePartyRole.TRANSITIONAL_COS, DS, generation=1
    )
    payload = update(
        pki,
        ReplacementMode.TRANS_COS_BY_TRANS_COS,
        6000,
        [(successor, TRANSITIONAL_COS_DS)],
        floor=None,
    )
    frame = command_frame(
        payload,
        originator=DEFAULT_TRANSITIONAL_COS_ID,
        signer=transitional_cos.private_key,
        acb_ka=known.acb.ka.private_key,
        target=esme,
    )

    _, response = response_of(esme.receive(frame)[0], esme)

    assert statuses(response) == [0]
    assert response.outcome is not None and response.outcome.seq_number_changes == ()
