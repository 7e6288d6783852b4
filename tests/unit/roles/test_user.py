"""The DCC User client: signed requests, and the critical flow without being asked."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from s1harness.duis import xml
from s1harness.duis.messages import (
    DuisRemotePartyRole,
    PreCommand,
    ReplacementCertificates,
    Request,
    RequestId,
    Response,
    ResponseHeader,
    ResponseMessage,
    SignedPreCommand,
    UpdateSecurityCredentialsKRP,
    parse_message,
    to_element,
)
from s1harness.duis.verifying import verify_message
from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, build_general_signing, decode
from s1harness.roles.user import DccUser
from s1harness.smki import Keystore, TestPki
from s1harness.spec import KeyUsage, RemotePartyRole
from s1harness.spec.bus import Kind, dsp_requests, user_inbox

NO = "90B3D51F30020000"
DEVICE = "00DB1234567890A0"


def _user(pki: TestPki) -> tuple[DccUser, Keystore, object]:
    xml_cert = pki.issue_organisation(NO, RemotePartyRole.XML_SIGN, KeyUsage.DIGITAL_SIGNATURE)
    ds = pki.issue_organisation(NO, RemotePartyRole.NETWORK_OPERATOR, KeyUsage.DIGITAL_SIGNATURE)
    user = DccUser(
        NO, xml_key=xml_cert.private_key, xml_certificate=xml_cert.certificate,
        ds_key=ds.private_key, counters=count(1200),
    )  # fmt: skip
    return user, Keystore.from_issued([xml_cert]), ds


def _body(pki: TestPki) -> UpdateSecurityCredentialsKRP:
    party = pki.issue_party("90B3D51F30020001", RemotePartyRole.NETWORK_OPERATOR)
    return UpdateSecurityCredentialsKRP(
        remote_party_role=DuisRemotePartyRole("NetworkOperator"),
        replacement_certificates=ReplacementCertificates(
            digital_signing=party.ds.certificate.der, key_agreement=party.ka.certificate.der
        ),
        certification_path_certificates=(pki.org_ca.certificate.der,),
        apply_time_based_cpv_checks=True,
    )


def test_a_critical_request_starts_with_cv4_and_is_signed(pki: TestPki) -> None:
    user, keystore, _ = _user(pki)
    envelope = user.request(DEVICE, "6.15.1", _body(pki))
    assert (envelope.topic, envelope.kind) == (dsp_requests(), Kind.DUIS_REQUEST)
    root = xml.parse(envelope.payload)
    request = parse_message(root)
    assert isinstance(request, Request)
    assert request.header.command_variant == 4
    assert str(request.header.request_id) == envelope.correlation_id
    assert request.header.request_id.counter == 1200
    assert verify_message(root, keystore).valid


def test_a_pre_command_is_signed_and_sent_back_with_cv5_under_the_same_request_id(
    pki: TestPki,
) -> None:
    user, keystore, ds = _user(pki)
    sent = user.request(DEVICE, "6.15.1", _body(pki))
    request_id = RequestId.parse(sent.correlation_id)
    precommand = build_general_signing(
        cra=Cra.COMMAND, counter=1200, originator=NO, target=DEVICE,
        other_information=0x0103, content=b"\x30\x00",
    )  # fmt: skip
    reply = Response(
        ResponseHeader("I0", datetime(2026, 11, 21, tzinfo=UTC), request_id),
        ResponseMessage("6.15", "6.15.1", PreCommand("4.2", precommand.raw)),
    )
    envelope = sent.__class__(
        user_inbox(NO), Kind.DUIS_RESPONSE, xml.serialise(to_element(reply)), sent.correlation_id
    )
    (follow_up,) = user.receive(envelope)
    second = parse_message(xml.parse(follow_up.payload))
    assert isinstance(second, Request)
    assert (
        second.header.command_variant == 5 and str(second.header.request_id) == sent.correlation_id
    )
    assert isinstance(second.body, SignedPreCommand)
    signed = decode(second.body.gbcs_payload)
    assert isinstance(signed, GeneralSigningApdu)
    assert signed.unsigned == precommand.raw
    assert verify_signature(signed, ds.certificate.public_key())  # type: ignore[attr-defined]
    assert user.exchange(sent.correlation_id).codes == ["I0"]
    assert verify_message(xml.parse(follow_up.payload), keystore).valid
