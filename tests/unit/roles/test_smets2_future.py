"""Future-dated CS02b/CS02g commands: held, executed by ``tick()``, reported by 8F66/8F67 alerts,
and cancelled by the 9999-12-31T23:59:59Z execution date-time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, decode
from s1harness.gbcs.payloads import (
    AlertCode,
    ReplacementMode,
    SeqNumberChange,
    UpdateSecurityCredentialsAlert,
    decode_update_security_credentials_alert,
)
from s1harness.roles.smets2 import (
    CANCELLATION,
    LOAD_CONTROLLER_DS,
    LOAD_CONTROLLER_KA,
    NETWORK_OPERATOR_KA,
    SUPPLIER_DS,
    SUPPLIER_KA,
    Smets2Device,
)
from s1harness.smki import IssuedCertificate, TestPki
from s1harness.spec import RemotePartyRole
from unit.roles.smets2_support import (
    NO_ID,
    SUPPLIER_ID,
    ManualClock,
    Parties,
    device,
    held,
    parties,
    rekeyed,
    response_of,
    signed_by,
    update,
)

SUPPLIER_BY_SUPPLIER = ReplacementMode.SUPPLIER_BY_SUPPLIER
WHEN = datetime(2030, 1, 15, tzinfo=UTC)
ACCEPTED_ONLY = bytes.fromhex("30020500")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def known(pki: TestPki) -> Parties:
    return parties(pki)


@pytest.fixture
def esme(pki: TestPki, clock: ManualClock) -> Smets2Device:
    return device(pki, clock)


def _supplier_update(
    pki: TestPki,
    known: Parties,
    esme: Smets2Device,
    seq: int,
    when: datetime,
    *,
    ka: IssuedCertificate | None = None,
) -> bytes:
    new = rekeyed(pki, known.supplier)
    replacements = [(new.ds, SUPPLIER_DS), (ka or new.ka, SUPPLIER_KA)]
    payload = update(pki, SUPPLIER_BY_SUPPLIER, seq, replacements, execution=when)
    return signed_by(known.supplier, payload, esme, known.acb)


def _alert(
    frame: bytes, esme: Smets2Device
) -> tuple[GeneralSigningApdu, UpdateSecurityCredentialsAlert]:
    apdu = decode(frame)
    assert isinstance(apdu, GeneralSigningApdu) and apdu.cra is Cra.ALERT
    assert verify_signature(apdu, esme.ds_certificate.public_key())
    assert apdu.date_time is None
    return apdu, decode_update_security_credentials_alert(apdu.content)


def test_a_future_dated_command_is_accepted_then_executed_with_an_8f66_alert(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    new = rekeyed(pki, known.supplier)
    [frame] = esme.receive(_supplier_update(pki, known, esme, 1001, WHEN))

    apdu, response = response_of(frame, esme)
    assert apdu.content == ACCEPTED_ONLY and response.outcome is None
    assert held(esme, SUPPLIER_DS) == known.supplier.ds.certificate
    assert [p.execute_at for p in esme.pending] == [WHEN]
    assert esme.floors.floor(RemotePartyRole.SUPPLIER) == 1001
    assert esme.tick() == []

    clock.now = WHEN + timedelta(seconds=1)
    [alert_frame] = esme.tick()

    alert_apdu, alert = _alert(alert_frame, esme)
    assert (alert_apdu.counter, alert_apdu.originator, alert_apdu.target) == (
        2000,
        esme.device_id,
        SUPPLIER_ID,
    )
    assert alert_apdu.message_code == 0x00CB
    assert alert.alert_code == AlertCode.FUTURE_DATED_SUCCESS
    assert alert.execution_date_time == WHEN
    assert alert.outcome.seq_number == 1001
    assert [int(o.status) for o in alert.outcome.replacement_outcomes] == [0, 0]
    assert alert.outcome.seq_number_changes == (SeqNumberChange(RemotePartyRole.SUPPLIER, 0),)
    assert held(esme, SUPPLIER_DS) == new.ds.certificate
    assert esme.floors.floor(RemotePartyRole.SUPPLIER) == 0
    assert esme.next_alert_counter == 2001
    assert esme.pending == () and esme.tick() == []


def test_a_future_dated_failure_raises_8f67_with_the_failing_cell(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    foreign = TestPki("another PKI").issue_organisation(
        SUPPLIER_ID, RemotePartyRole.SUPPLIER, SUPPLIER_KA.key_usage
    )
    esme.receive(_supplier_update(pki, known, esme, 1004, WHEN, ka=foreign))
    clock.now = WHEN

    [alert_frame] = esme.tick()

    _, alert = _alert(alert_frame, esme)
    assert alert.alert_code == AlertCode.FUTURE_DATED_FAILURE
    assert [int(o.status) for o in alert.outcome.replacement_outcomes] == [0, 10]
    assert held(esme, SUPPLIER_KA) == known.supplier.ka.certificate


def test_a_cancellation_drops_the_held_command(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    esme.receive(_supplier_update(pki, known, esme, 1001, WHEN))
    [frame] = esme.receive(_supplier_update(pki, known, esme, 1002, CANCELLATION))

    apdu, _ = response_of(frame, esme)
    assert apdu.counter == 1002 and apdu.content == ACCEPTED_ONLY
    assert esme.pending == ()
    clock.now = WHEN + timedelta(days=1)
    assert esme.tick() == []
    assert held(esme, SUPPLIER_DS) == known.supplier.ds.certificate
    assert esme.next_alert_counter == 2000


def test_a_cancellation_of_another_role_leaves_the_held_command(
    pki: TestPki, known: Parties, esme: Smets2Device
) -> None:
    esme.receive(_supplier_update(pki, known, esme, 1001, WHEN))
    new_no = rekeyed(pki, known.network_operator)
    cancel = update(
        pki,
        ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
        1200,
        [(new_no.ka, NETWORK_OPERATOR_KA)],
        execution=CANCELLATION,
    )
    assert esme.receive(signed_by(known.network_operator, cancel, esme, known.acb))
    assert len(esme.pending) == 1


def test_a_newer_future_dated_command_replaces_the_held_one(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    later = WHEN + timedelta(days=2)
    esme.receive(_supplier_update(pki, known, esme, 1001, WHEN))
    esme.receive(_supplier_update(pki, known, esme, 1002, later))

    assert [(p.accepted.counter, p.execute_at) for p in esme.pending] == [(1002, later)]
    clock.now = later
    [alert_frame] = esme.tick()
    assert _alert(alert_frame, esme)[1].outcome.seq_number == 1002


def test_commands_held_for_two_roles_raise_alerts_with_consecutive_counters(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    new_no = rekeyed(pki, known.network_operator)
    no_update = update(
        pki,
        ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
        1200,
        [(new_no.ka, NETWORK_OPERATOR_KA)],
        execution=WHEN + timedelta(hours=1),
    )
    esme.receive(signed_by(known.network_operator, no_update, esme, known.acb))
    esme.receive(_supplier_update(pki, known, esme, 1001, WHEN))
    clock.now = WHEN + timedelta(days=1)

    alerts = [_alert(frame, esme)[0] for frame in esme.tick()]

    assert [(a.counter, a.target) for a in alerts] == [(2000, SUPPLIER_ID), (2001, NO_ID)]


def test_an_execution_time_already_past_executes_at_once(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    [frame] = esme.receive(_supplier_update(pki, known, esme, 1001, clock.now - timedelta(days=1)))
    _, response = response_of(frame, esme)
    assert response.outcome is not None and esme.pending == ()


def test_cs02g_load_controller_by_supplier_alerts_under_0x0124(
    pki: TestPki, known: Parties, esme: Smets2Device, clock: ManualClock
) -> None:
    supplier = known.supplier  # RTDS installs the supplier's own certificates in LC cells
    lc_update = update(
        pki,
        ReplacementMode.LOAD_CONTROLLER_BY_SUPPLIER,
        1001,
        [(supplier.ds, LOAD_CONTROLLER_DS), (supplier.ka, LOAD_CONTROLLER_KA)],
        floor=None,
        other=(SeqNumberChange(RemotePartyRole.LOAD_CONTROLLER, 0),),
        execution=WHEN,
    )
    [frame] = esme.receive(signed_by(supplier, lc_update, esme, known.acb))
    assert decode(frame).raw[-65 - 4 : -65] == ACCEPTED_ONLY
    clock.now = WHEN

    [alert_frame] = esme.tick()

    apdu, alert = _alert(alert_frame, esme)
    assert apdu.message_code == 0x0124 and apdu.target == SUPPLIER_ID
    assert alert.alert_code == AlertCode.FUTURE_DATED_SUCCESS
    assert held(esme, LOAD_CONTROLLER_DS) == supplier.ds.certificate
