"""``s1harness smki`` and the CLI's error handling."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from s1harness.cli import main

INSPECT_FIELDS = {
    "eui", "role", "role_name", "key_usage", "kind", "issuer", "serial",
    "not_before", "not_after", "source",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    return code, lines, captured.err


@pytest.mark.vectors
def test_inspect_a_pem_file(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    code, lines, _ = run(capsys, "smki", "inspect", vectors / "smki/signtool/Z1-supplier-ds.pem")
    assert code == 0
    (line,) = lines
    assert line.keys() >= INSPECT_FIELDS
    assert line["eui"] == "90B3D51F30010000"
    assert line["role"] == 2 and line["role_name"] == "supplier"
    assert line["key_usage"] == "digitalSignature" and line["kind"] == "organisation"
    assert line["serial"] == "4fbc525201a1d7586c1bc1c4734deb9f"
    assert line["issuer"] == "CN=Z1,OU=07"
    assert line["not_after"] == "2025-10-29T23:59:59Z"


@pytest.mark.vectors
def test_inspect_a_folder_and_a_keystore(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    code, lines, err = run(capsys, "smki", "inspect", vectors / "rtds" / "keystore")
    assert code == 0 and err == ""
    assert len(lines) == 416  # the bare public key file is skipped
    assert all(len(line["eui"]) == 16 and line["eui"] == line["eui"].upper() for line in lines)
    devices = [line for line in lines if line["kind"] == "device"]
    assert len(devices) == 400 and all(line["role"] is None for line in devices)
    code, lines, _ = run(capsys, "smki", "inspect", vectors / "smki" / "zaz1-keystore.json")
    assert code == 0 and len(lines) == 33
    assert all(line["private_key"] is True and line["name"] for line in lines)
    ca = run(capsys, "smki", "inspect", vectors / "smki" / "Z1-issuing-ca.pem")[1][0]
    assert ca["kind"] == "ca" and ca["role"] is None and ca["key_usage"] == "keyCertSign"


@pytest.mark.vectors
def test_inspect_profile(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    code, (line,), _ = run(
        capsys, "smki", "inspect", "--profile", vectors / "smki" / "Z1-issuing-ca.pem"
    )
    assert code == 0
    assert line["profile"]["serial_octets"] == 16
    assert line["profile"]["extensions"][0] == ["2.5.29.15", True]


@pytest.mark.vectors
def test_verify_exit_codes(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    ca = vectors / "smki" / "Z1-issuing-ca.pem"
    expired = vectors / "smki" / "signtool" / "Z1-supplier-ds.pem"
    current = vectors / "smki" / "signtool" / "Z1-accessControlBroker-dSPXmlSign.pem"
    code, (line,), _ = run(capsys, "smki", "verify", current, "--ca", ca, "--at", "2026-11-21")
    assert (code, line["valid"], line["reason"]) == (0, True, None)
    code, (line,), _ = run(capsys, "smki", "verify", expired, "--ca", ca, "--at", "2026-11-21")
    assert code == 1 and line["valid"] is False and line["failure"] == "expired"
    assert "expired" in line["reason"]
    code, (line,), _ = run(capsys, "smki", "verify", expired, "--ca", ca, "--no-time-checks")
    assert code == 0 and line["valid"] is True
    fake = vectors / "smki" / "signtool" / "xml-sign-90B3D51F30020000-ds.pem"
    code, (line,), _ = run(capsys, "smki", "verify", fake, "--ca", ca, "--no-time-checks")
    assert code == 1 and line["failure"] == "bad-signature"


def test_issue_then_inspect_and_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pki_dir, out = tmp_path / "pki", tmp_path / "out"
    code, (issued,), _ = run(
        capsys, "smki", "issue", "--role", "networkOperator", "--eui", "90-B3-D5-1F-30-02-00-00",
        "--usage", "DS", "--out", out, "--pki", pki_dir, "--seed", "cli test",
    )  # fmt: skip
    assert code == 0 and issued["pki_created"] is True
    assert (pki_dir / "pki.json").is_file() and (pki_dir / "org-root.pem").is_file()
    cert_file = Path(issued["source"])
    assert cert_file.name == "90b3d51f30020000-networkOperator-ds.pem"
    assert Path(issued["private_key_file"]).is_file()
    code, (inspected,), _ = run(capsys, "smki", "inspect", cert_file)
    assert code == 0
    for field in INSPECT_FIELDS - {"source"}:
        assert inspected[field] == issued[field], field
    assert inspected["role"] == 3 and inspected["eui"] == "90B3D51F30020000"
    code, (verdict,), _ = run(
        capsys, "smki", "verify", cert_file, "--ca", pki_dir / "org-root.pem",
        "--path", pki_dir / "org-ca.pem", "--at", "2027-01-01T00:00:00Z",
    )  # fmt: skip
    assert code == 0 and verdict["valid"] is True
    code, (again,), _ = run(
        capsys, "smki", "issue", "--role", "3", "--eui", "90B3D51F30020000", "--usage", "DS",
        "--out", out, "--pki", pki_dir,
    )  # fmt: skip
    assert code == 0 and again["pki_created"] is False
    assert again["serial"] == issued["serial"]  # deterministic from the stored seed
    code, (device,), _ = run(
        capsys, "smki", "issue", "--device", "--eui", "00DB123456789001", "--usage", "KA",
        "--out", out, "--pki", pki_dir,
    )  # fmt: skip
    assert code == 0 and device["kind"] == "device" and device["role"] is None


def test_a_pki_folder_changed_by_hand_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pki_dir = tmp_path / "pki"
    args = ("smki", "issue", "--role", "supplier", "--eui", "90B3D51F30010000", "--usage", "KA")
    assert run(capsys, *args, "--out", tmp_path, "--pki", pki_dir)[0] == 0
    (pki_dir / "org-ca.pem").write_bytes((pki_dir / "org-root.pem").read_bytes())
    code, lines, err = run(capsys, *args, "--out", tmp_path, "--pki", pki_dir)
    assert code == 2 and lines == [] and "differs" in err


def _certificate_with_role_ou(tmp_path: Path, ou: str) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER,
                b"\x00" + bytes(8),
                _type=x509.name._ASN1Type.BitString,
            ),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .serial_number(1)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2030, 1, 1, tzinfo=UTC))
        .public_key(key.public_key())
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / f"role-{ou}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _bad_inputs(tmp_path: Path, vectors: Path) -> list[tuple[list[str], str, int]]:
    der = (vectors / "smki" / "Z1-issuing-ca.pem").read_text()
    (tmp_path / "truncated.der").write_bytes(
        x509.load_pem_x509_certificate(der.encode()).public_bytes(serialization.Encoding.DER)[:200]
    )
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    (tmp_path / "empty.pem").write_text(
        "-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n"
    )
    role = str(_certificate_with_role_ou(tmp_path, "42"))
    issue = ["smki", "issue", "--out", str(tmp_path), "--pki", str(tmp_path / "pki")]
    return [
        (["smki", "inspect", str(tmp_path / "notes.txt")], "not a certificate", 1),
        (["smki", "inspect", str(tmp_path / "truncated.der")], "not a valid X.509", 1),
        (["smki", "inspect", str(tmp_path / "empty.pem")], "not valid base64", 1),
        (["smki", "inspect", role], "unknown remote party role code '42'", 1),
        (["smki", "inspect", str(tmp_path / "missing.pem")], "no such file", 2),
        ([*issue, "--role", "42", "--eui", "0011223344556677", "--usage", "DS"], "role", 2),
        ([*issue, "--role", "supplier", "--eui", "0011", "--usage", "DS"], "EUI-64", 2),
        ([*issue, "--role", "supplier", "--eui", "0011223344556677", "--usage", "XX"], "usage", 2),
        ([*issue, "--eui", "0011223344556677", "--usage", "DS"], "--role", 2),
        (["smki", "verify", role, "--ca", role], "unknown remote party role", 2),
        (["smki", "verify", str(vectors / "smki/Z1-issuing-ca.pem"), "--ca",
          str(vectors / "smki/Z1-issuing-ca.pem"), "--at", "yesterday"], "ISO 8601", 2),
        (["smki", "frobnicate"], "No such command", 2),
        (["smki", "inspect"], "Missing argument", 2),
    ]  # fmt: skip


@pytest.mark.vectors
def test_bad_input_gives_one_line_and_a_non_zero_exit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, vectors: Path
) -> None:
    for args, message, expected in _bad_inputs(tmp_path, vectors):
        code, lines, err = run(capsys, *args)
        assert code == expected, (args, err)
        assert lines == [], args
        assert len(err.strip().splitlines()) == 1, (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err


@pytest.mark.vectors
def test_the_installed_command_never_prints_a_traceback(tmp_path: Path, vectors: Path) -> None:
    (tmp_path / "x.der").write_bytes(b"\x30\x82\xff\xff" + bytes(40))
    for args in (
        ["smki", "inspect", str(tmp_path / "x.der")],
        ["smki", "verify", "nope.pem", "--ca", "x"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "s1harness", *args], capture_output=True, text=True, check=False
        )
        assert done.returncode in (1, 2)
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_bench_smki_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """Shape only: the figures themselves are read from `s1harness bench smki`, not asserted."""
    code, (result,), _ = run(capsys, "bench", "smki", "--json", "--count", "10", "--rounds", "1")
    assert code == 0 and result["benchmark"] == "smki"
    assert set(result["rates"]) == {
        "issue_organisation", "bound_keygen_sign", "parse_verify", "bound_ecdsa_verify",
    }  # fmt: skip
    assert result["ratio"] == min(result["ratios"].values()) > 0
