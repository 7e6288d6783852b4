"""The S1SP on its own: each check's alert code with no state change, replay of requests and of
device frames, tampered countersigned requests, and an instruction completed across a restart
(docs/contract.md §2.3)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from s1harness.duis import xml
from s1harness.duis.messages import DCCAlertMessage, S1SPAlert, parse_message
from s1harness.duis.signature import sign
from s1harness.roles import countersigned
from s1harness.roles.s1sp.service import S1sp
from s1harness.roles.s1sp.store import SlotKind, SlotRole, SlotStore
from s1harness.spec import checks, codes
from s1harness.spec.bus import Envelope, Kind, s1sp_from_devices

from .unit_estate import ESMES, NO, SUPPLIER, WRONG_NO, Wired, build, handover_body, no_body

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors

DEVICE = ESMES["IOC"]


def _estate() -> Wired:
    """IOC's ESME with the wrong NO placed, then handed to the right NO (MP107 on)."""
    estate = build(mp107=True)
    estate.send(SUPPLIER, DEVICE, "6.21", handover_body(estate, WRONG_NO))
    estate.send(WRONG_NO, DEVICE, "6.15.1", no_body(estate, NO))
    estate.send(NO, DEVICE, "6.15.1", no_body(estate, NO))
    return estate


def _countersigned(estate: Wired, sender: str) -> Envelope:
    """The last countersigned request the DSP sent for ``sender``."""
    return next(
        e
        for e in reversed(estate.log)
        if e.kind is Kind.COUNTERSIGNED_REQUEST and e.correlation_id.startswith(_duis(sender))
    )


def _duis(eui: str) -> str:
    return "-".join(eui[i : i + 2] for i in range(0, 16, 2))


def _alert_code(envelopes: list[Envelope]) -> str:
    assert len(envelopes) == 1 and envelopes[0].kind is Kind.S1SP_RESPONSE
    message = parse_message(xml.parse(envelopes[0].payload))
    assert isinstance(message, S1SPAlert), type(message).__name__
    return message.alert_code


def _recountersigned(estate: Wired, envelope: Envelope, **changes: object) -> Envelope:
    """The same countersigned request with fields changed, signed again with the DSP's key —
    what a faulty DSP would send (the S1SP must still refuse what the User did not sign)."""
    request = countersigned.parse(xml.parse(envelope.payload))
    changed = dataclasses.replace(request, **changes)  # type: ignore[arg-type]
    credentials = estate.dsp.credentials
    root = sign(countersigned.to_element(changed), credentials.xml_key, credentials.xml_certificate)
    return dataclasses.replace(envelope, payload=xml.serialise(root))


def test_a_replayed_countersigned_request_is_refused_s1ve3_and_changes_nothing() -> None:
    estate = _estate()
    s1sp = estate.s1sps["IOC"]
    before = s1sp.store.snapshot()
    assert _alert_code(s1sp.handle(_countersigned(estate, NO))) == "S1VE3"
    assert s1sp.store.snapshot() == before
    assert s1sp.decisions[-1].check is checks.EXECUTION_COUNTER


def test_a_stale_counter_below_the_floor_is_refused_s1ve3() -> None:
    estate = _estate()
    s1sp = estate.s1sps["IOC"]
    floor = s1sp.store.floor(DEVICE, SlotRole.NETWORK_OPERATOR)
    s1sp.store.set_floor(DEVICE, SlotRole.NETWORK_OPERATOR, floor + 100)
    before = s1sp.store.snapshot()
    estate.send(NO, DEVICE, "6.15.1", no_body(estate, NO))
    assert s1sp.decisions[-1].check is checks.EXECUTION_COUNTER
    assert s1sp.decisions[-1].code is codes.S1VE3
    assert s1sp.store.snapshot() == before


def test_a_tampered_pre_command_signature_is_refused_s1ve2() -> None:
    estate = _estate()
    s1sp = estate.s1sps["IOC"]
    original = countersigned.parse(xml.parse(_countersigned(estate, NO).payload))
    assert original.signed_precommand is not None
    forged = bytearray(original.signed_precommand)
    forged[-1] ^= 0x01  # the last octet of the User's GBCS signature
    before = s1sp.store.snapshot()
    envelope = _recountersigned(estate, _countersigned(estate, NO), signed_precommand=bytes(forged))
    assert _alert_code(s1sp.handle(envelope)) == "S1VE2"
    assert s1sp.store.snapshot() == before


def test_a_request_whose_countersignature_does_not_verify_is_refused_s1ve1() -> None:
    estate = _estate()
    s1sp = estate.s1sps["IOC"]
    envelope = _countersigned(estate, NO)
    tampered = envelope.payload.replace(b"<cs:UserRole>ED<", b"<cs:UserRole>IS<")
    assert tampered != envelope.payload
    before = s1sp.store.snapshot()
    assert _alert_code(s1sp.handle(dataclasses.replace(envelope, payload=tampered))) == "S1VE1"
    assert s1sp.store.snapshot() == before


def test_the_wrong_no_after_handover_is_refused_s1ve64_before_any_signature_check() -> None:
    estate = _estate()
    s1sp = estate.s1sps["IOC"]
    before = s1sp.store.snapshot()
    estate.send(WRONG_NO, DEVICE, "6.15.1", no_body(estate, WRONG_NO))
    assert (s1sp.decisions[-1].check, s1sp.decisions[-1].code) == (checks.OWNER, codes.S1VE64)
    assert s1sp.store.snapshot() == before


def test_a_replayed_or_forged_device_frame_is_dropped() -> None:
    estate = _estate()
    s1sp = estate.s1sps["IOC"]
    frame = estate.system.smets1[DEVICE].power_outage()[0]
    envelope = Envelope(s1sp_from_devices("IOC"), Kind.SMETS1_DEVICE_FRAME, frame, "outage")
    first = s1sp.handle(envelope)
    assert len(first) == 1  # routed to the NO in the NO slot
    assert s1sp.handle(envelope) == []
    assert "not fresh" in s1sp.decisions[-1].detail
    forged = bytearray(frame)
    forged[-1] ^= 0x80
    assert s1sp.handle(dataclasses.replace(envelope, payload=bytes(forged))) == []
    assert "integrity" in s1sp.decisions[-1].detail


def test_an_instruction_in_flight_survives_an_s1sp_restart(tmp_path: Path) -> None:
    estate = build(mp107=True)
    old = estate.s1sps["IOC"]
    database = tmp_path / "s1sp-IOC.sqlite"
    on_disk = SlotStore.open(database)
    for role in SlotRole:
        certificates = {
            kind: slot.certificate
            for kind in SlotKind
            if (slot := old.store.slot(DEVICE, role, kind)) is not None
        }
        if certificates:
            on_disk.replace(DEVICE, role, certificates, floor=old.store.floor(DEVICE, role))
    first = _restarted(old, on_disk)
    # Delivery would reach ``old``: this test delivers by hand, hop by hop.
    user = estate.users[SUPPLIER]
    request = user.request(DEVICE, "6.21", handover_body(estate, WRONG_NO))
    to_s1sp = [e for e in estate.dsp.handle(request) if e.kind is Kind.COUNTERSIGNED_REQUEST]
    instruction = first.handle(to_s1sp[0])
    assert [e.kind for e in instruction] == [Kind.SMETS1_INSTRUCTION]
    on_disk.close()

    second = _restarted(old, SlotStore.open(database))  # a new process on the same database
    answer = estate.system.smets1[DEVICE].receive(instruction[0].payload)
    out = second.handle(Envelope(s1sp_from_devices("IOC"), Kind.SMETS1_DEVICE_FRAME, answer[0], ""))
    assert [e.kind for e in out] == [Kind.S1SP_RESPONSE]
    assert not isinstance(parse_message(xml.parse(out[0].payload)), S1SPAlert)
    slot = second.store.slot(DEVICE, SlotRole.NETWORK_OPERATOR, SlotKind.CRITICAL)
    assert slot is not None and slot.owner == WRONG_NO
    assert second.store.snapshot()["pending"] == []
    assert (
        second.handle(  # the same answer again: replayed, dropped
            Envelope(s1sp_from_devices("IOC"), Kind.SMETS1_DEVICE_FRAME, answer[0], "")
        )
        == []
    )


def _restarted(template: S1sp, store: SlotStore) -> S1sp:
    return S1sp(
        template.cohort,
        store=store,
        registry=template.registry,
        keystore=template.keystore,
        signer=template.signer,
        device_key=template.device_key,
        mp107=template.mp107,
        clock=template.clock,
    )


def test_s1sp_alerts_reach_the_user_as_dcc_alerts() -> None:
    estate = _estate()
    estate.send(WRONG_NO, DEVICE, "6.15.1", no_body(estate, WRONG_NO))
    last = estate.responses(WRONG_NO)[-1]
    assert isinstance(last.body, DCCAlertMessage)


def test_an_alert_naming_no_request_and_no_recipient_is_dropped_by_the_dsp() -> None:
    estate = _estate()
    envelope = _countersigned(estate, NO)
    tampered = envelope.payload.replace(b"<cs:UserRole>ED<", b"<cs:UserRole>IS<")
    unaddressed = dataclasses.replace(envelope, payload=tampered, correlation_id="no request")
    (alert,) = estate.s1sps["IOC"].handle(unaddressed)
    assert _alert_code([alert]) == "S1VE1"
    assert estate.dsp.handle(alert) == []  # nobody to send it to: recorded, not raised
    last = estate.dsp.decisions[-1]
    assert (last.check, last.outcome) == (checks.S1SP_ALERT_RELAY, "rejected")


def test_a_device_frame_overtaken_by_a_later_one_passes_once(tmp_path: Path) -> None:
    store, device = SlotStore.open(tmp_path / "s1sp.sqlite"), "00DB111000000001"
    assert store.accept_inbound(device, 1)
    assert store.accept_inbound(device, 3)  # 2, sent before it, comes after it
    assert store.accept_inbound(device, 2)
    assert not store.accept_inbound(device, 2)  # a copy of it: a replay
    assert not store.accept_inbound(device, 1)
    assert store.accept_inbound(device, 100)
    assert not store.accept_inbound(device, 36)  # more than the window below the last
    assert store.accept_inbound(device, 37)
    store.close()
    with sqlite3.connect(tmp_path / "s1sp.sqlite") as db:  # a link kept before the window was
        db.execute("DELETE FROM link_seen")
    store = SlotStore.open(tmp_path / "s1sp.sqlite")
    assert not store.accept_inbound(device, 99)  # nothing known below the last: not fresh
    assert store.accept_inbound(device, 102) and store.accept_inbound(device, 101)
    store.close()
