"""Keystores: ZAZ1 JSON, PEM/KEY folders, DER keys, the project's PKI; the look-ups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1harness.smki import Keystore, KeystoreEntry, KeystoreError, TestPki, keystore, scan
from s1harness.smki.keys import public_point
from s1harness.spec import KeyUsage, RemotePartyRole
from support import pem_der

DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT


def _key_matches(entry: object) -> bool:
    return public_point(entry.private_key) == entry.certificate.public_point  # type: ignore[attr-defined]


@pytest.mark.vectors
def test_zaz1_keystore_json_loads_every_entry_with_its_key(vectors: Path) -> None:
    store = Keystore.load(vectors / "smki" / "zaz1-keystore.json")
    assert len(store) == 33
    assert all(e.private_key is not None and _key_matches(e) for e in store)
    names = {e.name for e in store}
    assert {"Z1-networkOperator-ds", "mdr-ka", "xml-sign-90B3D51F30020000-ds"} <= names


@pytest.mark.vectors
def test_rtds_pem_folder_attaches_pem_keys(vectors: Path) -> None:
    store = Keystore.load(vectors / "rtds" / "keystore")
    # 416 certificate files; the misnamed 90b3d51f30000007-ka.pem repeats 90b3d51f30030000-ka.pem
    assert len(store) == 415
    with_keys = [e for e in store if e.private_key is not None]
    assert all(_key_matches(e) for e in with_keys)
    assert {e.certificate.eui for e in with_keys} >= {"90B3D51F30020000", "90B3D51F30010000"}
    result = scan(vectors / "rtds" / "keystore")
    assert [Path(p).name for p in result.skipped] == ["fffffffffffffffe-ka.pem"]


@pytest.mark.vectors
def test_signtool_der_keys_attach_to_their_certificates(vectors: Path) -> None:
    store = Keystore.load(vectors / "smki" / "signtool")
    entry = store.get("90B3D51F30000002", DS, RemotePartyRole.DSP_XML_SIGN)
    assert entry.private_key is not None and _key_matches(entry)
    assert all(e.private_key is not None for e in store)


@pytest.mark.vectors
def test_keys_attach_to_reissued_certificates_with_the_same_public_key(
    vectors: Path, tmp_path: Path
) -> None:
    """The 2025 NO certificate in the DUIS templates has the Z1b-networkOperator-ds key."""
    from support import duis_template_certificates

    (der,) = {
        d
        for f, e, d in duis_template_certificates()
        if f.startswith("CS02bNOByNO_6.15.1") and e == "DigitalSigningCertificate"
    }
    (tmp_path / "no-2025.der").write_bytes(der)
    store = Keystore.load(vectors / "smki" / "zaz1-keystore.json", tmp_path)
    (reissued,) = [e for e in store if e.certificate.der == der]
    assert reissued.private_key is not None and _key_matches(reissued)
    newest = store.get("90B3D51F30020000", DS, RemotePartyRole.NETWORK_OPERATOR)
    assert newest.certificate.der == der  # newest notBefore first


@pytest.mark.vectors
def test_lookups(vectors: Path) -> None:
    store = Keystore.load(vectors / "smki", vectors / "rtds" / "keystore")
    dsp = store.by_issuer_serial("CN=Z1,OU=07", 167048897159233642262001557408276884033)
    assert dsp is not None and dsp.certificate.role is RemotePartyRole.DSP_XML_SIGN
    assert store.by_issuer_serial("CN=Z1, OU=07", 167048897159233642262001557408276884033) == dsp
    assert store.by_issuer_serial("CN=Z9,OU=07", 167048897159233642262001557408276884033) is None
    supplier = store.find(eui="90-B3-D5-1F-30-01-00-00", key_usage=KA)
    assert len(supplier) >= 4 and all(e.certificate.key_usage is KA for e in supplier)
    assert store.find(eui="90B3D51F30010000", role=RemotePartyRole.XML_SIGN)[0].private_key
    with pytest.raises(KeystoreError, match="no certificate"):
        store.get("0011223344556677", DS)


@pytest.mark.vectors
def test_the_same_certificate_from_two_sources_is_kept_once(vectors: Path) -> None:
    z1_supplier = pem_der(vectors / "smki" / "signtool" / "Z1-supplier-ds.pem")
    store = Keystore.load(vectors / "smki" / "signtool", vectors / "rtds" / "keystore")
    assert sum(1 for e in store if e.certificate.der == z1_supplier) == 1


def test_keystore_from_the_project_pki(pki: TestPki) -> None:
    party = pki.issue_party("90B3D51F30020000", RemotePartyRole.NETWORK_OPERATOR)
    store = Keystore.from_issued([party.ds, party.ka])
    assert store.get("90B3D51F30020000", KA).private_key is party.ka.private_key
    assert store.get("90B3D51F30020000", DS).certificate == party.ds.certificate


def test_a_repository_answers_for_an_eui_the_keystore_holds_nothing_of(
    pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = pki.issue_party("00DB201000000001", RemotePartyRole.OTHER)
    asked: list[str] = []

    def repository(eui: str) -> list[KeystoreEntry]:
        asked.append(eui)
        if eui == "00DB2010000000FF":
            raise OSError("the repository is not there")
        return [KeystoreEntry(device.ka.certificate)] if eui == "00DB201000000001" else []

    store = Keystore([KeystoreEntry(device.ds.certificate)], repository=repository)
    assert store.get("00DB201000000001", DS).certificate == device.ds.certificate
    assert asked == []  # it holds something of that EUI: the repository is not asked
    monkeypatch.setattr(keystore, "REPOSITORY_KEPT", 2)
    other = Keystore(repository=repository)
    for _ in range(2):  # answers are kept: asked once each
        assert other.get("00DB201000000001", KA).certificate == device.ka.certificate
        assert other.find(eui="00DB201000000002") == []
    assert asked == ["00DB201000000001", "00DB201000000002"]
    assert list(other) == []  # kept apart: the keystore's own entries are unchanged
    other.find(eui="00DB201000000003")  # a third EUI: the least recently used answer goes
    other.find(eui="00DB201000000002")
    other.find(eui="00DB201000000001")
    assert asked[-2:] == ["00DB201000000003", "00DB201000000001"]
    with pytest.raises(OSError, match="not there"):
        other.find(eui="00DB2010000000FF")
    with pytest.raises(OSError, match="not there"):  # a failure is not kept as "nothing"
        other.find(eui="00DB2010000000FF")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "keyed by EUI"),
        ('{"90b3d51f30020000": 5}', "expected a JSON object"),
        ('{"90b3d51f30020000": {"digitalSignature": {"1": {"certificate": "x"}}}}', "no PEM"),
    ],
)
def test_malformed_keystore_json_is_refused(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "keystore.json"
    path.write_text(document)
    with pytest.raises(KeystoreError, match=message):
        Keystore.load(path)


@pytest.mark.vectors
def test_keystore_entry_whose_key_disagrees_with_its_certificate_is_refused(
    vectors: Path, tmp_path: Path
) -> None:
    document = json.loads((vectors / "smki" / "zaz1-keystore.json").read_text())
    entry = document["90b3d51f30020000"]["digitalSignature"]
    document["90b3d51f30020000"]["keyAgreement"] = entry  # DS certificates filed under KA
    path = tmp_path / "keystore.json"
    path.write_text(json.dumps(document))
    with pytest.raises(KeystoreError, match="usage"):
        Keystore.load(path)
