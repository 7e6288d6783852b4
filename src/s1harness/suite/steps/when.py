"""When: requests sent as a party, bad input, and the physical world."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree
from pytest_bdd import parsers, when

from s1harness.duis import xml
from s1harness.estate.presets import (
    EXPORT_SUPPLIER,
    OTHER_SUPPLIER,
    OTHER_USER,
    SUPPLIER,
    SUPPLIER_AGENT,
)
from s1harness.spec.identifiers import Eui64
from s1harness.suite.audit import DuisAudit
from s1harness.suite.world import World
from s1harness.testing.expectations import ScenarioFailure

UNKNOWN_DEVICE = Eui64("00DB999999999999")
"""A device ID no estate's inventory holds."""


@when(
    parsers.re(
        r"the (?P<actor>wrong|registered) Network Operator replaces the Network Operator "
        r"certificates with (?P<whose>the registered Network Operator's|its own)"
    )
)
def no_replaces_no_certificates(world: World, actor: str, whose: str) -> None:
    sender = world.network_operator(actor)
    owner = world.network_operator("registered") if whose != "its own" else sender
    world.mark(world.network_operator("registered"), world.network_operator("wrong"))
    world.send(sender, "6.15.1", world.h.bodies.update_credentials(owner))


def sender_of(world: World, name: str) -> tuple[Eui64, str]:
    """A party named in a scenario, with the certificate role it places for itself."""
    parties = {
        "registered supplier": (SUPPLIER, "Supplier"),
        "unregistered supplier": (OTHER_SUPPLIER, "Supplier"),
        "export supplier": (EXPORT_SUPPLIER, "Supplier"),
        "other user": (OTHER_USER, "Supplier"),
        "registered supplier agent": (SUPPLIER_AGENT, "Supplier"),
    }
    if name == "Network Operator of the other fuel":
        if world.case is None:
            raise ScenarioFailure("the other fuel needs a SMETS1 device in play")
        return world.case.other_fuel_network_operator, "NetworkOperator"
    if name not in parties:
        raise ScenarioFailure(f"no party called {name!r} (known: {', '.join(parties)})")
    return parties[name]


@when("each of these parties sends SRV 6.15.1 for the certificates named:")
def parties_send(world: World, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    wanted = ["sender", "certificates", "code", "check"]
    if header != wanted:
        raise ScenarioFailure(f"the table's columns must be {wanted}, not {header}")
    h = world.h
    world.run(h.settle())
    world.probe_before(world.the_device())
    before = world.snapshot()
    expected = []
    for name, certificates, code, check in rows:
        sender, own_role = sender_of(world, name)
        if certificates == "Network Operator":
            body = h.bodies.update_credentials(world.network_operator("registered"))
        elif certificates == "Supplier":
            body = h.bodies.update_credentials(sender, role=own_role)
        else:
            raise ScenarioFailure(
                f"certificates must be Supplier or Network Operator: {certificates}"
            )
        expected.append((name, world.send(sender, "6.15.1", body, probe=False), code, check))
    world.before = before
    world.notes["expected"] = expected


@when(parsers.re(r"the supplier places the (?P<whose>wrong|registered) Network Operator's "
                 r"certificates on it"))  # fmt: skip
def supplier_places(world: World, whose: str) -> None:
    world.send(SUPPLIER, "6.21", world.h.bodies.handover(world.network_operator(whose)))


@when(parsers.re(r"the device loses supply for (?P<minutes>\d+) minutes?"))
def power_outage(world: World, minutes: str) -> None:
    world.mark(world.network_operator("registered"), world.network_operator("wrong"))
    world.notes["outage"] = timedelta(minutes=int(minutes))
    world.run(world.h.power_outage(world.the_device(), world.notes["outage"]))


# -- bad input ---------------------------------------------------------------------------------


@when("the wrong Network Operator sends a request whose signature does not match its content")
def forged_signature(world: World) -> None:
    sender = world.network_operator("wrong")
    body = world.h.bodies.update_credentials(world.network_operator("registered"))
    world.send(sender, "6.15.1", body, alter=_tamper)


def _tamper(payload: bytes) -> bytes:
    """The same document with one character of a certificate in the body changed: still
    schema-valid, but no longer what was signed."""
    root = xml.parse(payload)
    for element in root.iter("{*}DigitalSigningCertificate", "{*}KeyAgreementCertificate"):
        text = element.text or ""
        if len(text) > 40:
            middle = len(text) // 2
            element.text = (
                text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]
            )
            return etree.tostring(root)
    raise ScenarioFailure("no certificate in the request to change")


@when("the same request is sent again")
def replay(world: World) -> None:
    original = world.last
    world.run(world.h.settle())
    world.before = world.snapshot()
    world.publish(original.envelope, original.exchange)


@when("the registered Network Operator sends SRV 6.15.1 for a device not in the inventory")
def unknown_device(world: World) -> None:
    registered = world.network_operator("registered")
    body = world.h.bodies.update_credentials(registered)
    world.send(registered, "6.15.1", body, device=UNKNOWN_DEVICE)


@when("the registered Network Operator sends a request that is not well-formed XML")
def malformed(world: World, duis_audit: DuisAudit) -> None:
    registered = world.network_operator("registered")
    body = world.h.bodies.update_credentials(registered)
    with duis_audit.exempt():  # broken on purpose, until the DSP has answered it
        world.send(registered, "6.15.1", body, alter=lambda signed: signed[: len(signed) // 2])
        world.outcome()
