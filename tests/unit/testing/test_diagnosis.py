"""The diagnosis a failed step shows: each request's answers and every decision about it of the
roles the Harness runs, what they dropped unanswered, and who plays the rest."""

from __future__ import annotations

import pytest

from s1harness.estate.presets import NETWORK_OPERATOR, WRONG_NETWORK_OPERATOR
from s1harness.spec.bus import Envelope, Kind, dsp_from_s1sp
from s1harness.suite.audit import DuisAudit
from s1harness.testing import Harness
from s1harness.testing.diagnosis import diagnose
from s1harness.testing.expectations import estate

pytestmark = pytest.mark.vectors  # the DSP reads the DUIS XSD


async def test_a_refused_request_and_a_dropped_message(duis_audit: DuisAudit) -> None:
    async with Harness.start(estate()) as h:
        device = h.device(smets=1, cohort="IOC", device_type="ESME", wrong_no=True)
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        sent = await h.send(NETWORK_OPERATOR, device, "6.15.1", body)  # not the slot's owner
        await h.outcome(sent)
        with duis_audit.exempt():  # broken on purpose
            garbage = Envelope(dsp_from_s1sp(), Kind.S1SP_RESPONSE, b"<not xml", "junk-1")
        await h.publish(garbage)
        await h.settle()
        text = diagnose(h, [sent])
    lines = text.splitlines()
    assert lines[0] == f"request {sent.request_id} (SRV 6.15.1): received I0, I99, I0"
    assert "  IOC S1SP: S1SR 4.2 rejected S1VE64: the network_operator slot of" in text
    assert any(line.startswith("  DSP: SRPD 6.1(f) lifted: SRPD 6.2(d)") for line in lines)
    assert "dropped without an answer:" in lines
    assert any(line.startswith("  DSP: DSP S1SP message rejected") and "(junk-1)" in line
               for line in lines)  # fmt: skip
    assert lines[-1].startswith("every role run by this Harness, on the in-memory bus (run ")
    assert WRONG_NETWORK_OPERATOR in text  # the slot's owner, named in the refusal
