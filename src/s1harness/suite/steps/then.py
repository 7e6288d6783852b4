"""Then: what the DSP, the S1SPs and the devices did, and what the parties received."""

from __future__ import annotations

from datetime import timedelta

from pytest_bdd import parsers, then

from s1harness.gbcs.crypto import verify_signature
from s1harness.roles.s1sp.store import SlotKind, SlotRole
from s1harness.roles.smets1.codes import LONG_OUTAGE
from s1harness.roles.smets2.cells import NETWORK_OPERATOR_DS
from s1harness.spec import checks
from s1harness.spec.codes import E21, I0, I99, N42
from s1harness.suite.world import World
from s1harness.testing import alert_code, refusal
from s1harness.testing.expectations import (
    COHORTS,
    Case,
    changed_by_refusal,
    decisions,
    device_response,
    expect,
    refused_at,
)
from s1harness.testing.harness import NotObservableError


def _hop(name: str) -> str:
    """``DSP`` or a cohort, from ``DSP`` / ``IOC S1SP``."""
    return name.removesuffix(" S1SP")


def _expect_named(name: str, hop: str, code: str) -> None:
    """A feature names a check of the hop it speaks of, answering with the code it names."""
    check = checks.named(name)
    expect(check.hop == hop, f"{name} is a check of the {check.hop}, not of the {hop}")
    expect(code in {str(c) for c in check.codes}, f"{name} never answers {code}")


@then(
    parsers.re(
        r"the (?P<hop>DSP|IOC S1SP|MOC S1SP|FOC S1SP) accepts the request "
        r"(?P<how>without|after) the registration data check"
    )
)
def accepted_at_rdp(world: World, hop: str, how: str) -> None:
    """Where the Harness runs the hop, its decision says so. Another build's is judged by what
    crossed the wire: the request got past the hop's registration data check (the DSP's I0 and
    I99; no S1SP refusal at or before SRPD 16.1) — and, for ``without``, the sender is not the
    one registration data would let through."""
    where = _hop(hop)
    check = checks.RDP if where == "DSP" else checks.S1SP_RDP
    world.judged(where, check)
    final = world.outcome()  # the request has run its course at every hop
    outcome = "lifted" if how == "without" else "accepted"
    codes = world.last.exchange.codes
    if world.h.plays(where):
        steps = decisions(world.h, world.last.exchange)
        wanted = (where, str(check), outcome)
        expect(wanted in steps, f"{where} {check} {outcome} (decisions: {steps})")
    elif where == "DSP":
        expect(codes[:2] == [I0.code, I99.code], f"the DSP to get past {check} (I0, I99): {codes}")
    else:
        got = refusal(final)
        early = {
            str(code)
            for c in checks.CHECKS
            if c.hop == "S1SP" and c.order <= check.order
            for code in c.codes
        }
        expect(got not in early, f"the {where} S1SP to get past {check}, refused {got}")
    if how == "without":
        sender = world.last.exchange.request_id.originator
        registered = world.network_operator("registered")
        if not world.h.plays(where) and sender == registered:
            raise NotObservableError(f"{sender} would pass {check} anyway: lifted or not")
        if where == "DSP":
            expect(codes[:2] == [I0.code, I99.code], f"the DSP to accept (I0, I99): {codes}")


@then(
    parsers.re(
        r"the (?P<hop>IOC S1SP|MOC S1SP|FOC S1SP) accepts the request at (?P<check>.+) "
        r"and executes it"
    )
)
def executed_after(world: World, hop: str, check: str) -> None:
    """The S1SP passed ``check`` and the device carried the request out: the User got I0 (the
    pre-command), I99, then the SMETS1 response — and, where the Harness runs that S1SP, its
    decisions say so."""
    named = checks.named(check)
    expect(named.hop == "S1SP", f"{check} is a check of the {named.hop}, not of the S1SP")
    for judged in (named, checks.INSTRUCTION, checks.S1SP_DEVICE_FRAME, checks.EXECUTION):
        world.judged(_hop(hop), judged)
    world.expect_accepted("the request")
    codes = world.last.exchange.codes
    expect(codes == [I0.code, I99.code, I0.code], f"I0, I99, I0 for the critical flow: {codes}")
    where = _hop(hop)
    if world.h.plays(where):
        steps = decisions(world.h, world.last.exchange)
        for wanted in ((where, str(named), "accepted"), (where, str(checks.EXECUTION), "accepted")):
            expect(wanted in steps, f"{' '.join(wanted)} (decisions: {steps})")


@then(
    parsers.re(
        r"the (?P<hop>DSP|IOC S1SP|MOC S1SP|FOC S1SP) refuses the request "
        r"with (?P<code>\S+) at (?P<check>.+)"
    )
)
def refused(world: World, hop: str, code: str, check: str) -> None:
    _expect_named(check, "DSP" if hop == "DSP" else "S1SP", code)
    world.judged(_hop(hop), check)
    final = world.outcome()
    got = refusal(final)
    expect(got == code, f"a refusal with {code}, got {got or 'no refusal'}")
    at = refused_at(world.h, world.last.exchange, final)
    expect(at == (_hop(hop), check), f"the refusal from {hop} at {check}, was {at}")
    world.notes["refused_by"] = _hop(hop)


@then("the request is accepted")
def accepted(world: World) -> None:
    world.expect_accepted("the request")


@then("nothing has changed")
def nothing_changed(world: World) -> None:
    h = world.h
    world.run(h.settle())
    before = world.before
    expect(before is not None, "a request sent by a When step")
    assert before is not None
    refused_by_dsp = world.notes.get("refused_by", "DSP") == "DSP"
    changed = changed_by_refusal(before, world.snapshot(), refused_by_dsp=refused_by_dsp)
    expect(not changed, f"the refusal to change nothing, but {changed} changed")
    probed = world.notes.get("probe")
    if probed is not None:  # an S1SP another build plays: ask it again over the wire
        device, was = probed
        now = world.run(h.probe_no_slot(device, world.registered_no(device)))
        expect(now == was, f"the S1SP to answer a probe as before the refusal ({was}), got {now}")


@then(parsers.re(r"the device (?P<still>still )?holds the (?P<whose>registered|wrong) "
                 r"Network Operator's certificates"))  # fmt: skip
def device_holds(world: World, still: str | None, whose: str) -> None:
    h, device = world.h, world.the_device()
    owner = world.network_operator(whose)
    if world.sent:
        world.outcome()  # the last request has run its course
    if world.case is None:
        held = h.cells(device).certificate(NETWORK_OPERATOR_DS)
        expect(held is not None and held.eui == owner, f"{owner} in the NO DS cell")
        return
    if not h.plays(h.serves(device)):
        world.expect_no_slot_owner(owner, "the device's NO slot")
        return
    slots = world.slots(device)
    for kind in SlotKind:
        slot = slots.get((SlotRole.NETWORK_OPERATOR, kind))
        got = slot.owner if slot else None
        expect(got == owner, f"{owner} in the NO {kind} slot, found {got}")


@then("the registered Network Operator is told its certificates were placed")
def told_of_placement(world: World) -> None:
    registered = world.network_operator("registered")
    world.run(world.h.alert(registered, code=N42.code, after=world.marks.get(registered, 0)))


@then("the same request is accepted on the devices of the other S1SPs")
def accepted_elsewhere(world: World) -> None:
    case = world.case
    expect(case is not None, "a SMETS1 device in play")
    assert case is not None
    h = world.h
    body = h.bodies.update_credentials(case.network_operator)
    for other in (c for c in COHORTS if c != case.cohort):
        theirs = Case(other, case.device_type).device(h, wrong_no=True)
        sent = world.send(case.wrong_network_operator, "6.15.1", body, device=theirs)
        world.expect_accepted(f"the 6.15.1 at {other}", sent)
        world.expect_no_slot_owner(case.network_operator, f"at {other}", device=theirs)


@then(parsers.re(r"the (?P<whose>wrong|registered) Network Operator receives the power outage "
                 r"alerts"))  # fmt: skip
def receives_outage_alerts(world: World, whose: str) -> None:
    party = world.network_operator(whose)
    if world.case is not None:
        for judged in (checks.S1SP_DEVICE_FRAME, checks.ALERT_ROUTING):
            world.judged(world.case.cohort, judged)
    # Supply interrupted, then restored: 8F36 after an outage of LONG_OUTAGE or more, else 8F35.
    restored = "8F36" if world.notes["outage"] >= LONG_OUTAGE else "8F35"
    for code in ("8F57", restored):
        world.run(world.h.alert(party, code=code, after=world.marks.get(party, 0)))


@then(parsers.re(r"the (?P<whose>wrong|registered) Network Operator receives no alert"))
def receives_no_alert(world: World, whose: str) -> None:
    party = world.network_operator(whose)
    world.run(world.h.settle())
    new = world.h.inbox(party)[world.marks.get(party, 0) :]
    alerts = [code for response in new if (code := alert_code(response))]
    expect(not alerts, f"no alert to the {whose} NO, got {alerts}")


@then("each request is refused with its code at its check")
def each_refused(world: World) -> None:
    for name, sent, code, check in world.notes["expected"]:
        _expect_named(check, "DSP", code)
        world.judged("DSP", check)
        final = world.outcome(sent)
        got = refusal(final)
        expect(got == code, f"the {name} refused with {code}, got {got or 'no refusal'}")
        at = refused_at(world.h, sent.exchange, final)
        expect(at == ("DSP", check), f"the {name} refused by the DSP at {check}, was {at}")
    world.notes["refused_by"] = "DSP"


# -- SMETS2 -------------------------------------------------------------------------------------


@then("the device answers, signed with its own certificate, that every certificate was replaced")
def smets2_device_answers(world: World) -> None:
    h, device = world.h, world.the_device()
    apdu = device_response(world.outcome(), device)
    if "devices" not in h.external:
        emulator = h.system.smets2[device]
        expect(verify_signature(apdu, emulator.ds_certificate.public_key()),
               "the response signature to verify with the device's certificate")  # fmt: skip


@then("the device does not act on it")
def smets2_silent(world: World) -> None:
    world.run(world.h.settle())
    codes = world.last.exchange.codes
    expect(codes == [I0.code, I99.code], f"only I0 and I99 while the device stays silent: {codes}")


@then("after a while the DSP answers E21")
def dsp_gives_up(world: World) -> None:
    world.run(world.h.advance(timedelta(minutes=2)))
    got = refusal(world.outcome())
    expect(got == E21.code, f"E21 once the DSP gives up on the device, got {got}")
