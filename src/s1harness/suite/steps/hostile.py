"""When: requests an S1SP must refuse on its own — a countersignature the DSP did not make, a
pre-command signed by a key in no slot, a countersigned request sent again. The first and the
last reach the S1SP straight on its request topic, as a faulty DSP or an attacker on the bus
would send them; the S1SP's alert comes back through the DSP to the request's originator."""

from __future__ import annotations

from pytest_bdd import parsers, when

from s1harness.duis import xml
from s1harness.duis.messages import (
    Request,
    RequestHeader,
    SignedPreCommand,
    to_element,
)
from s1harness.duis.signature import sign
from s1harness.gbcs.crypto import sign_precommand
from s1harness.roles import countersigned
from s1harness.roles.dsp import transform
from s1harness.roles.user import Exchange
from s1harness.smki.keys import derive_private_key
from s1harness.spec.bus import Envelope, Kind, s1sp_requests
from s1harness.suite.world import World
from s1harness.testing.expectations import ScenarioFailure

NOT_IN_ANY_SLOT = derive_private_key(b"s1harness hostile", "a key no certificate carries")


@when(
    parsers.re(
        r"a party other than the DSP countersigns the wrong Network Operator's request to the "
        r"(?P<s1sp>IOC|MOC|FOC) S1SP"
    )
)
def forged_countersignature(world: World, s1sp: str) -> None:
    """The wrong NO's own, correctly signed 6.15.1 (CV 5 and pre-command), countersigned with
    the wrong NO's XML-signing key instead of the DSP's."""
    h, device = world.h, world.the_device()
    wrong, right = world.network_operator("wrong"), world.network_operator("registered")
    user = h.system.users[wrong]
    request_id = user.next_request_id(device)
    body = h.bodies.update_credentials(right)
    keys = h.system.parties[wrong]
    precommand = sign_precommand(
        transform.precommand(body, request_id), keys.credentials.ds.private_key
    )
    header = RequestHeader(request_id, 5, "6.15", "6.15.1")
    request = Request(header, SignedPreCommand(precommand.raw))
    service = xml.serialise(sign(to_element(request), keys.xml.private_key, keys.xml.certificate))
    wrapped = countersigned.CountersignedRequest(
        device_id=device, cohort=s1sp, user_role=_network_role(world),
        received=h.clock(), service_request=service, signed_precommand=precommand.raw,
    )  # fmt: skip
    forged = sign(countersigned.to_element(wrapped), keys.xml.private_key, keys.xml.certificate)
    envelope = Envelope(
        s1sp_requests(s1sp), Kind.COUNTERSIGNED_REQUEST, xml.serialise(forged),
        str(request_id), (("device", str(device)),),
    )  # fmt: skip
    exchange = Exchange(request_id, "6.15.1")
    user.exchanges[str(request_id)] = exchange
    world.probe_before(device)
    world.before = world.snapshot()
    world.publish(envelope, exchange)


def _network_role(world: World) -> str:
    """The NO's user role for the device in play: ED for an ESME, GT for a GPF."""
    if world.case is None:
        raise ScenarioFailure("a SMETS1 device in play (a Given step names one)")
    return "ED" if world.case.device_type == "ESME" else "GT"


@when("the wrong Network Operator signs its pre-command with a key that is not in the slot")
def signed_by_another_key(world: World) -> None:
    h = world.h
    wrong, right = world.network_operator("wrong"), world.network_operator("registered")
    user = h.system.users[wrong]
    kept = user.signing_key
    user.use_signing_key(NOT_IN_ANY_SLOT)
    try:
        world.send(wrong, "6.15.1", h.bodies.update_credentials(right))
        world.outcome()  # the CV 5 has gone, signed with the other key
    finally:
        user.use_signing_key(kept)


@when(
    parsers.re(
        r"the DSP's countersigned request for it reaches the (?P<s1sp>IOC|MOC|FOC) S1SP again"
    )
)
def replayed(world: World, s1sp: str) -> None:
    """The countersigned request of the last request, exactly as the DSP sent it."""
    h = world.h
    original = world.last
    key = str(original.exchange.request_id)
    sent = [
        e for e in h.traffic
        if e.kind is Kind.COUNTERSIGNED_REQUEST and e.correlation_id == key
    ]  # fmt: skip
    if not sent or sent[-1].topic != s1sp_requests(s1sp):
        raise ScenarioFailure(f"no countersigned request to the {s1sp} S1SP for {key} to replay")
    world.run(h.settle())
    world.probe_before(world.the_device())
    world.before = world.snapshot()
    world.publish(sent[-1], original.exchange)
