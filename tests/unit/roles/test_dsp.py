"""The DSP pipeline in isolation: every check answers with its code, in order, and a rejected
request changes nothing (docs/checks.md)."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.messages import (
    GenericBody,
    PreCommand,
    Request,
    RequestHeader,
    RequestId,
    Response,
    ResponseMessage,
    parse_message,
    to_element,
)
from s1harness.duis.ns import NSMAP, sr
from s1harness.duis.schema import load_schema
from s1harness.duis.signature import sign, verify
from s1harness.duis.verifying import verify_message
from s1harness.roles import countersigned
from s1harness.roles.dsp.settings import DspSettings
from s1harness.smki import Keystore
from s1harness.spec import checks, codes
from s1harness.spec.bus import Envelope, Kind, dsp_requests
from s1harness.spec.checks import Check
from s1harness.spec.identifiers import Eui64

from .unit_estate import (
    DCC,
    NO,
    OTHER,
    S1_ESME,
    S2_ESME,
    SUPPLIER,
    WRONG_NO,
    Wired,
    build,
    handover_body,
    no_body,
)

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors


def _codes(out: list[Envelope]) -> list[str]:
    codes = []
    for envelope in out:
        if envelope.kind is Kind.DUIS_RESPONSE:
            message = parse_message(xml.parse(envelope.payload))
            assert isinstance(message, Response)
            codes.append(message.header.response_code)
    return codes


def _every_duis_message_is_valid_and_signed(estate: Wired, out: list[Envelope]) -> None:
    schema = load_schema()
    for envelope in out:
        if envelope.kind is Kind.DUIS_RESPONSE:
            root = xml.parse(envelope.payload)
            assert schema.validate(root) == []
            assert verify_message(root, estate.dsp_trust).valid


def _send(estate: Wired, sender: str, device: str, body: object, **kw: object) -> list[Envelope]:
    envelope = estate.users[sender].request(device, "6.15.1", body, **kw)  # type: ignore[arg-type]
    out = estate.dsp.handle(envelope)
    _every_duis_message_is_valid_and_signed(estate, out)
    return out


def test_the_right_no_gets_a_pre_command_for_smets1() -> None:
    estate = build()
    out = _send(estate, NO, S1_ESME, no_body(estate, NO))
    assert _codes(out) == ["I0"]
    reply = parse_message(xml.parse(out[0].payload))
    assert isinstance(reply.body, ResponseMessage) and isinstance(reply.body.content, PreCommand)  # type: ignore[union-attr]
    decided = [(d.check, d.outcome) for d in estate.dsp.decisions]
    assert (checks.RDP, "accepted") in decided


def _state(estate: Wired) -> object:
    return (
        estate.registry.snapshot(),
        estate.dsp.snapshot(),
    )


@pytest.mark.parametrize(
    ("sender", "device", "body_of", "kw", "code", "check"),
    [
        (OTHER, S1_ESME, NO, {}, "E2", checks.ACCESS_MATRIX),
        (NO, "00DB123456789FFF", NO, {}, "E19", checks.DEVICE),
        (NO, S1_ESME, NO, {"command_variant": 1}, "E12", checks.DEVICE),
        (SUPPLIER, S1_ESME, NO, {}, "E061501", checks.CREDENTIALS_BODY),
        (WRONG_NO, S1_ESME, WRONG_NO, {}, "E4", checks.RDP),
    ],
)
def test_each_check_answers_with_its_code_and_changes_nothing(
    sender: str, device: str, body_of: str, kw: dict[str, object], code: str, check: Check
) -> None:
    estate = build()
    before = _state(estate)
    out = _send(estate, sender, device, no_body(estate, body_of), **kw)
    assert _codes(out) == [code]
    rejection = estate.dsp.decisions[-1]
    assert (rejection.check, rejection.outcome) == (check, "rejected")
    assert rejection.code is not None and rejection.code.code == code
    assert _state(estate) == before


@pytest.mark.parametrize(
    ("variant", "body", "code", "check"),
    [
        ("4.2", "ReadInstantaneousExportRegisters", "E44", checks.SRV_SUPPORTED),
        ("4.1.1", "ReadInstantaneousImportRegisters", "E12", checks.DEVICE),
    ],
)
def test_an_srv_outside_the_table_is_e44_and_one_the_dsp_does_not_carry_out_e12(
    variant: str, body: str, code: str, check: Check
) -> None:
    """4.2 is a DUIS SRV the DSP's table lacks; 4.1.1 is in it, and an Import Supplier may send
    it, but the DSP carries out only 6.15.1 and 6.21."""
    estate = build()
    request_id = RequestId(SUPPLIER, Eui64(S1_ESME), 5000)
    header = RequestHeader(request_id, 1, ".".join(variant.split(".")[:2]), variant)
    element = GenericBody.of(etree.Element(sr(body), nsmap=NSMAP))
    keys = estate.system.parties[SUPPLIER].xml
    root = sign(to_element(Request(header, element)), keys.private_key, keys.certificate)
    out = estate.dsp.handle(
        Envelope(dsp_requests(), Kind.DUIS_REQUEST, xml.serialise(root), str(request_id))
    )
    assert _codes(out) == [code]
    assert (estate.dsp.decisions[-1].check, estate.dsp.decisions[-1].outcome) == (check, "rejected")


def test_no_certificates_and_unusable_certificates() -> None:
    estate = build()
    body = no_body(estate, NO)
    empty = dataclasses.replace(
        body,
        replacement_certificates=dataclasses.replace(
            body.replacement_certificates, digital_signing=None, key_agreement=None
        ),
    )
    assert _codes(_send(estate, NO, S1_ESME, empty)) == ["E061505"]
    supplier_certs = no_body(estate, SUPPLIER)
    assert _codes(_send(estate, NO, S1_ESME, supplier_certs)) == ["E061504"]  # role 2 in NO slot
    foreign = build(seed="another PKI")  # its certificates do not chain to this estate's root
    alien = no_body(foreign, NO)
    assert _codes(_send(estate, NO, S1_ESME, alien)) == ["E061504"]


def test_mp107_lifts_the_rdp_check_only_for_smets1_no_credentials_from_a_network_operator() -> None:
    estate = build(mp107=True)
    out = _send(estate, WRONG_NO, S1_ESME, no_body(estate, NO))
    assert _codes(out) == ["I0"]
    assert (checks.RDP, "lifted") in [(d.check, d.outcome) for d in estate.dsp.decisions]
    assert "6.2(d)" in next(d.detail for d in estate.dsp.decisions if d.outcome == "lifted")


def test_smets2_critical_requests_have_no_rdp_check() -> None:
    estate = build()
    out = _send(estate, WRONG_NO, S2_ESME, no_body(estate, NO))
    assert _codes(out) == ["I0"]
    lifted = [d.detail for d in estate.dsp.decisions if d.outcome == "lifted"]
    assert lifted == ["SMETS2 critical SR: no RDP check"]


def test_replay_and_forged_pre_commands() -> None:
    estate = build()
    user = estate.users[NO]
    first = user.request(S1_ESME, "6.15.1", no_body(estate, NO))
    (i0,) = estate.dsp.handle(first)
    assert estate.dsp.handle(first) and _codes(estate.dsp.handle(first)) == ["E42"]  # replayed CV 4
    (cv5,) = user.receive(i0)
    tampered = cv5.payload.replace(b"<sr:GBCSPayload>3wkB", b"<sr:GBCSPayload>3wkC")
    assert _codes(estate.dsp.handle(dataclasses.replace(cv5, payload=tampered))) == [
        "E41"
    ]  # XML signature
    out = estate.dsp.handle(cv5)
    assert _codes(out) == ["I99"]
    (forward,) = [e for e in out if e.kind is Kind.COUNTERSIGNED_REQUEST]
    request = countersigned.parse(xml.parse(forward.payload))
    assert (request.device_id, request.cohort, request.user_role) == (S1_ESME, "IOC", "ED")
    signed = xml.parse(forward.payload)
    countersignature = verify(signed, estate.dsp_trust, expected_eui=DCC, expected_role=None)
    assert countersignature.valid
    assert _codes(estate.dsp.handle(cv5)) == ["E42"]  # the pre-command cannot be sent twice


def _without_device_keys(estate: Wired, device: str) -> None:
    """The DSP forgets the device's key-agreement certificate: it can no longer reach it."""
    credentials = estate.dsp.credentials
    kept = Keystore(e for e in credentials.keystore if e.certificate.eui != device)
    estate.dsp.credentials = estate.dsp.relay.credentials = dataclasses.replace(
        credentials, keystore=kept
    )


def test_a_command_the_dsp_cannot_route_is_e20_and_changes_nothing() -> None:
    """E20 ("cannot establish communications") refuses like any check: the RequestID counter
    is not taken, the transform stays pending (the same CV 5 may be sent again), nothing waits
    in flight (so no E21 follows later)."""
    estate = build()
    _without_device_keys(estate, S2_ESME)
    user = estate.users[NO]
    (i0,) = estate.dsp.handle(user.request(S2_ESME, "6.15.1", no_body(estate, NO)))
    (cv5,) = user.receive(i0)
    before = estate.dsp.snapshot()
    assert _codes(estate.dsp.handle(cv5)) == ["E20"]
    last = estate.dsp.decisions[-1]
    assert (last.check, last.outcome, last.code) == (checks.ROUTING, "rejected", codes.E20)
    assert estate.dsp.snapshot() == before
    estate.dsp.settings = estate.dsp.relay.settings = DspSettings(response_timeout=0)
    assert estate.dsp.tick() == []
    assert _codes(estate.dsp.handle(cv5)) == ["E20"]  # still pending, still unreachable


def test_a_handover_the_dsp_cannot_route_is_e20_and_takes_no_counter() -> None:
    estate = build()
    _without_device_keys(estate, S2_ESME)
    request = estate.users[SUPPLIER].request(S2_ESME, "6.21", handover_body(estate, NO))
    before = estate.dsp.snapshot()
    assert _codes(estate.dsp.handle(request)) == ["E20"]
    assert estate.dsp.snapshot() == before
