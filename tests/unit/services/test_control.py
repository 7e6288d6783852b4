"""The control channel's build side (``s1harness up``'s :class:`RoleHost`): each request is
answered, a provisioning document replaces the role's emulator, a bad one is refused with the
field it names, what is not offered says so, and a copy of a request the devices' build
handled before a restart is not applied again."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from s1harness.estate import build, preset
from s1harness.estate.provisioning import export
from s1harness.remediation import NoRegister
from s1harness.services.control import (
    ERROR,
    NOT_SUPPORTED,
    OK,
    RoleHost,
    read_reply,
    request,
)
from s1harness.services.inmemory import InMemoryBus
from s1harness.services.kept_clock import KeptClock
from s1harness.services.runner import RoleRunner
from s1harness.spec.bus import Envelope, Kind, control, control_replies
from s1harness.spec.clock import RunningClock

ESTATE = preset("small")


def _host(roles: list[str]) -> Any:
    system = build(ESTATE, clock=lambda: ESTATE.start)
    return RoleHost(system, roles, clock=RunningClock(ESTATE.start), data_dir=None), system


def _ask(host: RoleHost, role: str, op: str, **body: Any) -> Any:
    envelope = request(role, op, **body)
    assert envelope.topic == control(role)
    (answer,) = [e for e in host.on_control(role, envelope) if e.kind is Kind.CONTROL_REPLY]
    assert answer.topic == control_replies() and answer.correlation_id == envelope.correlation_id
    return read_reply(answer)


def test_provision_replaces_the_s1sp_and_its_routes_reach_the_new_one() -> None:
    host, system = _host(["s1sp:IOC"])
    before = system.s1sps["IOC"]
    document = export(system, "s1sp:IOC")
    document["mp107"] = False
    answer = _ask(host, "s1sp:IOC", "provision", document=document)
    assert (answer.status, answer.role) == (OK, "s1sp:IOC")
    assert system.s1sps["IOC"] is not before and system.s1sps["IOC"].mp107 is False
    routes = dict(host.routes())
    assert control("s1sp:IOC") in routes
    probe = Envelope("s1sp/IOC/requests", Kind.COUNTERSIGNED_REQUEST, b"<x/>", "c")
    routes["s1sp/IOC/requests"](probe)  # not XML the S1SP takes: dropped, logged by the new one
    assert system.s1sps["IOC"].decisions and not before.decisions


def test_a_bad_document_is_an_error_naming_the_field_and_changes_nothing() -> None:
    host, system = _host(["s1sp:IOC"])
    before = system.s1sps["IOC"]
    document = export(system, "s1sp:IOC") | {"mp107": "maybe"}
    answer = _ask(host, "s1sp:IOC", "provision", document=document)
    assert answer.status == ERROR and "document.mp107: expected true or false" in answer.detail
    assert system.s1sps["IOC"] is before
    wrong_role = export(system, "s1sp:MOC")
    answer = _ask(host, "s1sp:IOC", "provision", document=wrong_role)
    assert answer.status == ERROR and "a document for s1sp:MOC, sent to s1sp:IOC" in answer.detail


def test_hello_clock_and_what_is_not_offered() -> None:
    host, _ = _host(["dsp"])
    hello = _ask(host, "dsp", "hello")
    assert hello.status == OK and hello.data["build"]["name"] == "s1harness"
    clock = _ask(host, "dsp", "clock", now="2026-11-22T00:00:00Z")
    assert clock.status == OK and host.clock().date().isoformat() == "2026-11-22"
    assert _ask(host, "dsp", "remediate").status == NOT_SUPPORTED
    assert _ask(host, "dsp", "dance").status == NOT_SUPPORTED
    bad = Envelope(control("dsp"), Kind.CONTROL_REQUEST, b"{", "c")
    (answer,) = host.on_control("dsp", bad)
    assert read_reply(answer).status == ERROR
    assert json.loads(answer.payload)["detail"] == "a control request that is not JSON"


def test_remediate_over_the_control_channel_checks_the_register_first(tmp_path: Path) -> None:
    system = build(ESTATE, clock=lambda: ESTATE.start, data_dir=tmp_path)
    host = RoleHost(system, ["s1sp:IOC"], clock=RunningClock(ESTATE.start), data_dir=tmp_path)
    try:
        register = NoRegister.of_system(system)
        good = json.loads(register.dumps())
        answer = _ask(host, "s1sp:IOC", "remediate", register=good, at=_iso(ESTATE.start),
                      dry_run=True)  # fmt: skip
        assert answer.status == OK, answer.detail
        long_after = ESTATE.start.replace(year=ESTATE.start.year + 40)  # every certificate expired
        refused = _ask(host, "s1sp:IOC", "remediate", register=good, at=_iso(long_after))
        assert refused.status == ERROR and "cannot be placed" in refused.detail
        assert "expired" in refused.detail
    finally:
        system.close()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_a_copy_of_a_devices_clock_request_handled_before_a_restart_sets_no_time_back(
    tmp_path: Path,
) -> None:
    """With a data dir the devices' control channel is journaled in ``devices.sqlite``: the
    broker's copy of a ``clock`` request the build handled before it was killed (handled, not
    yet acknowledged) is acknowledged by the restarted build and not applied again."""
    first = request("devices", "clock", now="2026-11-22T00:00:00Z")
    later = request("devices", "clock", now="2026-11-23T00:00:00Z")
    for run, sent in enumerate(([(first, "m1"), (later, "m2")], [(first, "m1")])):
        clock = KeptClock(ESTATE.start, tmp_path)  # as `up` starts it on the folder
        system = build(ESTATE, clock=clock, data_dir=tmp_path)
        host = RoleHost(system, ["devices"], clock=clock, data_dir=tmp_path)
        try:
            async with (
                InMemoryBus() as bus,
                RoleRunner(bus, host.routes(), journals=host.journals()) as runner,
            ):
                for envelope, message_id in sent:
                    await bus.publish(envelope, message_id=message_id)
                await runner.settle()
        finally:
            system.close()
        assert clock().date().isoformat() == "2026-11-23", f"run {run}"
