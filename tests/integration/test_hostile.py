"""Hostile clients on the bus (on 127.0.0.1 only, a bounded handful of messages each): what they
send changes no database and no device, and the estate still answers afterwards."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt
import pytest

from brokers import forged_acknowledgements_change_nothing, login
from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.presets import (
    NETWORK_OPERATOR,
    OTHER_USER,
    SUPPLIER,
    WRONG_NETWORK_OPERATOR,
)
from s1harness.roles.s1sp import replies
from s1harness.roles.s1sp.replies import S1spSigner
from s1harness.services.broker import EmbeddedBroker, start_here
from s1harness.services.mqtt import MqttBus
from s1harness.spec import checks, codes
from s1harness.spec.access import LOGINS
from s1harness.spec.bus import Envelope, Kind, dsp_from_s1sp, dsp_requests, on_wire, s1sp_requests
from s1harness.suite.audit import DuisAudit
from s1harness.testing import Harness, refusal
from s1harness.testing.expectations import estate

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]


@asynccontextmanager
async def _running() -> AsyncIterator[tuple[Harness, EmbeddedBroker]]:
    async with (
        EmbeddedBroker() as broker,
        Harness.start(
            estate(), bus="mqtt", broker=broker.url, access=broker.access(), timeout=30
        ) as h,
    ):
        yield h, broker


async def _still_answers(h: Harness) -> None:
    """The wrong NO's 6.15.1 on a device of each S1SP runs to its SMETS1 response."""
    for cohort in ("IOC", "MOC"):
        device = h.device(smets=1, cohort=cohort, device_type="ESME", wrong_no=True)
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        outcome = await h.outcome(await h.send(WRONG_NETWORK_OPERATOR, device, "6.15.1", body))
        assert isinstance(outcome.body, SMETS1ResponseMessage), refusal(outcome)


@pytest.mark.parametrize(
    "octets",
    [b"[" * 100_000, b'{"a":' * 50_000, b"\xff\xfe" * 1000, b"", b'{"v": 1, "kind": 7}'],
    ids=["deep-array", "deep-object", "not-utf8", "empty", "wrong-types"],
)
async def test_any_octets_on_any_role_topic_change_nothing(octets: bytes) -> None:
    async with _running() as (h, broker):
        await h.settle()
        before = h.snapshot()
        async with aiomqtt.Client(broker.host, broker.port, **login(broker)) as attacker:
            for topic in (dsp_requests(), s1sp_requests("IOC"), dsp_from_s1sp()):
                await attacker.publish(on_wire(h.run, topic), octets, qos=1)
        await asyncio.sleep(0.3)
        await h.settle()
        assert h.snapshot() == before
        assert isinstance(h.bus, MqttBus) and h.bus.stats.undecodable >= 3
        await _still_answers(h)


async def test_a_client_that_takes_the_harness_client_id_does_not_deafen_it() -> None:
    async with _running() as (h, broker):
        assert isinstance(h.bus, MqttBus)
        assert h.bus.client_id not in h.bus.ack_topic  # nothing on the wire names it
        async with aiomqtt.Client(
            broker.host, broker.port, **login(broker), identifier=h.bus.client_id
        ):
            await asyncio.sleep(1.0)  # the broker hands the session to the intruder
        await _still_answers(h)


async def test_an_s1sp_message_signed_by_anyone_but_its_s1sp_is_dropped(
    duis_audit: DuisAudit,
) -> None:
    """An S1SP alert about an IOC device signed by the MOC S1SP, by an Other User's role-127
    key, or not signed never reaches a User; signed by the IOC S1SP it does (in memory: an
    unsigned document is invalid DUIS wherever it is read, and the bus reads it again)."""
    async with Harness.start(estate()) as h:
        device = h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=True)
        other = h.system.parties[OTHER_USER].credentials.ds
        at = h.clock()

        def alert(signer: S1spSigner) -> Envelope:
            return replies.alert(
                signer, codes.S1VE64, request_id=None, device_id=device, reason="forged",
                at=at, recipient=NETWORK_OPERATOR,
            )  # fmt: skip

        await h.settle()
        before, inbox = h.snapshot(), len(h.inbox(NETWORK_OPERATOR))
        forged = [alert(h.system.s1sps["MOC"].signer)]
        forged.append(alert(S1spSigner(other.private_key, other.certificate)))
        with duis_audit.exempt():  # no signature: invalid on purpose
            signature = re.compile(rb"<ds:Signature.*</ds:Signature>", re.S)
            forged.append(
                dataclasses.replace(forged[0], payload=signature.sub(b"", forged[0].payload))
            )
        await h.publish(*forged)
        await h.settle()
        assert h.snapshot() == before
        assert len(h.inbox(NETWORK_OPERATOR)) == inbox
        dropped = [d for d in h.system.dsp.decisions if d.check is checks.S1SP_MESSAGE]
        assert [d.outcome for d in dropped] == ["rejected"] * 3
        assert "signed by 90B3D51F30050002, not the IOC S1SP" in dropped[0].detail
        assert "S1SP signature does not verify" in dropped[1].detail
        await h.publish(alert(h.system.s1sps["IOC"].signer))  # the device's own S1SP: relayed
        await h.alert(NETWORK_OPERATOR, code="N43", after=inbox)


async def test_a_captured_handover_replayed_after_the_fix_changes_nothing() -> None:
    async with Harness.start(estate(), record=True) as h:
        device = h.device(smets=1, cohort="IOC", device_type="ESME")  # the registered NO's
        handover = h.bodies.handover(WRONG_NETWORK_OPERATOR)
        placed = await h.send(SUPPLIER, device, "6.21", handover)
        await h.outcome(placed)
        fix = h.bodies.update_credentials(NETWORK_OPERATOR)
        await h.outcome(await h.send(WRONG_NETWORK_OPERATOR, device, "6.15.1", fix))
        assert h.slot_owner(device) == NETWORK_OPERATOR
        captured = [
            e
            for e in h.traffic
            if e.kind is Kind.COUNTERSIGNED_REQUEST and e.correlation_id == str(placed.request_id)
        ]
        await h.settle()
        before = h.snapshot()
        await h.publish(captured[-1])
        await h.settle()
        assert h.slot_owner(device) == NETWORK_OPERATOR
        assert h.snapshot() == before
        last = h.system.s1sps["IOC"].decisions[-1]
        assert (last.check, last.code) == (checks.EXECUTION_COUNTER, codes.S1VE3)


async def test_a_forged_acknowledgement_on_the_embedded_broker_changes_nothing() -> None:
    async with EmbeddedBroker() as broker:
        await forged_acknowledgements_change_nothing(broker.url, broker.access, "forged-ack")


async def _silent(client: aiomqtt.Client, seconds: float = 1.0) -> None:
    """Nothing reaches ``client`` for ``seconds``."""
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(seconds):
            await anext(aiter(client.messages))


async def test_the_embedded_broker_takes_only_its_own_logins_within_their_access_lists() -> None:
    async with EmbeddedBroker() as broker:
        will = aiomqtt.Will(on_wire("acl", "acks/x/dsp"), b'{"v":1,"ids":["m"]}')
        devices = login(broker, "devices")
        for refused in (
            {}, {"username": "dsp", "password": "guess"}, {"username": "root"},
            devices | {"will": will},  # a will the broker would publish unchecked
        ):  # fmt: skip
            with pytest.raises(aiomqtt.MqttCodeError):
                async with aiomqtt.Client(broker.host, broker.port, **refused):  # type: ignore[arg-type]
                    pass
        async with (
            aiomqtt.Client(broker.host, broker.port, **login(broker)) as harness,
            aiomqtt.Client(broker.host, broker.port, **devices) as prying,
        ):
            await harness.subscribe(on_wire("acl", dsp_requests()), qos=1)
            await prying.subscribe("#", qos=1)  # refused: nothing of the run reaches it
            await prying.publish(on_wire("acl", dsp_requests()), b"{}", qos=1)  # dropped
            await _silent(harness)  # the devices' "{}" never reached the DSP's topic
            await harness.publish(on_wire("acl", dsp_requests()), b"<r/>", qos=1)
            assert (await anext(aiter(harness.messages))).payload == b"<r/>"  # it hears it …
            await _silent(prying)  # … the devices' login does not


async def test_the_embedded_broker_retains_nothing_for_another_login() -> None:
    async with EmbeddedBroker() as broker:
        inbox = on_wire("acl", "users/90B3D51F30010000/inbox")
        async with aiomqtt.Client(broker.host, broker.port, **login(broker)) as harness:
            await harness.subscribe(on_wire("acl", "users/+/inbox"), qos=1)
            async with aiomqtt.Client(broker.host, broker.port, **login(broker, "dsp")) as dsp:
                await dsp.publish(inbox, b"<secret/>", qos=1, retain=True)
            assert (await anext(aiter(harness.messages))).payload == b"<secret/>"
            async with aiomqtt.Client(broker.host, broker.port, **login(broker, "devices")) as late:
                await late.subscribe(on_wire("acl", "devices/+/inbox"), qos=1)
                await _silent(late)  # no retained User inbox message handed to it


async def test_clients_that_vanish_leave_no_socket_open_in_the_broker() -> None:
    """A client that connects and says nothing, and one that drops while the broker writes to
    it: the broker closes both sockets (an unclosed one is a ResourceWarning, an error here —
    so the broker runs in this test's own loop, as its process runs it)."""
    broker = EmbeddedBroker()  # its generated logins; the broker itself runs here
    passwords = {name: broker.access(name).password for name in LOGINS}
    amqtt, broker.port = await start_here(broker.host, 0, passwords)
    try:
        _, silent = await asyncio.open_connection(broker.host, broker.port)
        silent.close()
        await silent.wait_closed()
        async with aiomqtt.Client(broker.host, broker.port, **login(broker)) as harness:
            reader, writer = await asyncio.open_connection(broker.host, broker.port)
            writer.write(_connect(login(broker, "dsp")))
            await reader.readexactly(4)  # CONNACK
            writer.write(_subscribe(on_wire("acl", dsp_requests())))
            await reader.readexactly(5)  # SUBACK
            writer.transport.set_write_buffer_limits(0)
            for _ in range(50):  # unread deliveries fill the socket, then it is reset
                await harness.publish(on_wire("acl", dsp_requests()), b"x" * 65536, qos=1)
            writer.transport.abort()
            await asyncio.sleep(0.5)
    finally:
        await asyncio.wait_for(amqtt.shutdown(), 10)
    gc.collect()


def _connect(access: dict[str, str]) -> bytes:
    user, password = access["username"].encode(), access["password"].encode()
    body = (
        b"\x00\x04MQTT\x04\xc2\x00\x3c"  # MQTT 3.1.1, user name + password + clean, keep-alive 60
        + _string(b"vanishing")
        + _string(user)
        + _string(password)
    )
    return b"\x10" + _length(len(body)) + body


def _subscribe(topic: str) -> bytes:
    body = b"\x00\x01" + _string(topic.encode()) + b"\x01"
    return b"\x82" + _length(len(body)) + body


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)
