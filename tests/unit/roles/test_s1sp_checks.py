"""The S1SP's checks one by one, from countersigned requests built here rather than by a DSP
(docs/checks.md): the S1SP's own MP107 flag decides SRPD 16.1 whatever the DSP's switch is, each
check refuses with its code and changes nothing, and the first check to fail answers."""

from __future__ import annotations

import pytest

from s1harness.duis import xml
from s1harness.duis.messages import RequestId, S1SPAlert, parse_message
from s1harness.roles import countersigned
from s1harness.roles.s1sp.store import SlotKind, SlotRole
from s1harness.spec import checks, codes
from s1harness.spec.bus import Envelope, Kind
from s1harness.spec.checks import Check
from s1harness.spec.codes import Code
from s1harness.spec.identifiers import Eui64

from .countersigning import countersign, dsp_signer, handover, no_update, party_signer
from .unit_estate import NO, S1_ESME, SUPPLIER, WRONG_NO, Wired, build, handover_body

DEVICE = S1_ESME  # served by IOC


def _wrong_no_placed(*, flag: bool, dsp_switch: bool = True) -> Wired:
    """IOC's ESME after a 6.21 placed the wrong NO's certificates; IOC's MP107 flag is
    ``flag``, the DSP's switch ``dsp_switch``."""
    wired = build(mp107=dsp_switch, s1sp_mp107={"IOC": flag})
    wired.deliver(handover(wired, SUPPLIER, DEVICE, handover_body(wired, WRONG_NO), counter=1000))
    assert _no_slot_owner(wired) == WRONG_NO
    return wired


def _no_slot_owner(wired: Wired) -> Eui64 | None:
    slot = wired.s1sps["IOC"].store.slot(DEVICE, SlotRole.NETWORK_OPERATOR, SlotKind.CRITICAL)
    return slot.owner if slot else None


def _refused(wired: Wired, envelope: Envelope, code: Code, check: Check) -> None:
    """The S1SP answers one S1SP alert with ``code``, logs ``check`` and changes nothing."""
    s1sp = wired.s1sps["IOC"]
    before = s1sp.store.snapshot()
    out = s1sp.handle(envelope)
    assert [e.kind for e in out] == [Kind.S1SP_RESPONSE]
    alert = parse_message(xml.parse(out[0].payload))
    assert isinstance(alert, S1SPAlert) and alert.alert_code == code.code
    last = s1sp.decisions[-1]
    assert (last.check, last.outcome, last.code) == (check, "rejected", code)
    assert s1sp.store.snapshot() == before


@pytest.mark.parametrize("dsp_switch", [True, False])
def test_with_its_flag_on_the_s1sp_lifts_srpd_16_1_for_the_wrong_no(dsp_switch: bool) -> None:
    wired = _wrong_no_placed(flag=True, dsp_switch=dsp_switch)
    s1sp = wired.s1sps["IOC"]
    request = no_update(wired, WRONG_NO, DEVICE, NO, counter=2000)
    out = s1sp.handle(request)
    assert [e.kind for e in out] == [Kind.SMETS1_INSTRUCTION]
    rdp = next(d for d in s1sp.decisions.of(request.correlation_id) if d.check is checks.S1SP_RDP)
    assert (rdp.outcome, rdp.detail) == ("lifted", str(checks.SRPD_6_2_D))
    wired.deliver(*out)  # the device carries it out; the S1SP commits the slots
    assert _no_slot_owner(wired) == NO


@pytest.mark.parametrize("dsp_switch", [True, False])
def test_with_its_flag_off_the_s1sp_refuses_the_wrong_no_s1ve4(dsp_switch: bool) -> None:
    """A partial rollout: whatever the DSP let through, this S1SP applies SRPD 16.1."""
    wired = _wrong_no_placed(flag=False, dsp_switch=dsp_switch)
    request = no_update(wired, WRONG_NO, DEVICE, NO, counter=2000)
    _refused(wired, request, codes.S1VE4, checks.S1SP_RDP)


@pytest.mark.parametrize("flag", [True, False])
def test_the_registered_no_passes_srpd_16_1_and_is_refused_at_s1sr_4_2(flag: bool) -> None:
    """The deadlock's other half: the registered NO passes the registration data check (or,
    with the flag on, has it lifted like any NO) but does not own the certificate in the slot."""
    wired = _wrong_no_placed(flag=flag)
    request = no_update(wired, NO, DEVICE, NO, counter=2000)
    _refused(wired, request, codes.S1VE64, checks.OWNER)
    decided = wired.s1sps["IOC"].decisions.of(request.correlation_id)
    assert [(d.check, d.outcome) for d in decided] == [
        (checks.S1SP_RDP, "lifted" if flag else "accepted"),
        (checks.OWNER, "rejected"),
    ]


def test_a_countersignature_not_by_the_dsp_is_refused_s1ve1() -> None:
    wired = _wrong_no_placed(flag=True)
    forged = no_update(
        wired, WRONG_NO, DEVICE, NO, counter=2000, signer=party_signer(wired, WRONG_NO)
    )
    _refused(wired, forged, codes.S1VE1, checks.COUNTERSIGNATURE)


def test_a_changed_byte_under_the_countersignature_is_refused_s1ve1() -> None:
    wired = _wrong_no_placed(flag=True)
    request = no_update(wired, WRONG_NO, DEVICE, NO, counter=2000)
    tampered = request.payload.replace(b"<cs:UserRole>ED<", b"<cs:UserRole>GT<")
    assert tampered != request.payload
    _refused(wired, Envelope(request.topic, request.kind, tampered, request.correlation_id,
                             request.headers), codes.S1VE1, checks.COUNTERSIGNATURE)  # fmt: skip


def test_a_pre_command_signed_with_a_key_not_in_the_slot_is_refused_s1ve2() -> None:
    wired = _wrong_no_placed(flag=True)
    not_in_slot = wired.system.parties[NO].credentials.ds.private_key
    request = no_update(wired, WRONG_NO, DEVICE, NO, counter=2000, ds_key=not_in_slot)
    _refused(wired, request, codes.S1VE2, checks.AUTHORISATION)


@pytest.mark.parametrize("below", [0, 1])
def test_a_counter_not_above_the_execution_counter_is_refused_s1ve3(below: int) -> None:
    wired = _wrong_no_placed(flag=True)
    wired.s1sps["IOC"].store.set_floor(DEVICE, SlotRole.NETWORK_OPERATOR, 5000)
    request = no_update(wired, WRONG_NO, DEVICE, NO, counter=5000 - below)
    _refused(wired, request, codes.S1VE3, checks.EXECUTION_COUNTER)


def test_an_executed_counter_cannot_be_used_again() -> None:
    wired = _wrong_no_placed(flag=True)
    wired.deliver(no_update(wired, WRONG_NO, DEVICE, WRONG_NO, counter=2000))
    assert wired.s1sps["IOC"].store.floor(DEVICE, SlotRole.NETWORK_OPERATOR) == 2000
    again = no_update(wired, WRONG_NO, DEVICE, WRONG_NO, counter=2000)
    _refused(wired, again, codes.S1VE3, checks.EXECUTION_COUNTER)


def test_the_first_check_to_fail_answers() -> None:
    """Forged, unregistered, badly signed: S1VE1. Unregistered and badly signed: S1VE4.
    Registered, not the owner, badly signed: S1VE64. The owner, badly signed, below the
    execution counter: S1VE2. Only below the execution counter: S1VE3."""
    wired = _wrong_no_placed(flag=False)
    bad_key = wired.system.parties[SUPPLIER].credentials.ds.private_key
    forged = party_signer(wired, WRONG_NO)
    every_fault = no_update(wired, WRONG_NO, DEVICE, NO, counter=10, signer=forged, ds_key=bad_key)
    _refused(wired, every_fault, codes.S1VE1, checks.COUNTERSIGNATURE)
    unregistered = no_update(wired, WRONG_NO, DEVICE, NO, counter=10, ds_key=bad_key)
    _refused(wired, unregistered, codes.S1VE4, checks.S1SP_RDP)
    not_owner = no_update(wired, NO, DEVICE, NO, counter=10, ds_key=bad_key)
    _refused(wired, not_owner, codes.S1VE64, checks.OWNER)
    wired.s1sps["IOC"].mp107 = True  # the flag turned on: SRPD 16.1 lifted for the wrong NO
    wired.s1sps["IOC"].store.set_floor(DEVICE, SlotRole.NETWORK_OPERATOR, 5000)
    stale_and_badly_signed = no_update(wired, WRONG_NO, DEVICE, NO, counter=10, ds_key=bad_key)
    _refused(wired, stale_and_badly_signed, codes.S1VE2, checks.AUTHORISATION)
    stale = no_update(wired, WRONG_NO, DEVICE, NO, counter=10)
    _refused(wired, stale, codes.S1VE3, checks.EXECUTION_COUNTER)


def test_a_request_an_s1sp_does_not_carry_out_is_refused_s1ve1_before_srpd_16_1() -> None:
    """A 6.15.1 without its signed pre-command (what only a faulty DSP would send)."""
    wired = _wrong_no_placed(flag=False)
    complete = countersigned.parse(
        xml.parse(no_update(wired, WRONG_NO, DEVICE, NO, counter=2000).payload)
    )
    request_id = RequestId(WRONG_NO, DEVICE, 2000)
    without = countersign(
        dsp_signer(wired), request_id, cohort="IOC", user_role="ED",
        service=complete.service_request, precommand=None,
    )  # fmt: skip
    _refused(wired, without, codes.S1VE1, checks.COUNTERSIGNATURE)
    decided = wired.s1sps["IOC"].decisions.of(str(request_id))
    assert [d.check for d in decided] == [checks.COUNTERSIGNATURE]


def test_a_countersigned_handover_sent_again_is_refused_s1ve3() -> None:
    """A captured 6.21 replayed after the wrong NO handed the device over would put the wrong
    NO's certificates back: its counter is not above the last 6.21 carried out."""
    wired = _wrong_no_placed(flag=True)  # 6.21 counter 1000 carried out
    wired.deliver(no_update(wired, WRONG_NO, DEVICE, NO, counter=2000))
    assert _no_slot_owner(wired) == NO
    replayed = handover(wired, SUPPLIER, DEVICE, handover_body(wired, WRONG_NO), counter=1000)
    _refused(wired, replayed, codes.S1VE3, checks.EXECUTION_COUNTER)
    later = handover(wired, SUPPLIER, DEVICE, handover_body(wired, WRONG_NO), counter=1001)
    wired.deliver(later)  # a new 6.21 of the supplier is carried out
    assert _no_slot_owner(wired) == WRONG_NO
