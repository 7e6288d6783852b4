"""The scenarios of DESIGN §3.4 (the FIA's SIT/UIT approach, section 5.2) on the ``small``
estate, as checks a run can execute: for every S1SP cohort and SMETS1 device type, each
scenario asserts the check that accepted or refused the request at every hop, and that a
refusal changed no store. A failed expectation raises :class:`ScenarioFailure` saying what was
expected and what happened.

``s1harness run`` executes :data:`CATALOGUE`; the test suite runs the same scenarios.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from s1harness.duis.messages import GbcsPayload, Response, ResponseMessage, SMETS1ResponseMessage
from s1harness.estate import DspSpec, Estate, S1spSpec, preset
from s1harness.estate.presets import (
    EXPORT_SUPPLIER,
    GAS_TRANSPORTER,
    NETWORK_OPERATOR,
    OTHER_SUPPLIER,
    OTHER_USER,
    SUPPLIER,
    SUPPLIER_AGENT,
    WRONG_GAS_TRANSPORTER,
    WRONG_NETWORK_OPERATOR,
)
from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.gbcs.payloads import decode_update_security_credentials_response
from s1harness.registry.model import Cohort
from s1harness.roles.smets2.cells import NETWORK_OPERATOR_DS
from s1harness.roles.user import Exchange
from s1harness.spec import checks
from s1harness.spec.errors import HarnessError
from s1harness.spec.identifiers import Eui64
from s1harness.testing.harness import Harness, is_final, refusal

COHORTS = ("IOC", "MOC", "FOC")
TYPES = ("ESME", "GPF")


class ScenarioFailure(HarnessError):  # noqa: N818 - a failed scenario, reported as a result
    """An expectation of a scenario did not hold."""

    code = "SCENARIO-FAILED"


def expect(condition: object, what: str) -> None:
    """Raise :class:`ScenarioFailure` saying ``what`` was expected unless ``condition``."""
    if not condition:
        raise ScenarioFailure(what)


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: an S1SP cohort and a SMETS1 device type, with its parties."""

    cohort: str
    device_type: str

    @property
    def network_operator(self) -> Eui64:
        """The registered NO: the ED for an ESME's MPAN, the GT for a GPF's MPRN."""
        return NETWORK_OPERATOR if self.device_type == "ESME" else GAS_TRANSPORTER

    @property
    def wrong_network_operator(self) -> Eui64:
        return WRONG_NETWORK_OPERATOR if self.device_type == "ESME" else WRONG_GAS_TRANSPORTER

    @property
    def other_fuel_network_operator(self) -> Eui64:
        """A Network Operator of the other fuel (a GT for an ESME, an ED for a GPF)."""
        return GAS_TRANSPORTER if self.device_type == "ESME" else NETWORK_OPERATOR

    @property
    def supplier(self) -> Eui64:
        return SUPPLIER

    def device(self, harness: Harness, *, wrong_no: bool = False) -> Eui64:
        return harness.device(
            smets=1, cohort=self.cohort, device_type=self.device_type, wrong_no=wrong_no
        )

    def __str__(self) -> str:
        return f"{self.cohort}-{self.device_type}"


CASES = [Case(c, t) for c in COHORTS for t in TYPES]


def estate(*, dsp_mp107: bool = True, not_updated: str | None = None) -> Estate:
    """The ``small`` estate with the MP107 switches set: the DSP's, and every S1SP's the same
    except one ``not_updated`` (a partial rollout)."""
    s1sps = tuple(S1spSpec(c, mp107=dsp_mp107 and str(c) != not_updated) for c in Cohort)
    return dataclasses.replace(preset("small"), dsp=DspSpec(mp107=dsp_mp107), s1sps=s1sps)


def decisions(harness: Harness, exchange: Exchange) -> list[tuple[str, str, str]]:
    """``(hop, check, outcome)`` for one request at the DSP and the S1SPs the Harness runs."""
    key = str(exchange.request_id)
    out = [
        ("DSP", str(d.check), str(d.outcome))
        for d in harness.system.dsp.decisions
        if d.request_id == key
    ]
    for cohort, s1sp in harness.system.s1sps.items():
        out += [
            (str(cohort), str(d.check), str(d.outcome))
            for d in s1sp.decisions
            if d.request_id == key
        ]
    return [step for step in out if harness.plays(step[0])]


def expect_steps(harness: Harness, exchange: Exchange, *wanted: tuple[str, str, str]) -> None:
    """Expect these decisions for the request — at the hops the Harness runs; another build's
    decisions are judged by the messages it sends."""
    steps = decisions(harness, exchange)
    for step in wanted:
        if harness.plays(step[0]):
            expect(step in steps, f"{' '.join(step)} (decisions: {steps})")


def refused_at(harness: Harness, exchange: Exchange) -> tuple[str, str] | None:
    """The hop and check that refused the request (None unless exactly one did). For a hop
    another build plays, the check is the one its refusal code stands for (the code table)."""
    rejected = [(hop, check) for hop, check, outcome in decisions(harness, exchange)
                if outcome == "rejected"]  # fmt: skip
    if len(rejected) == 1:
        return rejected[0]
    final = next((r for r in exchange.received if is_final(r)), None)
    got = refusal(final) if final else None
    if not rejected and got and got.startswith("S1VE"):
        hop = next((str(c) for c in Cohort if not harness.plays(str(c))), None)
        return (hop, checks.answering(got).name) if hop else None
    return None


async def accepted(
    h: Harness, sender: Eui64, device: Eui64, srv: str, body: object, *, what: str
) -> Exchange:
    """Send, and expect a SMETS1 response (not a refusal)."""
    exchange = await h.send(sender, device, srv, body)  # type: ignore[arg-type]
    expect_smets1_response(await h.outcome(exchange), what)
    return exchange


def expect_smets1_response(outcome: Response, what: str) -> None:
    """An accepted SMETS1 request ends in the device's SMETS1 response (not a refusal)."""
    got = refusal(outcome) or type(outcome.body).__name__
    expect(isinstance(outcome.body, SMETS1ResponseMessage), f"{what} to be accepted, got {got}")


async def refused(
    h: Harness,
    sender: Eui64,
    device: Eui64,
    body: object,
    *,
    code: str,
    where: tuple[str, str],
    what: str,
) -> Exchange:
    """Send a 6.15.1 and expect ``code`` from the check ``where`` with no store changed."""
    await h.settle()
    before = h.snapshot()
    exchange = await h.send(sender, device, "6.15.1", body)  # type: ignore[arg-type]
    got = refusal(await h.outcome(exchange))
    expect(got == code, f"{what} to be refused with {code}, got {got}")
    at = refused_at(h, exchange)
    expect(at == where, f"{what} refused by {where[0]} at {where[1]}, was {at}")
    await h.settle()
    changed = changed_by_refusal(before, h.snapshot(), refused_by_dsp=where[0] == "DSP")
    expect(not changed, f"{what}: the refusal to change nothing, but {changed} changed")
    return exchange


def changed_by_refusal(
    before: dict[str, object], after: dict[str, object], *, refused_by_dsp: bool
) -> list[str]:
    """The stores and role states (:meth:`Harness.snapshot` keys) that differ. A request the
    DSP accepted and an S1SP refused has consumed its RequestID counter at the DSP, as it must
    (a replay stays a replay), so the DSP's counters are left out unless the DSP refused."""

    def comparable(state: dict[str, object]) -> dict[str, object]:
        dsp = state.get("dsp")
        if refused_by_dsp or not isinstance(dsp, dict):
            return state
        return {**state, "dsp": {k: v for k, v in dsp.items() if k != "counters"}}

    was, now = comparable(before), comparable(after)
    return sorted(k for k in was if was[k] != now.get(k))


async def positive_no_handover(h: Harness, case: Case) -> None:
    """6.21 places the wrong NO; its 6.15.1 places the right NO's certificates with the RDP
    checks not applied; the right NO's critical SR is then accepted and its alerts reach it;
    the wrong NO gets S1VE64."""
    device = case.device(h)
    wrong, right = case.wrong_network_operator, case.network_operator
    await accepted(h, case.supplier, device, "6.21", h.bodies.handover(wrong), what="the 6.21")
    expect(h.slot_owner(device) == wrong, "the wrong NO in the NO slot after the 6.21")
    before = len(h.inbox(right))
    body = h.bodies.update_credentials(right)
    sent = await accepted(h, wrong, device, "6.15.1", body, what="the wrong NO's 6.15.1")
    expect(sent.codes == ["I0", "I99", "I0"], f"I0, I99, I0 for the critical flow: {sent.codes}")
    expect_steps(
        h, sent,
        ("DSP", "SRPD 6.1(f)", "lifted"), (case.cohort, "SRPD 16.1", "lifted"),
        (case.cohort, "S1SR 4.2", "accepted"), (case.cohort, "S1SP execution", "accepted"),
    )  # fmt: skip
    expect(h.slot_owner(device) == right, "the correct NO in the NO slot")
    await h.alert(right, code="N42", after=before)
    await accepted(h, right, device, "6.15.1", body, what="the correct NO's critical SR")
    right_count, wrong_count = len(h.inbox(right)), len(h.inbox(wrong))
    await h.power_outage(device, timedelta(minutes=5))
    await h.alert(right, code="8F57", after=right_count)
    await h.alert(right, code="8F36", after=right_count)
    await h.settle()
    expect(len(h.inbox(wrong)) == wrong_count, "no outage alert to the wrong NO")
    await refused(
        h, wrong, device, h.bodies.update_credentials(wrong), code="S1VE64",
        where=(case.cohort, "S1SR 4.2"), what="the wrong NO after the handover",
    )  # fmt: skip


async def negative_roles(h: Harness, case: Case) -> None:
    """Suppliers and every role but the device's NO are refused, each at the DUIS check."""
    device = case.device(h, wrong_no=True)
    no_body = h.bodies.update_credentials(case.network_operator)
    attempts = [
        (OTHER_SUPPLIER, h.bodies.update_credentials(OTHER_SUPPLIER, role="Supplier"),
         "E4", ("DSP", "SRPD 6.1(f)"), "an unregistered supplier"),
        (case.supplier, no_body, "E061501", ("DSP", "DUIS credentials body"),
         "the registered supplier"),
        (OTHER_SUPPLIER, no_body, "E061501", ("DSP", "DUIS credentials body"), "another supplier"),
        (case.other_fuel_network_operator, no_body, "E061501", ("DSP", "DUIS credentials body"),
         "a NO of the other fuel"),
    ] + [(sender, no_body, "E2", ("DSP", "DUIS access matrix"), f"role of {sender}")
         for sender in (EXPORT_SUPPLIER, OTHER_USER, SUPPLIER_AGENT)]  # fmt: skip
    for sender, body, code, where, what in attempts:
        await refused(h, sender, device, body, code=code, where=where, what=what)
    expect(h.slot_owner(device) == case.wrong_network_operator, "the NO slot unchanged")


async def partial_rollout(h: Harness, case: Case) -> None:
    """(Run with ``estate(not_updated=case.cohort)``.) The DSP accepts; the not-updated S1SP
    refuses with S1VE4; the updated S1SPs accept the same request for their devices."""
    device = case.device(h, wrong_no=True)
    body = h.bodies.update_credentials(case.network_operator)
    sent = await refused(
        h, case.wrong_network_operator, device, body, code="S1VE4",
        where=(case.cohort, "SRPD 16.1"), what="the wrong NO at the not-updated S1SP",
    )  # fmt: skip
    expect(sent.codes[:2] == ["I0", "I99"], f"the DSP to accept (I0, I99): {sent.codes}")
    expect_steps(h, sent, ("DSP", "SRPD 6.1(f)", "lifted"))
    for other in (c for c in COHORTS if c != case.cohort):
        theirs = Case(other, case.device_type).device(h, wrong_no=True)
        await accepted(
            h, case.wrong_network_operator, theirs, "6.15.1", body, what=f"the 6.15.1 at {other}"
        )
        expect(h.slot_owner(theirs) == case.network_operator, f"the correct NO at {other}")


async def switch_off_deadlock(h: Harness, case: Case) -> None:
    """(Run with ``estate(dsp_mp107=False)``.) The wrong NO is refused by the DSP's RDP check;
    the registered NO passes both RDP checks and is refused by the S1SP's owner check."""
    device = case.device(h, wrong_no=True)
    body = h.bodies.update_credentials(case.network_operator)
    await refused(
        h, case.wrong_network_operator, device, body, code="E4",
        where=("DSP", "SRPD 6.1(f)"), what="the wrong NO with MP107 off",
    )  # fmt: skip
    sent = await refused(
        h, case.network_operator, device, body, code="S1VE64",
        where=(case.cohort, "S1SR 4.2"), what="the registered NO with MP107 off",
    )  # fmt: skip
    expect_steps(
        h, sent, ("DSP", "SRPD 6.1(f)", "accepted"), (case.cohort, "SRPD 16.1", "accepted")
    )
    expect(h.slot_owner(device) == case.wrong_network_operator, "the NO slot unchanged")


async def smets2_baseline(h: Harness) -> None:
    """The wrong NO's 6.15.1 on a SMETS2 ESME runs on the device, whatever the switch: the
    device signs its response, the NO cells hold the right NO, the old key stops working."""
    device = h.device(smets=2, device_type="ESME", wrong_no=True)
    emulator = h.system.smets2[device]
    response = await _device_response(h, WRONG_NETWORK_OPERATOR, device, NETWORK_OPERATOR)
    expect(
        verify_signature(response, emulator.ds_certificate.public_key()),
        "the device's response signature to verify with the device's certificate",
    )
    held = h.cells(device).certificate(NETWORK_OPERATOR_DS)
    expect(held is not None and held.eui == NETWORK_OPERATOR, "the right NO in the NO DS cell")
    sent = await h.send(WRONG_NETWORK_OPERATOR, device, "6.15.1",
                        h.bodies.update_credentials(WRONG_NETWORK_OPERATOR))  # fmt: skip
    await h.settle()
    expect(sent.codes == ["I0", "I99"], f"the device to stay silent on the old key: {sent.codes}")
    await h.advance(timedelta(minutes=2))
    expect(refusal(await h.outcome(sent)) == "E21", "E21 once the DSP gives up on the device")
    await _device_response(h, NETWORK_OPERATOR, device, NETWORK_OPERATOR)


async def _device_response(
    h: Harness, sender: Eui64, device: Eui64, owner: Eui64
) -> GeneralSigningApdu:
    sent = await h.send(sender, device, "6.15.1", h.bodies.update_credentials(owner))
    return device_response(await h.outcome(sent), device)


def device_response(outcome: Response, device: Eui64) -> GeneralSigningApdu:
    """The device's General-Signing CS02b response carried by a DUIS outcome, which must say
    every cell was replaced."""
    body = outcome.body
    expect(isinstance(body, ResponseMessage) and isinstance(body.content, GbcsPayload),
           f"a GBCS device response, got {refusal(outcome) or type(body).__name__}")  # fmt: skip
    apdu = decode(body.content.payload)  # type: ignore[union-attr]
    expect(isinstance(apdu, GeneralSigningApdu) and apdu.originator == device,
           "a General-Signing response from the device")  # fmt: skip
    assert isinstance(apdu, GeneralSigningApdu)  # narrowed by the expectation above
    payload = decode_update_security_credentials_response(apdu.content)
    outcomes = payload.outcome.replacement_outcomes if payload.outcome else ()
    statuses = [int(o.status) for o in outcomes]
    expect(statuses and not any(statuses), f"every cell replaced (status 0): {statuses}")
    return apdu


async def unknown_device(h: Harness) -> None:
    """A device not in the inventory: E19 at the DSP, nothing changed."""
    await refused(
        h, NETWORK_OPERATOR, Eui64("00DB999999999999"),
        h.bodies.update_credentials(NETWORK_OPERATOR), code="E19",
        where=("DSP", "DUIS device checks"), what="a request for an unknown device",
    )  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """A scenario to run: its name, the estate it needs, and the check."""

    name: str
    estate: Estate
    check: Callable[[Harness], Awaitable[None]]
    tags: tuple[str, ...] = ()


def catalogue() -> list[Scenario]:
    """Every scenario × cohort × device type, as ``s1harness run`` executes them."""
    out: list[Scenario] = []
    for case in CASES:
        tags = (case.cohort, case.device_type)
        out += [
            Scenario(f"positive NO handover {case}", estate(),
                     partial(positive_no_handover, case=case), ("R1", *tags)),
            Scenario(f"negative Supplier and other roles {case}", estate(),
                     partial(negative_roles, case=case), ("R1", *tags)),
            Scenario(f"partial S1SP rollout {case}", estate(not_updated=case.cohort),
                     partial(partial_rollout, case=case), ("R1", *tags)),
            Scenario(f"switch off: the deadlock {case}", estate(dsp_mp107=False),
                     partial(switch_off_deadlock, case=case), ("baseline", *tags)),
        ]  # fmt: skip
    for mp107 in (False, True):
        name = f"SMETS2 baseline, MP107 {'on' if mp107 else 'off'}"
        out.append(Scenario(name, estate(dsp_mp107=mp107), smets2_baseline, ("SMETS2",)))
    out.append(Scenario("unknown device", estate(), unknown_device, ("bad input",)))
    return out


__all__ = [
    "CASES",
    "Case",
    "Scenario",
    "ScenarioFailure",
    "catalogue",
    "changed_by_refusal",
    "decisions",
    "device_response",
    "estate",
    "expect",
    "expect_smets1_response",
    "refused_at",
]
