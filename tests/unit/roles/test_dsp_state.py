"""The DSP's own state on disk: a DSP built again on the same data folder holds the counters
and the requests in flight the last one flushed — each request as it was, certificates and
pre-command included."""

from __future__ import annotations

from pathlib import Path

import pytest

from s1harness.estate.build import build
from s1harness.estate.presets import NETWORK_OPERATOR, SUPPLIER, WRONG_NETWORK_OPERATOR
from s1harness.spec.clock import ManualClock
from s1harness.testing import Harness
from s1harness.testing.expectations import estate

pytestmark = pytest.mark.vectors


async def test_a_dsp_built_again_holds_what_the_last_one_flushed(tmp_path: Path) -> None:
    # No one plays the S1SPs: what the DSP routes stays in flight.
    external = ["s1sp:IOC", "s1sp:MOC"]
    async with Harness.start(estate(), data_dir=tmp_path, external=external, provision=False) as h:
        assert h.system.dsp_state is not None
        h.system.dsp.attach(h.system.dsp_state)  # as the DSP's bus journal does under `up`
        handover = h.device(smets=1, cohort="IOC", device_type="ESME")
        await h.send(SUPPLIER, handover, "6.21", h.bodies.handover(WRONG_NETWORK_OPERATOR))
        fix = h.device(smets=1, cohort="MOC", device_type="ESME", wrong_no=True)
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        await h.send(WRONG_NETWORK_OPERATOR, fix, "6.15.1", body)
        await h.settle()
        dsp = h.system.dsp
        assert len(dsp.relay.in_flight.by_request) == 2
        dsp.flush()
        before = dsp.snapshot()
        kept = dict(dsp.relay.in_flight.by_request)
        when = h.clock()

    system = build(estate(), clock=ManualClock(when), data_dir=tmp_path)
    try:
        assert system.dsp_state is not None
        assert system.dsp.snapshot() != before  # built afresh: nothing loaded yet
        system.dsp.attach(system.dsp_state)
        assert system.dsp.snapshot() == before
        for key, pending in system.dsp.relay.in_flight.by_request.items():
            was = kept[key]
            assert pending.request.header == was.request.header
            assert pending.raw == was.raw and pending.routed_at == was.routed_at
            assert pending.read_from == was.read_from
            assert pending.admitted == was.admitted
            assert [c.der for c in pending.certificates] == [c.der for c in was.certificates]
            assert (pending.precommand and pending.precommand.raw) == (
                was.precommand and was.precommand.raw
            )
    finally:
        system.close()


async def test_a_rolled_back_change_is_dropped_from_memory_too(tmp_path: Path) -> None:
    async with Harness.start(estate(), data_dir=tmp_path, provision=False) as h:
        state = h.system.dsp_state
        assert state is not None
        dsp = h.system.dsp
        dsp.attach(state)
        device = h.device(smets=1, cohort="IOC", device_type="ESME")
        await h.outcome(
            await h.send(SUPPLIER, device, "6.21", h.bodies.handover(WRONG_NETWORK_OPERATOR))
        )
        dsp.flush()
        kept = dsp.snapshot()
        await h.send(SUPPLIER, device, "6.21", h.bodies.handover(WRONG_NETWORK_OPERATOR))
        await h.settle()
        assert dsp.snapshot() != kept  # a counter moved, in memory only
        dsp.reload()
        assert dsp.snapshot() == kept
