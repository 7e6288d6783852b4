"""The Harness itself: starting estates, waiting with timeouts, surfacing role failures,
looking inside, and stores kept in a data folder."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from s1harness.estate import EstateError, dumps, preset
from s1harness.estate.presets import NETWORK_OPERATOR, SUPPLIER, WRONG_NETWORK_OPERATOR
from s1harness.roles.s1sp.store import SlotKind, SlotRole
from s1harness.roles.smets2.cells import NETWORK_OPERATOR_DS
from s1harness.roles.user import DccUser
from s1harness.spec.bus import Envelope, Kind, user_inbox
from s1harness.spec.errors import InputError
from s1harness.suite.audit import DuisAudit
from s1harness.testing import Harness, RoleFailureError, refusal

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors


async def test_starts_from_a_preset_a_file_or_an_estate(tmp_path: Path) -> None:
    (tmp_path / "estate.yaml").write_text(dumps(preset("small")))
    for ref in ("small", tmp_path, tmp_path / "estate.yaml", preset("small")):
        async with Harness.start(ref) as h:
            assert h.estate == preset("small")
    with pytest.raises(EstateError, match="neither an estate file or folder nor a preset"):
        async with Harness.start("nonsense"):
            pass


async def test_looking_inside_slots_cells_and_registration() -> None:
    async with Harness.start("small") as h:
        esme = h.device(smets=1, cohort="MOC", device_type="ESME", wrong_no=True)
        slots = h.slots(esme)
        assert set(slots) == {(r, k) for r in SlotRole for k in SlotKind}
        assert h.slot_owner(esme) == WRONG_NETWORK_OPERATOR
        assert h.slot_owner(esme, SlotRole.SUPPLIER) == SUPPLIER
        mpan = h.system.registry.device(esme).mpan  # type: ignore[union-attr]
        registered = h.registration(mpan)  # type: ignore[arg-type]
        assert registered is not None and registered.network_operator == NETWORK_OPERATOR
        smets2 = h.device(smets=2, device_type="ESME")
        assert h.cells(smets2).certificate(NETWORK_OPERATOR_DS).eui == NETWORK_OPERATOR  # type: ignore[union-attr]
        with pytest.raises(InputError, match="not a SMETS1 device"):
            h.slots(smets2)
        with pytest.raises(InputError, match="not a SMETS2 device"):
            h.cells(esme)


async def test_waits_time_out_naming_what_they_waited_for() -> None:
    async with Harness.start("small") as h:
        with pytest.raises(TimeoutError, match=f"waited 0.05 s for an alert N42 to {SUPPLIER}"):
            await h.alert(SUPPLIER, code="N42", timeout=0.05)


async def test_a_role_that_raises_fails_the_next_wait(
    duis_audit: DuisAudit, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: DccUser, envelope: Envelope) -> list[Envelope]:
        raise ValueError("a bug in a role")

    monkeypatch.setattr(DccUser, "receive", broken)  # a role with a bug (garbage is refused)
    async with Harness.start("small") as h:
        with duis_audit.exempt():
            garbage = Envelope(user_inbox(SUPPLIER), Kind.DUIS_RESPONSE, b"not xml", "x")
        await h.publish(garbage)
        with pytest.raises(RoleFailureError, match=r"handler for .*inbox failed on duis-response"):
            await h.settle()


async def test_the_clock_moves_only_when_told() -> None:
    async with Harness.start("small") as h:
        start = h.clock()
        assert start == preset("small").start
        assert await h.advance(timedelta(hours=1)) == start + timedelta(hours=1)
        with pytest.raises(InputError, match="cannot go back"):
            await h.advance(timedelta(seconds=-1))


async def test_stores_in_a_data_folder_outlive_the_run(tmp_path: Path) -> None:
    async with Harness.start("small", data_dir=tmp_path) as h:
        esme = h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=True)
        sent = await h.send(
            WRONG_NETWORK_OPERATOR, esme, "6.15.1", h.bodies.update_credentials(NETWORK_OPERATOR)
        )
        assert refusal(await h.outcome(sent)) is None
        await h.power_outage(esme, timedelta(minutes=5))  # its alerts use sequence numbers too
        device = h.system.smets1[esme].state
    assert device.sequence > 0 and device.instruction_floor > 0
    assert sorted(p.name for p in tmp_path.glob("*.sqlite")) == [
        "devices.sqlite", "dsp.sqlite", "registry.sqlite", "s1sp-FOC.sqlite",
        "s1sp-IOC.sqlite", "s1sp-MOC.sqlite",
    ]  # fmt: skip
    async with Harness.start("small", data_dir=tmp_path) as again:
        assert again.slot_owner(esme) == NETWORK_OPERATOR  # not re-seeded from the estate
        assert len(again.system.registry.devices()) == len(preset("small").devices)
        assert again.system.smets1[esme].state == device  # counters and credentials carry on
        # … so the S1SP takes the restarted device's answers: the next request works (an hour
        # on: the User's RequestID counters follow the clock, which stood still in the first run)
        await again.advance(timedelta(hours=1))
        sent = await again.send(
            NETWORK_OPERATOR, esme, "6.15.1", again.bodies.update_credentials(NETWORK_OPERATOR)
        )
        assert refusal(await again.outcome(sent)) is None


async def test_users_act_only_on_messages_the_dsp_signed() -> None:
    async with Harness.start("small") as h:
        esme = h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=True)
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        sent = await h.send(WRONG_NETWORK_OPERATOR, esme, "6.15.1", body)
        await h.outcome(sent)
        user = h.system.users[WRONG_NETWORK_OPERATOR]
        assert user.refused == []
        genuine = next(
            e for e in h.bus.published  # type: ignore[attr-defined]
            if e.topic == user_inbox(WRONG_NETWORK_OPERATOR) and e.kind is Kind.DUIS_RESPONSE
        )  # fmt: skip
        forged = genuine.payload.replace(b"<sr:ResponseCode>I0<", b"<sr:ResponseCode>E4<", 1)
        assert forged != genuine.payload
        received = len(sent.received)
        await h.publish(dataclasses.replace(genuine, payload=forged))
        await h.settle()
        assert len(user.refused) == 1 and "digest" in user.refused[0][1].lower()
        assert len(sent.received) == received
