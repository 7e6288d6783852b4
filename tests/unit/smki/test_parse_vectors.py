"""Every certificate under the public vectors parses with the right EUI, role and usage
(ZAZ1 keystore, RTDS keystore, DUIS templates)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from s1harness.smki import Anomaly, CertificateKind, _fast, _lenient, parse_certificate, scan
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.keys import ski_method2
from s1harness.spec import Eui64, KeyUsage, RemotePartyRole
from support import duis_template_certificates, load, pem_der, rtds_embedded_certificates

pytestmark = pytest.mark.vectors

# Organisation EUIs of the ZAZ1 test parties and their roles.
PARTY_ROLES = {
    "90B3D51F30000001": RemotePartyRole.RECOVERY,
    "90B3D51F30010000": RemotePartyRole.SUPPLIER,
    "90B3D51F30030000": RemotePartyRole.SUPPLIER,
    "90B3D51F30020000": RemotePartyRole.NETWORK_OPERATOR,
    "90B3D51F30000002": RemotePartyRole.ACCESS_CONTROL_BROKER,
    "90B3D51F30000004": RemotePartyRole.TRANSITIONAL_COS,
    "90B3D51F30000007": RemotePartyRole.WAN_PROVIDER,
    "90B3D51F30010008": RemotePartyRole.LOAD_CONTROLLER,
}
SIGNTOOL_ROLE_NAMES = {
    "accessControlBroker": RemotePartyRole.ACCESS_CONTROL_BROKER,
    "networkOperator": RemotePartyRole.NETWORK_OPERATOR,
    "recovery": RemotePartyRole.RECOVERY,
    "supplier": RemotePartyRole.SUPPLIER,
    "supplier2": RemotePartyRole.SUPPLIER,
    "transitionalCoS": RemotePartyRole.TRANSITIONAL_COS,
    "wanProvider": RemotePartyRole.WAN_PROVIDER,
}
SIGNTOOL_EUIS = {
    "accessControlBroker": "90B3D51F30000002",
    "networkOperator": "90B3D51F30020000",
    "recovery": "90B3D51F30000001",
    "supplier": "90B3D51F30010000",
    "supplier2": "90B3D51F30030000",
    "transitionalCoS": "90B3D51F30000004",
    "wanProvider": "90B3D51F30000007",
}
MISNAMED = "90b3d51f30000007-ka.pem"  # holds the supplier-2 KA certificate, not its namesake's


def test_scanning_all_vectors_reads_every_certificate_without_error(vectors: Path) -> None:
    result = scan(vectors)
    assert result.errors == []
    # One certificate per PEM certificate file, plus the 33 entries of the keystore JSON.
    pem_files = [p for p in vectors.rglob("*.pem") if b"CERTIFICATE" in p.read_bytes()]
    assert len(result.certificates) == len(pem_files) + 33
    assert all(c.kind in CertificateKind for c in result.certificates)


def test_rtds_keystore_euis_and_usages_match_file_names(vectors: Path) -> None:
    files = sorted((vectors / "rtds" / "keystore").glob("*.pem"))
    checked = 0
    for path in files:
        if b"CERTIFICATE" not in path.read_bytes():
            continue  # the bare public key fffffffffffffffe-ka.pem
        cert = load(path)
        stem_eui, _, usage = path.stem.partition("-")
        expected_usage = (
            KeyUsage.KEY_AGREEMENT if usage.endswith("ka") else KeyUsage.DIGITAL_SIGNATURE
        )
        assert cert.key_usage is expected_usage, path.name
        assert cert.key_usages == {expected_usage}, path.name
        if path.name == MISNAMED:
            assert cert.eui == "90B3D51F30030000"
            assert cert.role is RemotePartyRole.SUPPLIER
            assert cert.serial_hex == "2c0ac55b46cb410e7409d3fda762c30b"
        else:
            assert cert.eui == stem_eui.upper(), path.name
        if cert.kind is CertificateKind.ORGANISATION:
            assert cert.role is PARTY_ROLES[cert.eui], path.name
        else:
            assert cert.kind is CertificateKind.DEVICE and cert.role is None
        checked += 1
    assert checked == 416


def test_zaz1_keystore_entries_match_their_keys(vectors: Path) -> None:
    document = json.loads((vectors / "smki" / "zaz1-keystore.json").read_text())
    entries = 0
    for eui, usages in document.items():
        for usage, serials in usages.items():
            for serial, entry in serials.items():
                body = re.sub(r"-----[A-Z ]+-----|\s", "", entry["certificate"])
                cert = parse_certificate(base64.b64decode(body))
                assert cert.eui == Eui64(eui)
                assert cert.key_usage is KeyUsage(usage)
                assert cert.serial == int(serial)
                assert cert.role is not None and cert.role.value == entry["role"]
                entries += 1
    assert entries == 33


def test_signtool_certificates_carry_the_roles_their_names_say(vectors: Path) -> None:
    for path in sorted((vectors / "smki" / "signtool").glob("*.pem")):
        if b"CERTIFICATE" not in path.read_bytes():
            continue
        cert = load(path)
        name = path.stem
        if name.startswith("xml-sign-"):
            assert cert.role is RemotePartyRole.XML_SIGN
            assert cert.eui == name.split("-")[2]
        elif name.startswith("dsp-xml-sign-"):
            assert cert.role is RemotePartyRole.DSP_XML_SIGN
            assert cert.eui == name.split("-")[3]
        elif name == "Z1-accessControlBroker-dSPXmlSign":
            assert cert.role is RemotePartyRole.DSP_XML_SIGN
            assert cert.eui == "90B3D51F30000002"
        else:
            role_name = name.split("-")[1]
            assert cert.role is SIGNTOOL_ROLE_NAMES[role_name], name
            assert cert.eui == SIGNTOOL_EUIS[role_name], name
        assert cert.key_usage is KeyUsage.DIGITAL_SIGNATURE


def test_decimal_137_role_is_tolerated_and_flagged(vectors: Path) -> None:
    path = vectors / "smki" / "signtool" / "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem"
    cert = load(path)
    assert cert.subject.get("2.5.4.11") == "137"
    assert cert.role is RemotePartyRole.DSP_XML_SIGN
    assert Anomaly.DECIMAL_ROLE_OU in cert.anomalies


def test_null_parameter_certificates_use_the_lenient_path(vectors: Path) -> None:
    document = json.loads((vectors / "smki" / "zaz1-keystore.json").read_text())
    mdr = document["90b3d51f30010009"]
    ders = [
        base64.b64decode(re.sub(r"-----[A-Z ]+-----|\s", "", e["certificate"]))
        for serials in mdr.values()
        for e in serials.values()
    ]
    assert len(ders) == 2
    for der in ders:
        with pytest.raises(CertificateParseError):
            _fast.extract(der)  # cryptography refuses the explicit NULL
        cert = parse_certificate(der)
        assert Anomaly.EXPLICIT_NULL_PARAMETERS in cert.anomalies
        assert cert.eui == "90B3D51F30010009"
        assert cert.role is RemotePartyRole.OTHER
        assert cert.common_name == "MDR"
        assert str(cert.issuer) == "OU=07, CN=Z99"


def test_self_made_2018_certificates_are_flagged_for_their_missing_aki(vectors: Path) -> None:
    for name in ("xml-sign-90B3D51F30010000-ds.pem", "dsp-xml-sign-90B3D51F30000002-ds.pem"):
        cert = load(vectors / "smki" / "signtool" / name)
        assert cert.aki is None
        assert Anomaly.MISSING_AKI in cert.anomalies


def test_fast_and_lenient_paths_agree_on_every_certificate(vectors: Path) -> None:
    result = scan(vectors)
    ders = {c.der for c in result.certificates} | set(rtds_embedded_certificates())
    compared = 0
    for der in ders:
        try:
            fast = _fast.extract(der)
        except CertificateParseError:
            continue
        assert fast == _lenient.extract(der)
        compared += 1
    assert compared >= len(ders) - 2  # all but the two NULL-parameter MDR certificates


def test_every_certificate_has_a_method_2_subject_key_identifier(vectors: Path) -> None:
    result = scan(vectors)
    for cert in result.certificates:
        assert cert.ski == ski_method2(cert.public_point), cert.source


def test_duis_template_certificates_parse_and_the_path_certificate_is_z1(vectors: Path) -> None:
    z1_der = pem_der(vectors / "smki" / "Z1-issuing-ca.pem")
    found = duis_template_certificates()
    replacements = [(f, e, d) for f, e, d in found if e != "Certificate"]
    path_certs = [d for _, e, d in found if e == "Certificate"]
    assert len(path_certs) == 13
    assert all(d == z1_der for d in path_certs)
    assert len(replacements) >= 26
    for _, element, der in replacements:
        cert = parse_certificate(der)
        assert cert.kind in (CertificateKind.ORGANISATION, CertificateKind.DEVICE)
        if element == "DigitalSigningCertificate":
            assert cert.key_usage is KeyUsage.DIGITAL_SIGNATURE


def test_rtds_frames_carry_the_negative_certificates(vectors: Path) -> None:
    embedded = [parse_certificate(der) for der in rtds_embedded_certificates()]
    assert len(embedded) == 24
    non_repudiation = [c for c in embedded if KeyUsage.NON_REPUDIATION in c.key_usages]
    assert [c.eui for c in non_repudiation] == ["00DB1234567890A0"]
    z2 = [c for c in embedded if c.issuer.get("2.5.4.3") == "Z2"]
    assert len(z2) == 1 and z2[0].aki == bytes.fromhex("49D2A8DF85845FC3")
    z1_copies = [c for c in embedded if c.kind is CertificateKind.CA]
    assert len(z1_copies) == 2  # the real Z1 and the copy with a corrupted signature
    a, b = (c.der for c in z1_copies)
    assert len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1
