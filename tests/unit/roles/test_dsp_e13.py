"""E13, "the request type is not valid for the URL" (DUIS 5.4 response codes): a request that
names the DCC Boxed URL it was posted to must have been posted to the URL of its
CommandVariant — CV 4 to Transform (``/api/v1/serviceT``); CV 1, 3, 5 and 7 to Send Command
(``/api/v1/serviceS``); CV 2, 6 and 8 to Non-Device (``/api/v1/serviceD``). The check sits after
the signature and replay checks and before E1/E2/E12 (see :mod:`s1harness.roles.dsp.checks`)."""

from __future__ import annotations

import dataclasses

import pytest

from s1harness.duis import xml
from s1harness.duis.messages import Response, ResponseMessage, parse_message
from s1harness.duis.schema import load_schema
from s1harness.duis.verifying import verify_message
from s1harness.spec import checks, codes
from s1harness.spec.bus import Envelope, Kind

from .unit_estate import DCC, NO, OTHER, S1_ESME, Wired, build, no_body

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors

URL_OF_VARIANT = {1: "S", 2: "D", 3: "S", 4: "T", 5: "S", 6: "D", 7: "S", 8: "D"}
"""The DCC Boxed URL of each DUIS CommandVariant, written out here rather than read from the code
under test; CV 9 is the DCC's own and fits no User URL."""
URLS = ("S", "T", "D")


@pytest.fixture(scope="module")
def estate() -> Wired:
    return build()


def _posted(envelope: Envelope, service: str) -> Envelope:
    """The envelope as the HTTP endpoint publishes a request posted to ``service``."""
    return dataclasses.replace(envelope, headers=(("service", service),))


def _replies(estate: Wired, out: list[Envelope]) -> list[Response]:
    """The DSP's responses in ``out``, each checked XSD-valid and signed by the DSP."""
    schema, replies = load_schema(), []
    for envelope in out:
        if envelope.kind is Kind.DUIS_RESPONSE:
            root = xml.parse(envelope.payload)
            assert schema.validate(root) == []
            verification = verify_message(root, estate.dsp_trust)
            assert verification.valid and verification.signer_eui == DCC
            message = parse_message(root)
            assert isinstance(message, Response)
            replies.append(message)
    return replies


def _codes(estate: Wired, envelope: Envelope) -> list[str]:
    """The response codes the DSP answers ``envelope`` with."""
    return [r.header.response_code for r in _replies(estate, estate.dsp.handle(envelope))]


def _request(estate: Wired, variant: int, sender: str = NO, device: str = S1_ESME) -> Envelope:
    return estate.users[sender].request(
        device, "6.15.1", no_body(estate, NO), command_variant=variant
    )


@pytest.mark.parametrize("service", URLS)
@pytest.mark.parametrize("variant", range(1, 10))
def test_every_command_variant_on_every_url(estate: Wired, variant: int, service: str) -> None:
    request = _request(estate, variant)
    before = estate.dsp.snapshot()
    out = estate.dsp.handle(_posted(request, service))
    (reply,) = _replies(estate, out)
    decision = next(d for d in estate.dsp.decisions if d.check is checks.WEB_SERVICE)
    estate.dsp.decisions.clear()
    assert reply.header.request_id is not None
    assert str(reply.header.request_id) == request.correlation_id
    if URL_OF_VARIANT.get(variant) == service:
        assert reply.header.response_code != "E13"
        assert decision.outcome == "accepted"
        return
    assert reply.header.response_code == "E13"
    assert decision.outcome == "rejected" and decision.code is codes.E13
    assert isinstance(reply.body, ResponseMessage)
    assert (reply.body.service_reference, reply.body.service_reference_variant) == (
        "6.15",
        "6.15.1",
    )
    assert estate.dsp.snapshot() == before


def test_the_right_url_gives_the_same_answers_as_no_url() -> None:
    """Requests off the bus name no URL and skip the check; on the right URL the outcome is the
    one the bus gives (I0 for CV 4, E12 for a CV 6.15.1 does not take)."""
    for variant, expected in ((4, "I0"), (1, "E12"), (8, "E12")):
        on_bus, over_http = build(), build()
        plain = _replies(on_bus, on_bus.dsp.handle(_request(on_bus, variant)))
        request = _request(over_http, variant)
        posted = _replies(
            over_http, over_http.dsp.handle(_posted(request, URL_OF_VARIANT[variant]))
        )
        assert [r.header.response_code for r in plain] == [expected]
        assert [r.header.response_code for r in posted] == [expected]
        assert checks.WEB_SERVICE not in {d.check for d in on_bus.dsp.decisions}
        assert (checks.WEB_SERVICE, "accepted") in {
            (d.check, d.outcome) for d in over_http.dsp.decisions
        }


def test_a_critical_request_refused_for_its_url_can_be_posted_again_to_the_right_one() -> None:
    """E13 takes nothing: not the RequestID counter, not the pending transform (DUIS §1.3's
    CV 4 → I0 → CV 5 → I99 still runs after each wrong URL)."""
    estate = build()
    user = estate.users[NO]
    cv4 = _request(estate, 4)
    for wrong in ("S", "D"):
        assert _codes(estate, _posted(cv4, wrong)) == ["E13"]
    (i0,) = estate.dsp.handle(_posted(cv4, "T"))
    assert [r.header.response_code for r in _replies(estate, [i0])] == ["I0"]
    (cv5,) = user.receive(i0)
    for wrong in ("T", "D"):
        before = estate.dsp.snapshot()
        assert _codes(estate, _posted(cv5, wrong)) == ["E13"]
        assert estate.dsp.snapshot() == before
    out = estate.dsp.handle(_posted(cv5, "S"))
    assert [r.header.response_code for r in _replies(estate, out)] == ["I99"]
    assert any(e.kind is Kind.COUNTERSIGNED_REQUEST for e in out)


def test_the_signature_and_replay_checks_come_first_and_e13_before_e2_and_e19() -> None:
    estate = build()
    request = _request(estate, 4)
    forged = dataclasses.replace(
        request, payload=request.payload.replace(b"<sr:CommandVariant>4<", b"<sr:CommandVariant>1<")
    )
    assert forged.payload != request.payload
    assert _codes(estate, _posted(forged, "S")) == ["E41"]  # a changed byte: its signature
    assert _codes(estate, _posted(request, "T")) == ["I0"]
    assert _codes(estate, _posted(request, "S")) == ["E42"]  # a replay, whichever URL
    other = _request(estate, 4, sender=OTHER)
    assert _codes(estate, _posted(other, "S")) == ["E13"]  # on its URL: E2
    assert _codes(estate, _posted(other, "T")) == ["E2"]
    unknown = _request(estate, 4, device="00DB123456789FFF")
    assert _codes(estate, _posted(unknown, "D")) == ["E13"]  # on its URL: E19
    assert _codes(estate, _posted(unknown, "T")) == ["E19"]
    wrong_variant = _request(estate, 1)
    assert _codes(estate, _posted(wrong_variant, "T")) == ["E13"]  # on its URL: E12
    assert _codes(estate, _posted(wrong_variant, "S")) == ["E12"]


def test_a_url_the_dcc_boxed_does_not_have_is_e13() -> None:
    estate = build()
    assert _codes(estate, _posted(_request(estate, 4), "X")) == ["E13"]
    assert "'X' is not a DUIS web service URL" in estate.dsp.decisions[-1].detail
