"""Requirement 1 used device by device: the wrong Network Operators' SRV 6.15.1 campaign on the
running estate — judged by what comes back over the wire, and by the slots (asked of an S1SP
another build plays)."""

from __future__ import annotations

import asyncio

from pytest_bdd import parsers, then, when

from s1harness.duis.messages import Response, SMETS1ResponseMessage
from s1harness.registry.model import Smets
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole
from s1harness.suite.world import World
from s1harness.testing import refusal
from s1harness.testing.expectations import expect


@when(
    parsers.parse(
        "the wrong Network Operators correct every mismatched SMETS1 device, {window:d} at a time"
    )
)
def campaign(world: World, window: int) -> None:
    h = world.h
    estate = h.estate
    targets: list[tuple[Eui64, Eui64, Eui64]] = []
    for spec in estate.devices:
        held = estate.holder(spec, RemotePartyRole.NETWORK_OPERATOR)
        if spec.device.generation is Smets.SMETS1 and estate.wrong_network_operator(spec) and held:
            targets.append((spec.device_id, held, world.registered_no(spec.device_id)))
    expect(len(targets) > 1, f"mismatched SMETS1 devices in the estate, found {len(targets)}")
    gate = asyncio.Semaphore(window)

    async def one(device: Eui64, sender: Eui64, registered: Eui64) -> Response:
        async with gate:
            body = h.bodies.update_credentials(registered)
            return await h.outcome(await h.send(sender, device, "6.15.1", body))

    async def every() -> list[Response]:
        return await asyncio.gather(*(one(d, s, r) for d, s, r in targets))

    outcomes = world.run(every())
    world.notes["campaign"] = list(zip(targets, outcomes, strict=True))


@then("every mismatched device is corrected with a SMETS1 response")
def every_corrected(world: World) -> None:
    expect("campaign" in world.notes, "a campaign run by a When step")
    for (device, sender, _), outcome in world.notes["campaign"]:
        why = refusal(outcome) or outcome.header.response_code
        corrected = isinstance(outcome.body, SMETS1ResponseMessage) and refusal(outcome) is None
        expect(corrected, f"{device}: {sender}'s 6.15.1 to end in a SMETS1 response, got {why}")


@then("each of them holds the registered Network Operator's certificates")
def each_holds_registered(world: World) -> None:
    world.run(world.h.settle())
    for (device, _, registered), _ in world.notes["campaign"]:
        world.expect_no_slot_owner(registered, f"{device} after the campaign", device)
