"""The scenarios of DESIGN §3.4 (the FIA's SIT/UIT approach) for every S1SP cohort and SMETS1
device type, end to end on the in-memory bus: each asserts the check that accepted or refused
the request at every hop, and that a refusal changed no store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from s1harness.duis.messages import GbcsPayload, ResponseMessage, SMETS1ResponseMessage
from s1harness.estate.presets import (
    EXPORT_SUPPLIER,
    NETWORK_OPERATOR,
    OTHER_SUPPLIER,
    OTHER_USER,
    SUPPLIER_AGENT,
    WRONG_NETWORK_OPERATOR,
)
from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.gbcs.payloads import decode_update_security_credentials_response
from s1harness.roles.smets2.cells import NETWORK_OPERATOR_DS
from s1harness.roles.smets2.rejection import RejectionReason
from s1harness.spec.identifiers import Eui64
from s1harness.testing import Harness, refusal

from .scenarios import CASES, Case, decisions, estate, refused_at

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors


async def _accepted(h: Harness, sender: Eui64, device: Eui64, srv: str, body: object) -> None:
    exchange = await h.send(sender, device, srv, body)  # type: ignore[arg-type]
    outcome = await h.outcome(exchange)
    assert isinstance(outcome.body, SMETS1ResponseMessage), refusal(outcome)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_positive_no_handover(case: Case) -> None:
    async with Harness.start(estate()) as h:
        device = case.device(h)
        # The supplier's 6.21 puts the wrong NO's certificates on the device.
        await _accepted(
            h, case.supplier, device, "6.21", h.bodies.handover(case.wrong_network_operator)
        )
        assert h.slot_owner(device) == case.wrong_network_operator

        # The wrong NO's 6.15.1 places the correct NO's: the RDP check is not applied.
        before = len(h.inbox(case.network_operator))
        sent = await h.send(
            case.wrong_network_operator, device, "6.15.1",
            h.bodies.update_credentials(case.network_operator),
        )  # fmt: skip
        outcome = await h.outcome(sent)
        assert isinstance(outcome.body, SMETS1ResponseMessage)
        assert sent.codes == ["I0", "I99", "I0"]
        steps = decisions(h, sent)
        assert ("DSP", "SRPD 6.1(f)", "lifted") in steps
        assert (case.cohort, "SRPD 16.1", "lifted") in steps
        assert (case.cohort, "S1SR 4.2", "accepted") in steps
        assert (case.cohort, "execution", "accepted") in steps
        assert h.slot_owner(device) == case.network_operator
        await h.alert(case.network_operator, code="N42", after=before)

        # The correct NO is now the Known Remote Party: its critical SR is accepted…
        await _accepted(
            h, case.network_operator, device, "6.15.1",
            h.bodies.update_credentials(case.network_operator),
        )  # fmt: skip
        # …its alerts reach it and not the wrong NO…
        before_right = len(h.inbox(case.network_operator))
        before_wrong = len(h.inbox(case.wrong_network_operator))
        await h.power_outage(device, timedelta(minutes=5))
        await h.alert(case.network_operator, code="8F57", after=before_right)
        await h.alert(case.network_operator, code="8F36", after=before_right)
        await h.settle()
        assert len(h.inbox(case.wrong_network_operator)) == before_wrong
        # …and the wrong NO is refused by the owner check.
        snapshot = h.snapshot()
        sent = await h.send(
            case.wrong_network_operator, device, "6.15.1",
            h.bodies.update_credentials(case.wrong_network_operator),
        )  # fmt: skip
        assert refusal(await h.outcome(sent)) == "S1VE64"
        assert refused_at(h, sent) == (case.cohort, "S1SR 4.2")
        await h.settle()
        assert h.snapshot() == snapshot


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_negative_supplier_and_other_roles(case: Case) -> None:
    async with Harness.start(estate()) as h:
        device = case.device(h, wrong_no=True)
        snapshot = h.snapshot()
        attempts = [
            # A supplier not registered for the device, replacing supplier credentials: RDP.
            (OTHER_SUPPLIER, h.bodies.update_credentials(OTHER_SUPPLIER, role="Supplier"),
             "E4", "SRPD 6.1(f)"),
            # Suppliers may not place Network Operator credentials at all.
            (case.supplier, h.bodies.update_credentials(case.network_operator),
             "E061501", "DSP check 5"),
            (OTHER_SUPPLIER, h.bodies.update_credentials(case.network_operator),
             "E061501", "DSP check 5"),
            # A Network Operator of the other fuel is not this device's NO role.
            (case.other_fuel_network_operator, h.bodies.update_credentials(case.network_operator),
             "E061501", "DSP check 5"),
        ]  # fmt: skip
        # Roles DUIS does not let send SRV 6.15.1 at all.
        no_body = h.bodies.update_credentials(case.network_operator)
        attempts += [(s, no_body, "E2", "DSP check 3")
                     for s in (EXPORT_SUPPLIER, OTHER_USER, SUPPLIER_AGENT)]  # fmt: skip
        for sender, body, code, check in attempts:
            sent = await h.send(sender, device, "6.15.1", body)
            assert refusal(await h.outcome(sent)) == code, sender
            assert refused_at(h, sent) == ("DSP", check)
        await h.settle()
        assert h.snapshot() == snapshot
        assert h.slot_owner(device) == case.wrong_network_operator


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_partial_rollout(case: Case) -> None:
    async with Harness.start(estate(not_updated=case.cohort)) as h:
        device = case.device(h, wrong_no=True)
        snapshot = h.snapshot()
        sent = await h.send(
            case.wrong_network_operator, device, "6.15.1",
            h.bodies.update_credentials(case.network_operator),
        )  # fmt: skip
        assert refusal(await h.outcome(sent)) == "S1VE4"
        assert sent.codes[:2] == ["I0", "I99"]  # the DSP accepted
        assert ("DSP", "SRPD 6.1(f)", "lifted") in decisions(h, sent)
        assert refused_at(h, sent) == (case.cohort, "SRPD 16.1")
        await h.settle()
        assert h.snapshot() == snapshot
        # The S1SPs already updated accept the same request for their devices.
        for other in (c for c in ("IOC", "MOC", "FOC") if c != case.cohort):
            their = Case(other, case.device_type).device(h, wrong_no=True)
            await _accepted(
                h, case.wrong_network_operator, their, "6.15.1",
                h.bodies.update_credentials(case.network_operator),
            )  # fmt: skip
            assert h.slot_owner(their) == case.network_operator


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_switch_off_is_the_deadlock(case: Case) -> None:
    async with Harness.start(estate(dsp_mp107=False)) as h:
        device = case.device(h, wrong_no=True)
        snapshot = h.snapshot()
        # The wrong NO owns the certificate but is not registered: the DSP's RDP check.
        sent = await h.send(
            case.wrong_network_operator, device, "6.15.1",
            h.bodies.update_credentials(case.network_operator),
        )  # fmt: skip
        assert refusal(await h.outcome(sent)) == "E4"
        assert refused_at(h, sent) == ("DSP", "SRPD 6.1(f)")
        # The registered NO passes both RDP checks but does not own the certificate.
        sent = await h.send(
            case.network_operator, device, "6.15.1",
            h.bodies.update_credentials(case.network_operator),
        )  # fmt: skip
        assert refusal(await h.outcome(sent)) == "S1VE64"
        steps = decisions(h, sent)
        assert ("DSP", "SRPD 6.1(f)", "accepted") in steps
        assert (case.cohort, "SRPD 16.1", "accepted") in steps
        assert refused_at(h, sent) == (case.cohort, "S1SR 4.2")
        await h.settle()
        assert h.snapshot() == snapshot
        assert h.slot_owner(device) == case.wrong_network_operator


async def test_an_unknown_device_is_refused_e19() -> None:
    async with Harness.start(estate()) as h:
        snapshot = h.snapshot()
        case = CASES[0]
        sent = await h.send(
            case.network_operator, "00DB999999999999", "6.15.1",
            h.bodies.update_credentials(case.network_operator),
        )  # fmt: skip
        assert refusal(await h.outcome(sent)) == "E19"
        assert refused_at(h, sent) == ("DSP", "DSP check 4")
        await h.settle()
        assert h.snapshot() == snapshot


@pytest.mark.parametrize("mp107", [False, True], ids=["switch-off", "switch-on"])
async def test_smets2_baseline_the_wrong_no_fixes_it(mp107: bool) -> None:
    async with Harness.start(estate(dsp_mp107=mp107)) as h:
        device = h.device(smets=2, device_type="ESME", wrong_no=True)
        emulator = h.system.smets2[device]
        assert h.cells(device).certificate(NETWORK_OPERATOR_DS).eui == WRONG_NETWORK_OPERATOR  # type: ignore[union-attr]
        sent = await h.send(
            WRONG_NETWORK_OPERATOR, device, "6.15.1", h.bodies.update_credentials(NETWORK_OPERATOR)
        )
        outcome = await h.outcome(sent)
        assert isinstance(outcome.body, ResponseMessage)
        assert isinstance(outcome.body.content, GbcsPayload)
        # The device's own response: signed with its DS key, every cell replaced (status 0).
        response = decode(outcome.body.content.payload)
        assert isinstance(response, GeneralSigningApdu)
        assert response.originator == device
        assert verify_signature(response, emulator.ds_certificate.public_key())
        payload = decode_update_security_credentials_response(response.content)
        assert payload.outcome is not None
        assert [int(o.status) for o in payload.outcome.replacement_outcomes] == [0, 0]
        # No RDP check for a SMETS2 critical SR, whatever the switch.
        assert not [s for s in decisions(h, sent) if s[1] == "SRPD 6.1(f)" and s[2] != "lifted"]
        assert h.cells(device).certificate(NETWORK_OPERATOR_DS).eui == NETWORK_OPERATOR  # type: ignore[union-attr]
        # The old key no longer authorises; the new NO's does.
        sent = await h.send(
            WRONG_NETWORK_OPERATOR, device, "6.15.1",
            h.bodies.update_credentials(WRONG_NETWORK_OPERATOR),
        )  # fmt: skip
        await h.settle()
        assert emulator.last_rejection is not None
        assert emulator.last_rejection.reason is RejectionReason.UNKNOWN_AUTHORISER
        assert sent.codes == ["I0", "I99"]  # a device stays silent on a command it refuses…
        await h.advance(timedelta(seconds=61))
        assert refusal(await h.outcome(sent)) == "E21"  # …and the DSP says so in the end
        await _device_accepts(h, NETWORK_OPERATOR, device)


async def _device_accepts(h: Harness, sender: Eui64, device: Eui64) -> None:
    sent = await h.send(sender, device, "6.15.1", h.bodies.update_credentials(sender))
    outcome = await h.outcome(sent)
    assert isinstance(outcome.body, ResponseMessage) and isinstance(
        outcome.body.content, GbcsPayload
    )
    apdu = decode(outcome.body.content.payload)
    assert isinstance(apdu, GeneralSigningApdu)
    payload = decode_update_security_credentials_response(apdu.content)
    assert payload.outcome is not None
    assert all(int(o.status) == 0 for o in payload.outcome.replacement_outcomes)
