"""The FIA scenarios on SMETS1 ESMEs, end to end in memory: User → DSP → S1SP → device and
back, for IOC, MOC and FOC (DESIGN §3.4)."""

from __future__ import annotations

import pytest

from s1harness.duis.messages import DCCAlertMessage, S1SPAlertDSP, SMETS1ResponseMessage
from s1harness.roles.s1sp.store import SlotKind, SlotRole

from .dsp_estate import NO, SUPPLIER, WRONG_NO, no_body
from .s1_estate import COHORTS, ESMES, S1Estate, build_s1, handover_body

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors


def _no_slot_owner(estate: S1Estate, cohort: str) -> str | None:
    slot = estate.s1sps[cohort].store.slot(
        ESMES[cohort], SlotRole.NETWORK_OPERATOR, SlotKind.CRITICAL
    )
    return slot.owner if slot else None


def _last(estate: S1Estate, user: str) -> object:
    return estate.responses(user)[-1]


def _codes(estate: S1Estate, user: str) -> list[str]:
    """Response codes of the user's most recent request (alerts without a RequestID excluded)."""
    exchanges = list(estate.base.users[user].exchanges.values())
    return exchanges[-1].codes if exchanges else []


def _outcome(estate: S1Estate, user: str) -> object:
    """The body of the last message answering the user's most recent request."""
    exchanges = list(estate.base.users[user].exchanges.values())
    return exchanges[-1].received[-1].body


def _dcc_alerts(estate: S1Estate, user: str, code: str) -> list[object]:
    return [
        r for r in estate.responses(user)
        if isinstance(r.body, DCCAlertMessage) and r.body.dcc_alert_code == code
    ]  # fmt: skip


def _s1sp_alert_code(message: object) -> str | None:
    body = getattr(message, "body", None)
    if isinstance(body, DCCAlertMessage) and isinstance(body.alert, S1SPAlertDSP):
        return body.alert.alert.alert_code
    return None


def _place_wrong_no(estate: S1Estate, cohort: str) -> None:
    estate.send(SUPPLIER, ESMES[cohort], "6.21", handover_body(estate, WRONG_NO))
    assert _codes(estate, SUPPLIER) == ["I99", "I0"]
    assert len(_dcc_alerts(estate, WRONG_NO, "N42")) == 1  # SecurityCredentialsUpdated
    assert isinstance(_last(estate, SUPPLIER).body, SMETS1ResponseMessage)  # type: ignore[attr-defined]
    assert _no_slot_owner(estate, cohort) == WRONG_NO


@pytest.mark.parametrize("cohort", COHORTS)
def test_positive_no_handover(cohort: str) -> None:
    estate = build_s1(dsp_mp107=True)
    _place_wrong_no(estate, cohort)
    estate.send(WRONG_NO, ESMES[cohort], "6.15.1", no_body(estate.base, NO))
    assert _codes(estate, WRONG_NO) == ["I0", "I99", "I0"]  # pre-command, ack, SMETS1 response
    assert _no_slot_owner(estate, cohort) == NO
    assert len(_dcc_alerts(estate, NO, "N42")) == 1  # the correct NO hears its certificates landed
    lifted = {(d.check, d.outcome) for d in estate.base.dsp.decisions} | {
        (d.check, d.outcome) for d in estate.s1sps[cohort].decisions
    }
    assert ("SRPD 6.1(f)", "lifted") in lifted and ("SRPD 16.1", "lifted") in lifted
    # The correct NO is now the Known Remote Party; the wrong NO is refused with S1VE64.
    estate.send(NO, ESMES[cohort], "6.15.1", no_body(estate.base, NO))
    assert _codes(estate, NO) == ["I0", "I99", "I0"]
    assert isinstance(_outcome(estate, NO), SMETS1ResponseMessage)
    estate.send(WRONG_NO, ESMES[cohort], "6.15.1", no_body(estate.base, WRONG_NO))
    assert _s1sp_alert_code(_last(estate, WRONG_NO)) == "S1VE64"


@pytest.mark.parametrize("cohort", COHORTS)
def test_partial_rollout_the_not_updated_s1sp_refuses_with_s1ve4(cohort: str) -> None:
    estate = build_s1(dsp_mp107=True, s1sp_mp107={cohort: False})
    _place_wrong_no(estate, cohort)
    before = estate.s1sps[cohort].store.snapshot()
    estate.send(WRONG_NO, ESMES[cohort], "6.15.1", no_body(estate.base, NO))
    assert _codes(estate, WRONG_NO)[:2] == ["I0", "I99"]  # the DSP accepts
    assert _s1sp_alert_code(_last(estate, WRONG_NO)) == "S1VE4"
    assert estate.s1sps[cohort].store.snapshot() == before


@pytest.mark.parametrize("cohort", COHORTS)
def test_switch_off_is_the_deadlock_each_no_refused_at_the_right_check(cohort: str) -> None:
    estate = build_s1(dsp_mp107=False)
    _place_wrong_no(estate, cohort)
    estate.send(WRONG_NO, ESMES[cohort], "6.15.1", no_body(estate.base, NO))
    assert _codes(estate, WRONG_NO) == ["E4"]  # DSP, SRPD 6.1(f)
    estate.send(NO, ESMES[cohort], "6.15.1", no_body(estate.base, NO))
    assert _codes(estate, NO)[:2] == ["I0", "I99"]
    assert _s1sp_alert_code(_last(estate, NO)) == "S1VE64"  # S1SP, S1SR 4.2 owner check
    assert _no_slot_owner(estate, cohort) == WRONG_NO


@pytest.mark.parametrize("cohort", COHORTS)
def test_outage_alerts_follow_the_no_slot(cohort: str) -> None:
    estate = build_s1(dsp_mp107=True)
    _place_wrong_no(estate, cohort)
    _outage(estate, cohort)
    assert isinstance(_last(estate, WRONG_NO).body, SMETS1ResponseMessage)  # type: ignore[attr-defined]
    estate.send(WRONG_NO, ESMES[cohort], "6.15.1", no_body(estate.base, NO))
    count_before = len(estate.responses(NO))
    _outage(estate, cohort)
    assert len(estate.responses(NO)) > count_before
    assert isinstance(_last(estate, NO).body, SMETS1ResponseMessage)  # type: ignore[attr-defined]


def _outage(estate: S1Estate, cohort: str) -> None:
    from s1harness.spec.bus import Envelope, Kind, s1sp_from_devices

    device = estate.devices[ESMES[cohort]]
    frames = device.power_outage() + device.power_restored()
    estate.router.run(
        *(
            Envelope(
                s1sp_from_devices(cohort),
                Kind.SMETS1_DEVICE_FRAME,
                f,
                "alert",
                (("device", ESMES[cohort]),),
            )
            for f in frames
        )
    )
