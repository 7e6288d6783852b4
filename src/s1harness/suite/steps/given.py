"""Given: the estate's switches and the device in play."""

from __future__ import annotations

from pytest_bdd import given, parsers

from s1harness.estate.presets import SUPPLIER
from s1harness.suite.world import World
from s1harness.testing.expectations import Case


@given(parsers.re(r"the MP107 switch is (?P<state>on|off) at the DSP and at every S1SP"))
def mp107_everywhere(world: World, state: str) -> None:
    world.configure(dsp_mp107=state == "on", not_updated=None)


@given(
    parsers.re(
        r"the MP107 switch is on at the DSP and at every S1SP but the (?P<s1sp>IOC|MOC|FOC) S1SP"
    )
)
def mp107_partial(world: World, s1sp: str) -> None:
    world.configure(dsp_mp107=True, not_updated=s1sp)


@given(parsers.re(r"the SECMP0058 check is (?P<state>on|off) at the DSP"))
def mp058_check(world: World, state: str) -> None:
    world.configure(mp058=state == "on")


@given(
    parsers.re(
        r"a SMETS1 (?P<device>ESME|GPF) served by the (?P<s1sp>IOC|MOC|FOC) S1SP"
        r"(?P<wrong> that holds the wrong Network Operator's certificates)?"
    )
)
def smets1_device(world: World, device: str, s1sp: str, wrong: str | None) -> None:
    world.case = Case(s1sp, device)
    world.device = world.case.device(world.h, wrong_no=bool(wrong))
    holder = world.network_operator("wrong" if wrong else "registered")
    world.expect_no_slot_owner(holder, "to begin with")


@given(parsers.re(r"a SMETS2 ESME that holds the wrong Network Operator's certificates"))
def smets2_device(world: World) -> None:
    world.case = None
    world.device = world.h.device(smets=2, device_type="ESME", wrong_no=True)


@given("the supplier has placed the wrong Network Operator's certificates on it")
def supplier_places_wrong_no(world: World) -> None:
    wrong = world.network_operator("wrong")
    h = world.h
    sent = world.send(SUPPLIER, "6.21", h.bodies.handover(wrong))
    world.expect_accepted("the supplier's 6.21", sent)
    world.expect_no_slot_owner(wrong, "after the 6.21")


@given(
    parsers.re(
        r"the wrong Network Operator has replaced (?:them|the certificates) "
        r"with the registered Network Operator's"
    )
)
def wrong_no_has_handed_over(world: World) -> None:
    right, wrong = world.network_operator("registered"), world.network_operator("wrong")
    world.send(wrong, "6.15.1", world.h.bodies.update_credentials(right))
    world.expect_accepted("the wrong NO's 6.15.1")
    world.expect_no_slot_owner(right, "after the wrong NO's 6.15.1")
