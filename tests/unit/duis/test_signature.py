"""DUIS XML signatures against the real templates, keys and DSP response."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.ns import DS, SR, ds, sr
from s1harness.duis.schema import load_schema
from s1harness.duis.signature import SignatureFailure, _without_last_signature, sign, verify
from s1harness.duis.verifying import originator, verify_message
from s1harness.smki import Keystore, KeystoreEntry, TestPki
from s1harness.spec import KeyUsage, RemotePartyRole

pytestmark = pytest.mark.vectors
XML_SIGN = RemotePartyRole.XML_SIGN
NO_BY_NO = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"


@pytest.fixture(scope="module")
def zaz1(vectors: Path) -> Keystore:
    return Keystore.load(vectors / "smki")


def _signer(store: Keystore, root: etree._Element) -> KeystoreEntry | None:
    users = store.find(eui=originator(root), role=XML_SIGN)
    return users[0] if users and users[0].private_key is not None else None


def _sign(root: etree._Element, entry: KeystoreEntry) -> bytes:
    assert entry.private_key is not None
    return xml.serialise(sign(root, entry.private_key, entry.certificate))


def _flip_text(document: bytes, element: bytes) -> bytes:
    """Change one character of the text of the first ``element`` (keeping it base64/decimal)."""
    start = document.index(b">", document.index(b"<" + element)) + 1
    swap = {ord("0"): b"1", ord("1"): b"0"}
    replacement = swap.get(document[start], b"A" if document[start] != ord("A") else b"B")
    return document[:start] + replacement + document[start + 1 :]


def test_every_template_signs_validates_verifies_and_detects_tampering(
    vectors: Path, zaz1: Keystore
) -> None:
    schema = load_schema()
    signed_count = 0
    for path in sorted((vectors / "duis" / "requests").glob("*.XML")):
        root = xml.parse(path.read_bytes())
        entry = _signer(zaz1, root)
        if entry is None:
            assert originator(root) == "90B3D51F30000002", path.name  # the DCC's own request
            continue
        document = _sign(root, entry)
        received = xml.parse(document)
        assert schema.validate(received) == [], path.name
        assert verify_message(received, zaz1).valid, path.name
        body = _flip_text(document, b"sr:ServiceReference>")
        assert verify_message(xml.parse(body), zaz1).failure is SignatureFailure.DIGEST
        value = _flip_text(document, b"ds:SignatureValue")
        assert verify_message(xml.parse(value), zaz1).failure is SignatureFailure.SIGNATURE
        signed_count += 1
    assert signed_count == 23


def test_the_digest_is_the_one_the_dcc_tool_computes(vectors: Path, zaz1: Keystore) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    entry = _signer(zaz1, root)
    assert entry is not None
    signed = xml.parse(_sign(root, entry))
    digest = signed.findtext(
        f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}Reference/{{{DS}}}DigestValue"
    )
    assert digest == "MaDLOUG5rou2PfMS7panLIW5MVIE/wuzEbR+SDprto8="
    issuer = signed.findtext(f".//{{{DS}}}X509IssuerName")
    serial = signed.findtext(f".//{{{DS}}}X509SerialNumber")
    assert (issuer, serial) == ("CN=Z1,OU=07", "40938316298935008147424226388667426413")
    value = base64.b64decode(signed.findtext(f"{{{DS}}}Signature/{{{DS}}}SignatureValue") or "")
    assert len(value) == 64  # raw r‖s, not DER


def test_another_users_key_fails_the_originator_check(vectors: Path, zaz1: Keystore) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    supplier = zaz1.find(eui="90B3D51F30010000", role=XML_SIGN)[0]
    result = verify_message(xml.parse(_sign(root, supplier)), zaz1)
    assert result.failure is SignatureFailure.EUI
    assert result.signer_eui == "90B3D51F30010000"
    assert "90B3D51F30020000" in (result.reason or "")


def test_the_request_counter_is_covered(vectors: Path, zaz1: Keystore) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    document = _sign(root, _signer(zaz1, root))  # type: ignore[arg-type]
    replayed = document.replace(b":1200</sr:RequestID>", b":1201</sr:RequestID>")
    assert verify_message(xml.parse(replayed), zaz1).failure is SignatureFailure.DIGEST


def test_the_real_dsp_response_verifies_with_the_signtool_certificate(vectors: Path) -> None:
    store = Keystore.load(vectors / "smki" / "signtool")
    response = xml.parse((vectors / "duis" / "responses" / "readfw-response.xml").read_bytes())
    result = verify_message(response, store)
    assert result.valid, result.reason
    assert result.certificate is not None
    assert result.certificate.serial == 50669612984035780968362471400449834504
    assert result.certificate.role is RemotePartyRole.DSP_XML_SIGN
    unsigned = xml.parse(
        (vectors / "duis" / "responses" / "acknowledgement-error.xml").read_bytes()
    )
    assert verify_message(unsigned, store).failure is SignatureFailure.MISSING


@pytest.mark.parametrize(
    "header",
    [
        "<sr:Header><sr:RequestID>{id}</sr:RequestID></sr:Header>",
        "<!-- first --><sr:Header><!-- c --><sr:RequestID>{id}</sr:RequestID></sr:Header>",
    ],
)
def test_the_originator_is_read_from_the_header_wherever_comments_sit(header: str) -> None:
    request_id = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000"
    document = f'<sr:Request xmlns:sr="{SR}">{header.format(id=request_id)}</sr:Request>'
    assert originator(xml.parse(document.encode())) == "90B3D51F30010000"
    with pytest.raises(DuisParseError, match="RequestID"):
        originator(xml.parse(f'<sr:Request xmlns:sr="{SR}"><sr:Header/></sr:Request>'.encode()))


def test_template_placeholders_are_never_accepted(vectors: Path, zaz1: Keystore) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    assert verify_message(root, zaz1).failure is SignatureFailure.UNKNOWN_CERTIFICATE


def _find(signature: etree._Element, name: str) -> etree._Element:
    found = signature.find(f".//{{{DS}}}{name}")
    assert found is not None
    return found


def _extra_transform(signature: etree._Element) -> None:
    _find(signature, "Transforms").append(copy.deepcopy(_find(signature, "Transform")))


def _transform_beside_transforms(signature: etree._Element) -> None:
    # The same elements in the same document order, but Transform is now Reference's child.
    transforms = _find(signature, "Transforms")
    transforms.addnext(_find(signature, "Transform"))


def _key_name(signature: etree._Element) -> None:
    data = _find(signature, "X509Data")
    data.addprevious(etree.Element(ds("KeyName")))


def _unknown_serial(signature: etree._Element) -> None:
    _find(signature, "X509SerialNumber").text = "12345"


def _first_child(signature: etree._Element) -> None:
    parent = signature.getparent()
    assert parent is not None
    parent.insert(0, signature)


MUTATIONS = [
    (lambda s: _find(s, "SignatureMethod").set("Algorithm", "rsa"), SignatureFailure.ALGORITHM),
    (lambda s: _find(s, "Reference").set("URI", "#body"), SignatureFailure.MALFORMED),
    (_extra_transform, SignatureFailure.MALFORMED),
    (_transform_beside_transforms, SignatureFailure.MALFORMED),
    (_key_name, SignatureFailure.MALFORMED),
    (_unknown_serial, SignatureFailure.UNKNOWN_CERTIFICATE),
    (_first_child, SignatureFailure.MISPLACED),
]


@pytest.mark.parametrize(("mutate", "failure"), MUTATIONS)
def test_each_signature_check_reports_its_failure(
    vectors: Path, zaz1: Keystore, mutate: object, failure: SignatureFailure
) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    signed = xml.parse(_sign(root, _signer(zaz1, root)))  # type: ignore[arg-type]
    mutate(signed.find(ds("Signature")))  # type: ignore[operator]
    assert verify_message(signed, zaz1).failure is failure


def test_comments_inside_the_signature_do_not_change_the_verdict(
    vectors: Path, zaz1: Keystore
) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    signed = xml.parse(_sign(root, _signer(zaz1, root)))  # type: ignore[arg-type]
    _find(signed, "SignedInfo").insert(1, etree.Comment(" between the methods "))
    _find(signed, "X509IssuerSerial").append(etree.Comment(" after the serial "))
    assert verify_message(signed, zaz1).valid
    _find(signed, "DigestValue").text = "AAAA" + (_find(signed, "DigestValue").text or "")[4:]
    assert verify_message(signed, zaz1).failure is SignatureFailure.DIGEST


def test_role_key_usage_and_validity_of_the_signer(vectors: Path, zaz1: Keystore) -> None:
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    gbcs_ds = zaz1.get(
        "90B3D51F30020000", KeyUsage.DIGITAL_SIGNATURE, RemotePartyRole.NETWORK_OPERATOR
    )
    result = verify_message(xml.parse(_sign(root, gbcs_ds)), zaz1)
    assert result.failure is SignatureFailure.ROLE
    document = xml.parse(_sign(root, _signer(zaz1, root)))  # type: ignore[arg-type]
    late = datetime(2200, 1, 1, tzinfo=UTC)
    assert verify_message(document, zaz1, at=late).failure is SignatureFailure.VALIDITY


def _s1sp_alert() -> etree._Element:
    alert = etree.Element(sr("S1SPAlert"), nsmap={"sr": SR}, schemaVersion="5.4")
    etree.SubElement(alert, sr("DeviceID")).text = "00-DB-12-34-56-78-90-A0"
    etree.SubElement(alert, sr("S1SPAlertCode")).text = "S1VE64"
    etree.SubElement(alert, sr("DateTime")).text = "2026-11-21T10:00:00.000Z"
    return alert


def test_an_embedded_s1sp_signature_survives_embedding(pki: TestPki) -> None:
    s1sp = pki.issue_organisation(
        "90B3D51F30040000", RemotePartyRole.OTHER, KeyUsage.DIGITAL_SIGNATURE
    )
    store = Keystore.from_issued([s1sp])
    alert = sign(_s1sp_alert(), s1sp.private_key, s1sp.certificate, embedded=True)
    assert verify(alert, store, expected_eui=None, expected_role=None, embedded=True).valid
    outer = xml.parse(
        f'<sr:Response xmlns:sr="{SR}" xmlns:ds="{DS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<sr:Body><sr:DCCAlertMessage><sr:DCCAlert><sr:S1SPAlertDSP/></sr:DCCAlert></sr:DCCAlertMessage>"
        "</sr:Body></sr:Response>".encode()
    )
    outer.find(f".//{{{SR}}}S1SPAlertDSP").append(alert)  # type: ignore[union-attr]
    embedded = xml.parse(xml.serialise(outer)).find(f".//{{{SR}}}S1SPAlert")
    assert embedded is not None
    assert verify(embedded, store, expected_eui=None, expected_role=None, embedded=True).valid
    # Without the standalone convention the embedding breaks the digest.
    naive = verify(embedded, store, expected_eui=None, expected_role=None)
    assert naive.failure is SignatureFailure.DIGEST
    tampered = copy.deepcopy(embedded)
    tampered.find(sr("S1SPAlertCode")).text = "S1VE4"  # type: ignore[union-attr]
    assert not verify(tampered, store, expected_eui=None, expected_role=None, embedded=True).valid


@pytest.mark.parametrize(
    ("declarations", "signature_tag"),
    [
        ("", f'<ds:Signature xmlns:ds="{DS}">'),
        (f' xmlns:ds="{DS}"', "<ds:Signature>"),
        (' xmlns:ds="urn:not-xmldsig"', f'<ds:Signature xmlns:ds="{DS}">'),
        (f' xmlns:dsig="{DS}"', f'<ds:Signature xmlns:ds="{DS}">'),
    ],
)
def test_the_signature_takes_the_ds_prefix_whatever_the_root_declares(
    pki: TestPki, declarations: str, signature_tag: str
) -> None:
    user = pki.issue_organisation(
        "90B3D51F30010000", RemotePartyRole.XML_SIGN, KeyUsage.DIGITAL_SIGNATURE
    )
    document = f'<sr:Request xmlns:sr="{SR}"{declarations}><sr:Header/></sr:Request>'
    root = xml.parse(document.encode())
    signed = xml.serialise(sign(root, user.private_key, user.certificate))
    assert signature_tag.encode() in signed
    assert f"<ds:X509SerialNumber>{user.certificate.serial}<".encode() in signed
    store = Keystore.from_issued([user])
    checked = verify(xml.parse(signed), store, expected_eui=None, expected_role=XML_SIGN)
    assert checked.valid, checked.reason


@pytest.mark.parametrize(
    "document",
    [
        f'<sr:Request xmlns:sr="{SR}"><sr:Header/><ds:Signature xmlns:ds="{DS}"><ds:SignedInfo/>'
        "</ds:Signature></sr:Request>",
        f'<sr:Request xmlns:sr="{SR}" xmlns:ds="{DS}">\n  <sr:Body>a &lt;ds:Signature&gt; b'
        "</sr:Body>\n  <ds:Signature><ds:SignedInfo>x</ds:SignedInfo></ds:Signature>\n"
        "<?keep this?></sr:Request>",
        f'<sr:Response xmlns:sr="{SR}" xmlns:ds="{DS}"><sr:Body><sr:A><ds:Signature>inner'
        "</ds:Signature></sr:A></sr:Body><ds:Signature><ds:KeyInfo/></ds:Signature></sr:Response>",
        f'<sr:Request xmlns:sr="{SR}" xmlns:ds="urn:not-xmldsig"><ds:Signature>look-alike'
        f'</ds:Signature><ds:Signature xmlns:ds="{DS}"/></sr:Request>',
        f'<sr:Request xmlns:sr="{SR}"><sr:H/><Signature xmlns="{DS}"><SignedInfo/></Signature>'
        "</sr:Request>",
    ],
    ids=["plain", "tails-text-and-pi", "nested-signature", "look-alike-prefix", "default-ns"],
)
def test_the_enveloped_transform_cut_equals_removing_the_signature(document: str) -> None:
    root = xml.parse(document.encode())
    removed = copy.deepcopy(root)
    removed.remove([c for c in removed if c.tag == ds("Signature")][-1])
    expected = etree.tostring(removed, method="c14n", exclusive=False, with_comments=False)
    assert _without_last_signature(root) == expected
