"""The bus contract (docs/asyncapi.yaml): its shape, what ``check`` refuses, and every message a
full scenario run sends passing it."""

from __future__ import annotations

import base64
import inspect
import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from s1harness.services import contract
from s1harness.services.contract import (
    default,
    load_contract,
    locate,
    message_schema,
    resolve,
)
from s1harness.spec import bus, wire
from s1harness.spec.bus import Kind
from s1harness.spec.errors import InputError

RUN = "run-1"


def _wired(topic: str) -> str:
    """A topic as it is on the broker: a run's own topic names sit under ``s1h/v3/<run>/``."""
    return topic if topic.startswith("s1h/") else bus.on_wire(RUN, topic)


def check(topic: str, data: bytes) -> list[str]:
    return contract.check(_wired(topic), data)


def channel_for(topic: str) -> str:
    return contract.channel_for(_wired(topic))


REPOSITORY = Path(__file__).resolve().parents[3]
SOURCE = yaml.safe_load((REPOSITORY / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
"""The document as written, references unresolved."""
RID = "90-B3-D5-1F-30-01-00-00:00-DB-11-10-00-00-00-01:1000"
DEVICE = "00DB111000000001"
SAMPLES = {
    "user_id": "90B3D51F30010000",
    "cohort": "MOC",
    "device_id": DEVICE,
    "ack_to": "x",
    "login": "devices",
    "role": "s1sp:MOC",
}
"""An argument for each parameter name of the topic functions."""

# The golden frames of docs/smets1-instruction-frame.md §7.1 and §7.2.
SMETS1_INSTRUCTION = bytes.fromhex(
    "533101010100DB1234567890A0000000000000000100000000000003E80101000000"
    "E69DC183C052D21669596715101C99B2"
)
SMETS1_RESPONSE = bytes.fromhex(
    "533101020100DB1234567890A0000000000000000100000000000003E801010000161200080000000000"
    "BC614E11000800000000665B0D400EBF96813B7ECB63B685071F4B36E464"
)
MAC_ENVELOPE_START = bytes.fromhex("DD000000000000820100")


def _topic_functions() -> list[Callable[..., str]]:
    """Every function of spec/bus.py that names a topic, and the acknowledgement topic."""
    found = [
        f
        for _, f in inspect.getmembers(bus, inspect.isfunction)
        if f.__module__ == bus.__name__
        and inspect.signature(f).return_annotation == "str"
        and f not in (bus.run_id, bus.new_run_id, bus.on_wire, bus.consumer)
    ]
    return [*found, lambda ack_to, login: wire.acknowledgements(wire.acks(ack_to), login)]


def _topic(function: Callable[..., str]) -> str:
    names = inspect.signature(function).parameters
    return function(*(SAMPLES[name] for name in names))


def _wire(
    kind: Kind = Kind.DUIS_REQUEST,
    payload: bytes = b'<?xml version="1.0"?><sr:Request/>',
    headers: tuple[tuple[str, str], ...] = (),
    correlation: str = RID,
) -> dict[str, Any]:
    """A hand-made wire document (not an Envelope: those of the DUIS kinds are audited)."""
    return {
        "v": wire.WIRE_VERSION,
        "id": uuid.uuid4().hex,
        "kind": kind.value,
        "correlation_id": correlation,
        "headers": dict(headers),
        "ack_to": wire.acks("dsp-1"),
        "payload": base64.b64encode(payload).decode(),
    }


def _issues(topic: str, document: dict[str, Any]) -> list[str]:
    return check(topic, json.dumps(document).encode())


# -- the document -------------------------------------------------------------------------------


def test_the_document_is_where_the_repository_keeps_it() -> None:
    assert locate() == REPOSITORY / "docs" / "asyncapi.yaml"


def test_version_ties_to_the_topic_prefix_and_the_wire_version() -> None:
    info = SOURCE["info"]
    assert SOURCE["asyncapi"] == "3.0.0"
    assert f"s1h/v{info['version'].split('.')[0]}" == bus.ROOT
    assert info["x-topic-prefix"] == bus.on_wire("{runId}", "").rstrip("/")
    assert info["x-wire-version"] == wire.WIRE_VERSION
    assert info["x-max-message-octets"] == wire.MAX_MESSAGE
    assert SOURCE["components"]["schemas"]["wireVersion"]["const"] == wire.WIRE_VERSION


def test_channels_name_their_parameters_and_messages() -> None:
    messages = SOURCE["components"]["messages"]
    for key, channel in SOURCE["channels"].items():
        address = channel["address"]
        assert address.startswith(bus.on_wire("{runId}", "")), key
        placeholders = {p[1:-1] for p in address.split("/") if p.startswith("{")}
        assert placeholders == set(channel.get("parameters", {})), key
        assert channel["messages"], key
        for message in channel["messages"].values():
            name = message["$ref"].removeprefix("#/components/messages/")
            assert name in messages, f"{key}: {message['$ref']}"


def test_operations_are_a_role_sending_or_receiving_on_a_channel() -> None:
    channels, roles = SOURCE["channels"], {t["name"] for t in SOURCE["components"]["tags"].values()}
    actions: dict[str, set[str]] = {key: set() for key in channels}
    for key, operation in SOURCE["operations"].items():
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        assert channel in channels, key
        actions[channel].add(operation["action"])
        for message in operation.get("messages", []):
            name = message["$ref"].removeprefix(f"#/channels/{channel}/messages/")
            assert name in channels[channel]["messages"], f"{key}: {message['$ref']}"
        assert operation["x-role"] in roles, key
        resolved = default().document["operations"][key]
        assert operation["x-role"] in {t["name"] for t in resolved["tags"]}, key
        mqtt = resolved["bindings"]["mqtt"]
        assert (mqtt["qos"], mqtt["retain"]) == (1, False), key
    assert all(found == {"send", "receive"} for found in actions.values()), actions


def test_every_kind_has_a_message_with_its_schema_and_correlation() -> None:
    by_kind = {}
    for message in default().document["components"]["messages"].values():
        kind = message["payload"]["properties"].get("kind", {}).get("const")
        if kind is not None:
            by_kind[kind] = message
    assert set(by_kind) == {k.value for k in Kind}
    for kind in Kind:
        schema = message_schema(kind)
        Draft202012Validator.check_schema(schema)
        assert "$ref" not in json.dumps(schema), kind
        assert schema["properties"]["kind"]["const"] == kind.value
        payload = schema["properties"]["payload"]
        assert payload["contentEncoding"] == "base64" and payload["description"], kind
        assert (
            by_kind[kind.value]["correlationId"]["location"] == "$message.payload#/correlation_id"
        )


def test_message_schema_is_a_copy() -> None:
    message_schema(Kind.GBCS_COMMAND)["properties"].clear()
    assert "payload" in message_schema(Kind.GBCS_COMMAND)["properties"]


def test_every_topic_function_maps_to_a_channel_and_every_channel_to_one() -> None:
    functions = _topic_functions()
    assert len(functions) == 10
    addresses = {channel_for(_topic(f)) for f in functions}
    addresses.add(channel_for(bus.control("dsp")))  # control(role) has two shapes
    assert addresses == {c["address"] for c in SOURCE["channels"].values()}


@pytest.mark.parametrize(
    ("topic", "address"),
    [
        ("s1h/v3/run-1/users/90B3D51F30010000/inbox", "s1h/v3/{runId}/users/{userId}/inbox"),
        ("s1h/v3/run-1/s1sp/FOC/from-devices", "s1h/v3/{runId}/s1sp/{cohort}/from-devices"),
        ("s1h/v3/run-1/devices/00DB111000000001/inbox", "s1h/v3/{runId}/devices/{deviceId}/inbox"),
        ("s1h/v3/run-1/acks/4f2a9c01be77/dsp", "s1h/v3/{runId}/acks/{ackId}/{login}"),
    ],
)
def test_channel_for(topic: str, address: str) -> None:
    assert channel_for(topic) == address


@pytest.mark.parametrize(
    "topic",
    [
        "s1h/v3/run-1/users/90b3d51f30010000/inbox",  # lower-case hex
        "s1h/v3/run-1/devices/00DB11100000001/inbox",  # 15 digits
        "s1h/v3/run-1/devices/00DB111000000001\n/inbox",
        "s1h/v3/run-1/s1sp/XOC/requests",  # no such cohort
        "s1h/v3/run-1/acks/a",  # no login
        "s1h/v3/run-1/acks/a/b",  # no such login
        "s1h/v3/run-1/acks/a/dsp/c",
        "s1h/v3/run-1/acks/+/dsp",
        "s1h/v3/dsp/requests",  # no run ID
        "s1h/v3/run.1/dsp/requests",  # not a run ID
        "s1h/v3/run-1/dsp/requests/more",
    ],
)
def test_channel_for_refuses_topics_outside_the_contract(topic: str) -> None:
    with pytest.raises(InputError, match="no channel of the bus contract matches"):
        channel_for(topic)


# -- check: hand-made messages -----------------------------------------------------------------

REQUESTS = bus.on_wire(RUN, bus.dsp_requests())


def test_a_well_formed_request_passes() -> None:
    assert _issues(REQUESTS, _wire()) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d | {"kind": "gbcs-command"},
         "kind 'gbcs-command' is not carried on s1h/v3/{runId}/dsp/requests"),
        (lambda d: d | {"kind": "telegram"}, "$.kind: 'telegram' is not one of"),
        (lambda d: {k: v for k, v in d.items() if k != "kind"}, "'kind' is a required property"),
        (lambda d: {k: v for k, v in d.items() if k != "id"}, "$: 'id' is a required property"),
        (lambda d: d | {"id": ""}, "$.id: "),
        (lambda d: d | {"v": 2}, "$.v: 1 was expected"),
        (lambda d: d | {"payload": "!!!!"}, "$.payload: does not match"),
        (lambda d: d | {"payload": "PD9"}, "$.payload: does not match"),  # unpadded
        (lambda d: d | {"payload": ""}, "$.payload: "),
        (lambda d: d | {"payload": "PD94\n"}, "$.payload: does not match"),  # ECMA-262 "$"
        (lambda d: d | {"correlation_id": "00DB:outage"}, "$.correlation_id: does not match"),
        (lambda d: d | {"headers": {"device": DEVICE}}, "$.headers: Additional properties"),
        (lambda d: d | {"extra": 1}, "'extra' was unexpected"),
        (lambda d: d | {"ack_to": "dsp/requests"}, "$.ack_to: does not match"),
    ],
)  # fmt: skip
def test_check_reports_a_bad_request(
    mutate: Callable[[dict[str, Any]], dict[str, Any]], expected: str
) -> None:
    issues = _issues(REQUESTS, mutate(_wire()))
    assert any(expected in issue for issue in issues), issues
    assert all(issue.startswith(f"{REQUESTS}: ") and "\n" not in issue for issue in issues)


def test_check_reports_an_unknown_topic_unreadable_octets_and_oversize() -> None:
    data = json.dumps(_wire()).encode()
    assert check("s1h/v3/run-1/dsp/nowhere", data) == [
        "s1h/v3/run-1/dsp/nowhere: no channel of the bus contract matches this topic"
    ]
    assert "not a JSON document" in check(REQUESTS, b"\xff{")[0]
    assert "over the limit of 4194304" in check(REQUESTS, b" " * (wire.MAX_MESSAGE + 1))[0]


def test_headers_per_kind() -> None:
    topic = bus.on_wire(RUN, bus.s1sp_requests("IOC"))
    with_device = _wire(Kind.COUNTERSIGNED_REQUEST, headers=(("device", DEVICE),))
    assert _issues(topic, with_device) == []
    without = _wire(Kind.COUNTERSIGNED_REQUEST)
    assert any("$.headers: 'device' is a required property" in i for i in _issues(topic, without))
    for bad in (DEVICE.lower(), DEVICE + "\n"):
        wrong = _wire(Kind.COUNTERSIGNED_REQUEST, headers=(("device", bad),))
        assert _issues(topic, wrong) == [
            f"{topic}: $.headers.device: does not match ^[0-9A-F]{{16}}$"
        ]
    inbox = bus.device_inbox(DEVICE)
    instruction = _wire(Kind.SMETS1_INSTRUCTION, SMETS1_INSTRUCTION, (("cohort", "NOC"),))
    assert any("$.headers.cohort: 'NOC' is not one of" in i for i in _issues(inbox, instruction))
    posted = _wire(Kind.DUIS_REQUEST, headers=(("service", "T"),))
    assert _issues(bus.dsp_requests(), posted) == []  # the DCC Boxed URL it came in on
    elsewhere = _wire(Kind.DUIS_REQUEST, headers=(("service", "Q"),))
    assert any("$.headers.service: 'Q' is not one of" in i
               for i in _issues(bus.dsp_requests(), elsewhere))  # fmt: skip


def test_a_device_inbox_carries_gbcs_commands_and_smets1_instructions_only() -> None:
    inbox = bus.device_inbox(DEVICE)
    instruction = _wire(Kind.SMETS1_INSTRUCTION, SMETS1_INSTRUCTION, (("cohort", "IOC"),))
    command = _wire(Kind.GBCS_COMMAND, MAC_ENVELOPE_START)
    assert _issues(inbox, instruction) == [] and _issues(inbox, command) == []
    response = _wire(Kind.SMETS1_DEVICE_FRAME, SMETS1_RESPONSE, (("device", DEVICE),))
    assert "it carries ['gbcs-command', 'smets1-instruction']" in _issues(inbox, response)[0]
    assert _issues(bus.s1sp_from_devices("IOC"), response) == []


@pytest.mark.parametrize(
    ("kind", "payload", "headers"),
    [
        (Kind.SMETS1_INSTRUCTION, SMETS1_RESPONSE, (("cohort", "IOC"),)),
        (Kind.SMETS1_INSTRUCTION, MAC_ENVELOPE_START, (("cohort", "IOC"),)),
        (Kind.GBCS_COMMAND, SMETS1_INSTRUCTION, ()),
        (Kind.GBCS_COMMAND, b"<?xml?>", ()),
    ],
    ids=["smets1-response", "gbcs-as-smets1", "smets1-as-gbcs", "xml-as-gbcs"],
)
def test_the_payload_must_start_as_its_kind_says(
    kind: Kind, payload: bytes, headers: tuple[tuple[str, str], ...]
) -> None:
    issues = _issues(bus.device_inbox(DEVICE), _wire(kind, payload, headers))
    assert len(issues) == 1 and "$.payload: does not match ^" in issues[0], issues


def test_acknowledgements() -> None:
    topic = wire.acknowledgements(wire.acks("4f2a"), "s1sp-IOC")
    assert check(topic, wire.encode_ack(["9f1c", "a07e"])) == []
    assert "$.ids: " in check(topic, wire.encode_ack([]))[0]
    assert "'ids' is a required property" in check(topic, b'{"v": 1}')[0]
    assert any("Additional properties are not allowed" in i for i in _issues(topic, _wire()))


@given(st.binary(max_size=512))
def test_random_octets_give_only_issues(data: bytes) -> None:
    assert all(isinstance(issue, str) for issue in check(REQUESTS, data))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@settings(suppress_health_check=[HealthCheck.too_slow])  # recursive documents, a busy machine
@given(st.dictionaries(st.sampled_from(["v", "id", "kind", "headers", "payload"]), _JSON))
def test_any_json_document_gives_only_issues(document: dict[str, Any]) -> None:
    # Never valid: no kind of the contract is as short as the generated texts.
    assert check(bus.device_inbox(DEVICE), json.dumps(document).encode())


# -- loading -----------------------------------------------------------------------------------


def test_load_contract_fails_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the bus contract") as missing:
        load_contract(tmp_path / "asyncapi.yaml")
    assert "\n" not in missing.value.message
    other = tmp_path / "openapi.yaml"
    other.write_text("openapi: 3.1.0\n")
    with pytest.raises(InputError, match=re.escape("not an AsyncAPI 3.0.0 document")):
        load_contract(other)


def test_load_contract_reads_a_given_path() -> None:
    assert load_contract(REPOSITORY / "docs" / "asyncapi.yaml").version == "3.0.0"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"a": {"$ref": "#/a"}}, "#/a refers to itself"),
        ({"a": {"$ref": "#/b/c"}, "b": {}}, "#/b/c points nowhere"),
        ({"a": {"$ref": "other.yaml#/a"}}, "other.yaml#/a is not a reference inside"),
    ],
)
def test_resolve_refuses_bad_references(document: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        resolve(document, document)


# -- what the runtime sends ---------------------------------------------------------------------


@pytest.mark.vectors  # the run's DUIS messages are checked against the DUIS XSD
async def test_every_message_of_a_run_passes_the_contract() -> None:
    """A short run that sends every kind of message, in memory (the feature suite's scenarios
    are checked on the wire by tests/integration/test_contract_on_the_wire.py): a SMETS1
    handover with its DCC alert, the device's outage alerts, refusals by the S1SP and by the
    DSP, and a SMETS2 device's signed response, its silence on the old key and the E21."""
    from s1harness.estate.presets import NETWORK_OPERATOR, OTHER_USER, SUPPLIER
    from s1harness.estate.presets import WRONG_NETWORK_OPERATOR as WRONG
    from s1harness.services.inmemory import InMemoryBus
    from s1harness.testing import Harness, refusal
    from s1harness.testing.expectations import accepted, device_response, estate

    async with Harness.start(estate()) as h:
        assert isinstance(h.bus, InMemoryBus)  # it keeps every envelope published
        right, wrong_body = (
            h.bodies.update_credentials(NETWORK_OPERATOR),
            h.bodies.update_credentials(WRONG),
        )
        smets1 = h.device(smets=1, cohort="IOC", device_type="ESME")
        await accepted(h, SUPPLIER, smets1, "6.21", h.bodies.handover(WRONG), what="the 6.21")
        await accepted(h, WRONG, smets1, "6.15.1", right, what="the handover")
        await h.alert(NETWORK_OPERATOR, code="N42")
        await h.power_outage(smets1, timedelta(minutes=5))
        await h.alert(NETWORK_OPERATOR, code="8F36")
        for sender, body, code in ((WRONG, wrong_body, "S1VE64"), (OTHER_USER, right, "E2")):
            refused = await h.send(sender, smets1, "6.15.1", body)
            assert refusal(await h.outcome(refused)) == code
        smets2 = h.device(smets=2, device_type="ESME", wrong_no=True)
        device_response(await h.outcome(await h.send(WRONG, smets2, "6.15.1", right)), smets2)
        silent = await h.send(WRONG, smets2, "6.15.1", wrong_body)
        await h.settle()
        await h.advance(timedelta(minutes=2))
        assert refusal(await h.outcome(silent)) == "E21"
        await h.settle()
        published = h.bus.published
    issues: list[str] = []
    for envelope in published:
        delivery = wire.Delivery(envelope, uuid.uuid4().hex, ack_to=wire.acks("x"))
        issues += check(envelope.topic, wire.encode(delivery))
    assert issues == []
    assert {envelope.kind for envelope in published} == set(Kind) - bus.CONTROL_KINDS
