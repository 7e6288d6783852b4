"""The evidence a scenario carries: every message on the bus, DUIS as XML, GBCS decoded."""

from __future__ import annotations

import json

from s1harness.estate.presets import NETWORK_OPERATOR, WRONG_NETWORK_OPERATOR
from s1harness.testing import Harness
from s1harness.testing.evidence import exhibits


async def test_a_smets2_handover_yields_xml_and_decoded_gbcs() -> None:
    async with Harness.start("small", record=True) as h:
        device = h.device(smets=2, device_type="ESME", wrong_no=True)
        sent = await h.send(
            WRONG_NETWORK_OPERATOR, device, "6.15.1", h.bodies.update_credentials(NETWORK_OPERATOR)
        )
        await h.outcome(sent)
        await h.settle()
        traffic = list(h.traffic)
    kinds = [str(e.kind) for e in traffic]
    assert kinds[0] == "duis-request" and "gbcs-command" in kinds and "gbcs-device-frame" in kinds
    shown = list(exhibits(traffic))
    xml_docs = [x for x in shown if x.media_type == "application/xml"]
    assert len(xml_docs) == kinds.count("duis-request") + kinds.count("duis-response")
    assert all(x.body.lstrip().startswith(b"<") for x in xml_docs)
    decoded = [json.loads(x.body) for x in shown if x.media_type == "application/json"]
    # the PreCommand and SignedPreCommand payloads, the command, the device's response (on the
    # bus and again inside the DUIS response): each decoded, none an error
    assert len(decoded) >= 5 and not [d for d in decoded if "error" in d]
    assert {d["use_case"] for d in decoded} == {"CS02b"}
    assert [x.name[:3] for x in shown] == sorted(x.name[:3] for x in shown)  # numbered in order


def test_an_undecodable_frame_is_shown_as_hex_with_the_reason() -> None:
    from s1harness.spec.bus import Envelope, Kind

    (shown,) = exhibits([Envelope("dsp/from-devices", Kind.GBCS_DEVICE_FRAME, b"\x01", "x")])
    content = json.loads(shown.body)
    assert content["hex"] == "01" and content["error"]
