"""The broker stopped and restarted in the middle of a run: every accepted request completes,
none is executed twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from s1harness.duis.messages import SMETS1ResponseMessage
from s1harness.estate.presets import (
    GAS_TRANSPORTER,
    NETWORK_OPERATOR,
    WRONG_GAS_TRANSPORTER,
    WRONG_NETWORK_OPERATOR,
)
from s1harness.spec import checks
from s1harness.testing import Harness, is_final, refusal
from s1harness.testing.expectations import Case, estate

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]


async def test_a_broker_restart_mid_run_loses_and_repeats_nothing() -> None:
    async with Harness.start(estate(), bus="mqtt") as h:
        assert h.broker is not None
        sent = []
        for case in (Case(c, t) for c in ("IOC", "MOC", "FOC") for t in ("ESME", "GPF")):
            device = case.device(h, wrong_no=True)
            wrong, right = case.wrong_network_operator, case.network_operator
            sent.append(await h.send(wrong, device, "6.15.1", h.bodies.update_credentials(right)))
        await asyncio.sleep(0.02)  # some requests are on their way, some already past the DSP
        await h.broker.stop()
        await asyncio.sleep(0.5)
        await h.broker.start()
        for exchange in sent:
            outcome = await h.outcome(exchange, timeout=30)
            assert isinstance(outcome.body, SMETS1ResponseMessage), refusal(outcome)
        await h.settle(timeout=30)
        for exchange in sent:
            assert exchange.codes == ["I0", "I99", "I0"]  # each reply once
            assert sum(is_final(r) for r in exchange.received) == 1
        executed = Counter(
            d.request_id
            for s1sp in h.system.s1sps.values()
            for d in s1sp.decisions
            if (d.check, d.outcome) == (checks.EXECUTION, "accepted")
        )
        assert sorted(executed.values()) == [1] * len(sent)
        assert set(executed) == {str(e.request_id) for e in sent}
        for device in (d for d in h.system.smets1):
            owner = h.slot_owner(device)
            assert owner in (NETWORK_OPERATOR, GAS_TRANSPORTER), device
        assert WRONG_NETWORK_OPERATOR not in {h.slot_owner(d) for d in h.system.smets1}
        assert WRONG_GAS_TRANSPORTER not in {h.slot_owner(d) for d in h.system.smets1}
        stats = h.bus.stats  # type: ignore[attr-defined]
        assert stats.connections >= 2
