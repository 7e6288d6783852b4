"""The ``boxed`` preset and the ``zaz1`` key source: the DCC Boxed ZAZ1 identities, keys and
devices, with the real DUIS 6.15.1 NO-by-NO template replayed end to end on the Harness
(CV 4 → I0 → CV 5, the GBCS CS02b command, the 2025 certificates sharing the 2016 keys)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.messages import (
    GbcsPayload,
    PreCommand,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestHeader,
    RequestId,
    Response,
    ResponseMessage,
    SignedPreCommand,
    UpdateSecurityCredentialsKRP,
    parse_request,
    to_element,
)
from s1harness.duis.signature import sign
from s1harness.estate import EstateError, build, dumps, loads, preset
from s1harness.estate.presets import (
    BOXED_ESME,
    BOXED_GPF,
    BOXED_GSME,
    BOXED_START,
    BOXED_SUPPLIER_2,
    NETWORK_OPERATOR,
    SUPPLIER,
    boxed,
)
from s1harness.estate.zaz1 import Zaz1Keys
from s1harness.gbcs.crypto import sign_precommand, verify_signature
from s1harness.gbcs.frames import GeneralSigningApdu, MacEnvelope, decode
from s1harness.gbcs.payloads import TrustAnchorCell, decode_update_security_credentials_response
from s1harness.registry.model import DeviceType
from s1harness.roles.smets2 import cells as c
from s1harness.roles.smets2.rejection import RejectionReason
from s1harness.smki import Keystore, KeystoreEntry, SmkiCertificate, TestPki, parse_certificate
from s1harness.spec.bus import Envelope, Kind, dsp_requests
from s1harness.spec.clock import ManualClock
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole
from s1harness.testing import Harness, is_final, refusal
from support import load

pytestmark = pytest.mark.vectors
NO_BY_NO = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
RTDS_NO_BY_NO = Path("rtds") / "6.15.1_CS02bNOByNO"
DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
TYPES = {BOXED_ESME: DeviceType.ESME, BOXED_GSME: DeviceType.GSME, BOXED_GPF: DeviceType.GPF}
"""A0 is the ESME of the 6.15.1 templates, A1 the RTDS GCS02 gas meter, A3 the GPF of the 6.21
handover templates."""


@pytest.fixture(scope="module")
def zaz1(vectors: Path) -> Keystore:
    return Keystore.load(vectors / "smki" / "zaz1-keystore.json")


def _named(keystore: Keystore, name: str) -> KeystoreEntry:
    return next(e for e in keystore if e.name == name)


def _template(vectors: Path, name: str) -> etree._Element:
    return xml.parse((vectors / "duis" / "requests" / name).read_bytes())


def _rtds(vectors: Path, stem: str) -> GeneralSigningApdu:
    frame = decode(bytes.fromhex((vectors / RTDS_NO_BY_NO / f"{stem}_GBCS.HEX").read_text()))
    return frame.apdu if isinstance(frame, MacEnvelope) else frame


def _signed(request: etree._Element | Request, xml_signer: KeystoreEntry) -> Envelope:
    """A request signed with a ZAZ1 XML-signing key, addressed to the DSP."""
    root = to_element(request) if isinstance(request, Request) else request
    assert xml_signer.private_key is not None
    signed = sign(root, xml_signer.private_key, xml_signer.certificate)
    request_id = parse_request(signed).header.request_id
    return Envelope(dsp_requests(), Kind.DUIS_REQUEST, xml.serialise(signed), str(request_id))


async def _reply(h: Harness, request_id: RequestId, *, final: bool) -> Response:
    """The DSP's first reply to ``request_id`` in its originator's inbox: the I0 carrying the
    pre-command, or the message that ends the request."""

    def found() -> Response | None:
        return next(
            (
                r
                for r in h.inbox(request_id.originator)
                if r.header.request_id == request_id and is_final(r) is final
            ),
            None,
        )

    return await h.wait(found, f"{'the outcome' if final else 'the I0'} of {request_id}")


def _precommand(response: Response) -> GeneralSigningApdu:
    assert response.header.response_code == "I0"
    assert isinstance(response.body, ResponseMessage)
    assert isinstance(response.body.content, PreCommand)
    apdu = decode(response.body.content.payload)
    assert isinstance(apdu, GeneralSigningApdu)
    return apdu


def _device_response(response: Response, device: SmkiCertificate) -> GeneralSigningApdu:
    """The device's CS02b response relayed to the User: every cell replaced (status 0), and
    signed with the device's own DS key."""
    assert response.header.response_code == "I0", refusal(response)
    assert isinstance(response.body, ResponseMessage)
    assert isinstance(response.body.content, GbcsPayload)
    apdu = decode(response.body.content.payload)
    assert isinstance(apdu, GeneralSigningApdu)
    assert verify_signature(apdu, device.public_key())
    payload = decode_update_security_credentials_response(apdu.content)
    assert payload.outcome is not None
    assert [int(o.status) for o in payload.outcome.replacement_outcomes] == [0, 0]
    return apdu


def test_the_preset_builds_and_round_trips(vectors: Path, zaz1: Keystore) -> None:
    estate = preset("boxed")
    assert estate == boxed() and estate.keys == "zaz1" and estate.dcc_id == DCC_EUI
    assert loads(dumps(estate)) == estate
    system = build(estate, clock=ManualClock(estate.start))
    try:
        assert {d: e.device_type for d, e in system.smets2.items()} == TYPES
        operator = system.parties[NETWORK_OPERATOR]
        assert (
            operator.credentials.ds.certificate == _named(zaz1, "Z1-networkOperator-ds").certificate
        )
        assert operator.xml.certificate == _named(zaz1, "xml-sign-90B3D51F30020000-ds").certificate
        assert system.acb.ka.certificate == _named(zaz1, "Z1-accessControlBroker-ka").certificate
        assert system.dsp.credentials.xml_certificate.role is RemotePartyRole.DSP_XML_SIGN
        # The ESME trusts what the RTDS ESME trusted, under the Z1 root;
        # only the load controller differs: RTDS has a self-made 2018 pair, ZAZ1 the 2023
        # Z1-issued one.
        z1 = load(vectors / "smki" / "Z1-issuing-ca.pem")
        esme = system.smets2[BOXED_ESME].cells
        assert esme[c.ROOT].anchor is not None and esme[c.ROOT].anchor.ski == z1.ski
        rtds = {
            c.RECOVERY_DS: "90b3d51f30000001-ds",
            c.SUPPLIER_DS: "90b3d51f30010000-ds",
            c.SUPPLIER_KA: "90b3d51f30010000-ka",
            c.SUPPLIER_KA_TOP_UP: "90b3d51f30010000-pp-ka",
            c.NETWORK_OPERATOR_DS: "90b3d51f30020000-ds",
            c.NETWORK_OPERATOR_KA: "90b3d51f30020000-ka",
            c.ACB_KA: "90b3d51f30000002-ka",
            c.TRANSITIONAL_COS_DS: "90b3d51f30000004-ds",
        }
        for cell, name in rtds.items():
            assert esme.certificate(cell) == load(vectors / "rtds" / "keystore" / f"{name}.pem")
        lc = _named(zaz1, "Z1-loadController-ds").certificate
        assert esme.certificate(c.LOAD_CONTROLLER_DS) == lc
    finally:
        system.close()


def test_every_template_targets_a_device_of_the_preset(vectors: Path, zaz1: Keystore) -> None:
    estate = boxed()
    devices = {spec.device_id: spec for spec in estate.devices}
    templates = sorted((vectors / "duis" / "requests").glob("*.XML"))
    assert len(templates) >= 20
    for path in templates:
        request_id = parse_request(_template(vectors, path.name)).header.request_id
        if request_id.target == DCC_EUI:  # a non-device request (CV 8)
            continue
        spec = devices[request_id.target]
        assert spec.device.device_type is TYPES[request_id.target], path.name
        handover = "Handover_6.21" in path.name  # the GPF still holds the DCC's placeholders
        for role, party in ((RemotePartyRole.SUPPLIER, SUPPLIER),
                            (RemotePartyRole.NETWORK_OPERATOR, NETWORK_OPERATOR)):  # fmt: skip
            assert estate.holder(spec, role) == (None if handover else party), path.name
        if request_id.originator != DCC_EUI:
            assert estate.party(request_id.originator) is not None, path.name
            assert zaz1.find(eui=request_id.originator, role=RemotePartyRole.XML_SIGN), path.name


def test_at_the_start_the_certificates_in_use_are_in_date(vectors: Path) -> None:
    """The templates ask for time-based CPV checks: the start must suit them and the cells."""
    estate = boxed()
    system = build(estate, clock=ManualClock(estate.start))
    try:
        in_use = [system.dsp.credentials.xml_certificate, system.acb.ds.certificate]
        for keys in system.parties.values():
            in_use += [keys.xml.certificate, keys.credentials.ds.certificate]
            in_use += [keys.credentials.ka.certificate]
        for device in system.smets2.values():
            in_use += [device.ds_certificate, device.ka_certificate]
            in_use += [device.cells.certificate(cell) for cell in device.cells if cell != c.ROOT]
        expired = {
            cert.eui
            for cert in in_use
            if cert and not cert.not_before <= BOXED_START <= cert.not_after
        }
        # Only the OB-issued otherUser DS/KA, expired on 2025-04-14, before
        # the templates' certificates start: never placed on a device, they are only carried.
        assert expired == {Eui64("00DB123456780004")}
        checked = 0
        for path in (vectors / "duis" / "requests").glob("*.XML"):
            body = parse_request(_template(vectors, path.name)).body
            if not isinstance(
                body, UpdateSecurityCredentialsKRP | RequestHandoverOfDCCControlledDevice
            ):
                continue
            placed = body.replacement_certificates
            carried = [*body.certification_path_certificates, placed.digital_signing]
            carried += [placed.key_agreement, placed.key_agreement_top_up]
            for cert in (parse_certificate(der) for der in carried if der is not None):
                assert cert.not_before <= BOXED_START <= cert.not_after, path.name
                checked += 1
        assert checked >= 30
    finally:
        system.close()


async def test_the_no_by_no_template_replays_end_to_end(vectors: Path, zaz1: Keystore) -> None:
    xml_signer = _named(zaz1, "xml-sign-90B3D51F30020000-ds")
    old, new = _named(zaz1, "Z1-networkOperator-ds"), _named(zaz1, "Z1b-networkOperator-ds")
    template = _template(vectors, NO_BY_NO)
    body = parse_request(template).body
    assert isinstance(body, UpdateSecurityCredentialsKRP)
    placed = body.replacement_certificates
    assert placed.digital_signing is not None and placed.key_agreement is not None
    replacement = parse_certificate(placed.digital_signing)
    assert replacement.public_point == new.certificate.public_point  # 2025 certificate, 2016 key
    async with Harness.start(boxed()) as h:
        device = h.system.smets2[BOXED_ESME]
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == old.certificate
        before = len(h.inbox(NETWORK_OPERATOR))

        # CV 4: the template as published, signed with the NO's ZAZ1 XML-signing key.
        request = _signed(template, xml_signer)
        await h.publish(request)
        request_id = parse_request(xml.parse(request.payload)).header.request_id
        precommand = _precommand(await _reply(h, request_id, final=False))
        golden = _rtds(vectors, "CS02bNOByNO_6.15.1_SUCCESS_PRECOMMAND")
        fields = ("counter", "originator", "target", "message_code")
        assert [getattr(precommand, f) for f in fields] == [getattr(golden, f) for f in fields]

        # CV 5: the pre-command signed with the NO's ZAZ1 DS key, under the same RequestID.
        assert old.private_key is not None
        signed = sign_precommand(precommand, old.private_key).raw
        header = RequestHeader(request_id, 5, "6.15", "6.15.1")
        await h.publish(_signed(Request(header, SignedPreCommand(signed)), xml_signer))
        outcome = await _reply(h, request_id, final=True)
        codes = [r.header.response_code for r in h.inbox(NETWORK_OPERATOR)[before:]]
        assert codes[:3] == ["I0", "I99", "I0"]
        response = _device_response(outcome, device.ds_certificate)
        golden = _rtds(vectors, "CS02bNOByNO_6.15.1_SUCCESS_RESPONSE")
        assert [getattr(response, f) for f in fields] == [getattr(golden, f) for f in fields]
        await h.alert(NETWORK_OPERATOR, code="N42", after=before)
        cells = h.cells(BOXED_ESME)
        assert cells.certificate(c.NETWORK_OPERATOR_DS) == replacement
        assert cells.certificate(c.NETWORK_OPERATOR_KA) == parse_certificate(placed.key_agreement)

        # The old NO key no longer authorises: the device refuses, the DSP says E21 in the end.
        sent = await h.send(
            NETWORK_OPERATOR, BOXED_ESME, "6.15.1", h.bodies.update_credentials(NETWORK_OPERATOR)
        )
        await h.settle()
        assert device.last_rejection is not None
        assert device.last_rejection.reason is RejectionReason.SIGNATURE_FAILURE
        await h.advance(timedelta(seconds=61))
        assert refusal(await h.outcome(sent)) == "E21"
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == replacement

        # The replacement's key (Z1b) does, once the NO signs with it.
        assert new.private_key is not None
        h.system.users[NETWORK_OPERATOR].use_signing_key(new.private_key)
        sent = await h.send(
            NETWORK_OPERATOR, BOXED_ESME, "6.15.1", h.bodies.update_credentials(NETWORK_OPERATOR)
        )
        _device_response(await h.outcome(sent), device.ds_certificate)
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == old.certificate


@pytest.mark.parametrize(
    ("template", "cell"),
    [("CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML", c.SUPPLIER_DS),
     ("CS02bNOByNOHandover_6.21_SUCCESS_REQUEST_DUIS.XML", c.NETWORK_OPERATOR_DS)],
)  # fmt: skip
async def test_the_handover_templates_replay(
    vectors: Path, zaz1: Keystore, template: str, cell: TrustAnchorCell
) -> None:
    request = parse_request(_template(vectors, template))
    body = request.body
    assert isinstance(body, RequestHandoverOfDCCControlledDevice)
    assert body.replacement_certificates.digital_signing is not None
    placed = parse_certificate(body.replacement_certificates.digital_signing)
    async with Harness.start(boxed()) as h:
        gpf = h.system.smets2[BOXED_GPF]
        placeholder = h.cells(BOXED_GPF).certificate(cell)
        assert placeholder is not None and placeholder.eui == DCC_EUI
        envelope = _signed(
            _template(vectors, template), _named(zaz1, "xml-sign-90B3D51F30010000-ds")
        )
        await h.publish(envelope)
        outcome = await _reply(h, request.header.request_id, final=True)
        assert outcome.header.response_code == "I0", refusal(outcome)
        assert isinstance(outcome.body, ResponseMessage)
        assert isinstance(outcome.body.content, GbcsPayload)
        apdu = decode(outcome.body.content.payload)
        assert isinstance(apdu, GeneralSigningApdu)
        assert verify_signature(apdu, gpf.ds_certificate.public_key())
        assert h.cells(BOXED_GPF).certificate(cell) == placed


def test_what_the_keystore_lacks_comes_from_the_test_pki(zaz1: Keystore) -> None:
    seed, s1sp, unknown = "boxed seed", Eui64("90B3D51F30050001"), Eui64("90B3D51F30040000")
    keys, pki = Zaz1Keys(seed), TestPki(seed)
    xml_sign = RemotePartyRole.XML_SIGN
    assert (
        keys.s1sp_signer(s1sp).certificate
        == pki.issue_organisation(s1sp, RemotePartyRole.OTHER, DS).certificate
    )
    supplier_2 = keys.party(BOXED_SUPPLIER_2, RemotePartyRole.SUPPLIER)
    assert supplier_2.credentials.ds.certificate == _named(zaz1, "Z1-supplier2-ds").certificate
    assert supplier_2.credentials.ka.certificate == _named(zaz1, "Z1-supplier2-ka").certificate
    expected = pki.issue_organisation(BOXED_SUPPLIER_2, xml_sign, DS)
    assert supplier_2.xml.certificate == expected.certificate
    stranger = keys.party(unknown, RemotePartyRole.SUPPLIER)
    issued = pki.issue_party(unknown, RemotePartyRole.SUPPLIER)
    assert stranger.credentials.ds.certificate == issued.ds.certificate
    own = keys.device_credentials(BOXED_ESME)
    assert own.ds.certificate == pki.issue_device(BOXED_ESME, DS).certificate


def test_a_device_uses_the_keystore_credentials_it_finds(zaz1: Keystore) -> None:
    elsewhere = TestPki("device credentials from another source")
    keystore = Keystore(iter(zaz1))
    issued = {u: elsewhere.issue_device(BOXED_GPF, u) for u in (DS, KA)}
    for credential in issued.values():
        keystore.add(KeystoreEntry(credential.certificate, credential.private_key))
    keys = Zaz1Keys("boxed seed", keystore=keystore)
    acb = keys.acb(DCC_EUI)
    device = keys.smets2_device(
        BOXED_GPF, c.DeviceType.GPF, supplier=None, network_operator=None, acb=acb,
        clock=ManualClock(BOXED_START),
    )  # fmt: skip
    assert device.ds_certificate == issued[DS].certificate
    assert device.ka_certificate == issued[KA].certificate
    # No supplier or NO given: the ACB's certificates are the placeholders (as in RTDS 6.21).
    assert device.cells.certificate(c.NETWORK_OPERATOR_DS) == acb.ds.certificate


@pytest.mark.parametrize("state", ["empty", "no-z1", "corrupt"])
def test_missing_vectors_are_a_one_line_error(
    vectors: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    smki = tmp_path / "smki"
    if state != "empty":
        smki.mkdir()
        keystore = smki / "zaz1-keystore.json"
        if state == "corrupt":
            keystore.write_text('{"90b3d51f30010000": {"digitalSignature": [')
        else:
            keystore.symlink_to(vectors / "smki" / "zaz1-keystore.json")
    monkeypatch.setenv("S1HARNESS_VECTORS", str(tmp_path))
    estate = boxed()  # an estate names its key source; only building reads the keys
    with pytest.raises(EstateError) as caught:
        build(estate, clock=ManualClock(estate.start))
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    named = {
        "empty": [str(smki / "zaz1-keystore.json"), "S1HARNESS_VECTORS"],
        "no-z1": [str(smki / "Z1-issuing-ca.pem")],
        "corrupt": [str(smki / "zaz1-keystore.json")],
    }
    for part in named[state]:
        assert part in message, message
