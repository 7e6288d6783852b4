"""The access lists: the Mosquitto recipe is exactly them, every role may take what it consumes
and acknowledge it under its own name only, and the contract names the same logins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from s1harness.spec import bus
from s1harness.spec.access import ACCESS, LOGINS, mosquitto_acl
from s1harness.spec.bus import on_wire
from s1harness.spec.wire import acknowledgements, acks

REPOSITORY = Path(__file__).parents[3]
CONSUMED = [
    bus.dsp_requests(),
    bus.dsp_from_s1sp(),
    bus.dsp_from_devices(),
    bus.user_inbox("90B3D51F30010000"),
    bus.device_inbox("00DB111000000001"),
    bus.control_replies(),
    bus.control("dsp"),
    bus.control("devices"),
    *(bus.s1sp_requests(c) for c in bus.COHORTS),
    *(bus.s1sp_from_devices(c) for c in bus.COHORTS),
    *(bus.control(f"s1sp:{c}") for c in bus.COHORTS),
]


def test_the_mosquitto_recipe_is_the_access_lists() -> None:
    assert (REPOSITORY / "emulators" / "mosquitto" / "acl").read_text() == mosquitto_acl()


def test_the_contract_names_the_same_logins() -> None:
    contract = yaml.safe_load((REPOSITORY / "docs" / "asyncapi.yaml").read_text())
    assert tuple(contract["components"]["parameters"]["login"]["enum"]) == LOGINS


@pytest.mark.parametrize("topic", CONSUMED)
def test_a_consumer_reads_its_topic_and_acknowledges_it_under_its_own_name_only(
    topic: str,
) -> None:
    login = bus.consumer(topic)
    assert ACCESS[login].may_subscribe(on_wire("r1", topic))
    for other in LOGINS:
        answer = on_wire("r1", acknowledgements(acks("a1"), login))
        assert ACCESS[other].may_publish(answer) == (other in (login, "harness")), other


@pytest.mark.parametrize(
    ("login", "topic_filter", "allowed"),
    [
        ("dsp", "s1h/v3/r1/dsp/requests", True),
        ("dsp", "s1h/v3/+/dsp/#", True),
        ("dsp", "s1h/v3/r1/#", False),
        ("dsp", "#", False),
        ("dsp", "s1h/v3/r1/s1sp/IOC/requests", False),
        ("s1sp-IOC", "s1h/v3/r1/s1sp/+/requests", False),  # every cohort's, not just its own
        ("s1sp-IOC", "s1h/v3/r1/s1sp/IOC/+", True),
        ("devices", "s1h/v3/r1/devices/+/inbox", True),
        ("devices", "s1h/v3/r1/dsp/from-devices", False),
        ("harness", "s1h/v3/#", True),
    ],
)
def test_subscriptions(login: str, topic_filter: str, allowed: bool) -> None:
    assert ACCESS[login].may_subscribe(topic_filter) == allowed


def test_the_access_lists_read_and_write_only_the_contract_s_topics() -> None:
    assert not ACCESS["devices"].may_publish("s1h/v3/r1/dsp/requests")
    assert not ACCESS["s1sp-MOC"].may_publish("s1h/v3/r1/s1sp/IOC/requests")
    assert ACCESS["dsp"].may_publish("s1h/v3/r1/s1sp/FOC/requests")
    assert not ACCESS["dsp"].may_publish("s1h/v4/r1/s1sp/FOC/requests")
