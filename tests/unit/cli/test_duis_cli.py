"""``s1harness duis validate|sign|verify|inspect`` and ``bench duis``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1harness.cli import main

pytestmark = pytest.mark.vectors
NO_BY_NO = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_validate_reports_per_file(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    good = sorted((vectors / "duis").glob("re*/*"))
    code, lines, _ = run(capsys, "duis", "validate", *good)
    assert code == 0 and len(lines) == 26 and all(line["valid"] for line in lines)
    bad = tmp_path / "bad.xml"
    bad.write_bytes((vectors / "duis/requests" / NO_BY_NO).read_bytes().replace(b">4<", b">10<"))
    hostile = tmp_path / "xxe.xml"
    hostile.write_bytes(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    code, lines, _ = run(capsys, "duis", "validate", good[0], bad, hostile, tmp_path / "nope.xml")
    assert code == 1
    assert [line["valid"] for line in lines] == [True, False, False, False]
    assert lines[1]["errors"][0]["path"] == "/sr:Request/sr:Header/sr:CommandVariant"
    assert lines[1]["errors"][0]["line"] is not None
    assert "DOCTYPE" in lines[2]["errors"][0]["message"]
    assert "no such file" in lines[3]["errors"][0]["message"]


def test_validate_with_an_overlay(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    proposed = tmp_path / "mp058.xml"
    error = (vectors / "duis/responses/acknowledgement-error.xml").read_bytes()
    proposed.write_bytes(error.replace(b">E65<", b">E061510<"))
    assert run(capsys, "duis", "validate", proposed)[0] == 1
    assert run(capsys, "duis", "validate", proposed, "--overlay", "SECMP0058")[0] == 0
    code, _, err = run(capsys, "duis", "validate", proposed, "--overlay", "SECMP9999")
    assert code == 2 and "unknown schema overlay" in err


def test_sign_then_verify(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    tool = vectors / "smki" / "signtool"
    template = vectors / "duis" / "requests" / NO_BY_NO
    signed = tmp_path / "signed.xml"
    code, _, err = run(
        capsys, "duis", "sign", template, "--key", tool / "xml-sign-90B3D51F30020000-ds.key",
        "--cert", tool / "xml-sign-90B3D51F30020000-ds.pem", "-o", signed,
    )  # fmt: skip
    assert (code, err) == (0, "")
    code, (line,), _ = run(capsys, "duis", "verify", signed)
    assert code == 0
    assert line == {
        "file": str(signed), "valid": True, "signer_eui": "90B3D51F30020000", "reason": None,
        "failure": None, "certificate_serial": "40938316298935008147424226388667426413",
    }  # fmt: skip
    wrong = tmp_path / "wrong.xml"
    code, _, err = run(
        capsys, "duis", "sign", template, "--key", tool / "xml-sign-90B3D51F30010000-ds.key",
        "--cert", tool / "xml-sign-90B3D51F30010000-ds.pem", "-o", wrong,
    )  # fmt: skip
    assert code == 0 and "not the RequestID originator" in err
    code, (line,), _ = run(capsys, "duis", "verify", wrong, "--keystore", tool)
    assert code == 1 and line["failure"] == "signer-is-not-originator"
    code, (line,), _ = run(capsys, "duis", "verify", vectors / "duis/responses/readfw-response.xml")
    assert code == 0 and line["signer_eui"] == "90B3D51F30000002"


def test_bad_input_is_one_line_and_non_zero(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"\x00\x01 not xml")
    wrong_ns = tmp_path / "wrong-ns.xml"
    wrong_ns.write_bytes(b'<x:Request xmlns:x="urn:other"/>')
    key = vectors / "smki/signtool/xml-sign-90B3D51F30020000-ds.key"
    for args in (
        ("duis", "verify", garbage),
        ("duis", "verify", wrong_ns),
        ("duis", "sign", garbage, "--key", key, "--cert", key),
        ("duis", "verify", tmp_path / "missing.xml"),
    ):
        code, lines, err = run(capsys, *args)
        assert code == 2 and lines == [], args
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, args


def test_bench_duis_json_shape(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    """Shape only: the figures are read from `s1harness bench duis`, never asserted."""
    args = ("bench", "duis", "--json", "--count", "10", "--rounds", "1")
    code, (built,), _ = run(capsys, *args)
    assert code == 0 and built["documents"] == "built" and built["ratio"] > 0
    code, (templates,), _ = run(capsys, *args, "--vectors", vectors)
    assert code == 0 and templates["documents"] == "templates"
    assert templates["document_count"] == 23
    assert set(templates["rates"]) == {"validate_verify", "bound_ecdsa_verify"}


def test_inspect_summarises_header_body_certificates_and_payloads(
    capsys: pytest.CaptureFixture[str], vectors: Path
) -> None:
    code, (line,), _ = run(capsys, "duis", "inspect", vectors / "duis/requests" / NO_BY_NO)
    assert code == 0 and line["kind"] == "Request"
    header = line["message"]["header"]
    assert header["request_id"]["originator"] == "90B3D51F30020000"
    assert header["command_variant"] == 4 and header["service_reference_variant"] == "6.15.1"
    body = line["message"]["body"]
    assert body["type"] == "UpdateSecurityCredentialsKRP"
    assert (
        body["replacement_certificates"]["digital_signing"]["certificate"]["role"]
        == "networkOperator"
    )
    code, (line,), _ = run(
        capsys, "duis", "inspect", vectors / "duis/responses/readfw-response.xml"
    )
    assert code == 0 and line["signed"] is True
    assert line["message"]["body"]["content"]["payload"]["gbcs"]["cra"] == "response"


def test_an_unknown_srv_is_refused_by_validation_and_unmodelled_in_inspect(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    template = (vectors / "duis/requests" / NO_BY_NO).read_bytes()
    unknown = tmp_path / "unknown-srv.xml"
    unknown.write_bytes(template.replace(b">6.15.1<", b">9.99.9<"))
    code, (line,), _ = run(capsys, "duis", "validate", unknown)
    assert code == 1
    assert line["errors"][0]["path"] == "/sr:Request/sr:Header/sr:ServiceReferenceVariant"
    code, (line,), _ = run(capsys, "duis", "inspect", unknown)
    assert code == 0 and line["srv"] is None
    code, (line,), _ = run(capsys, "duis", "inspect", vectors / "duis/requests" / NO_BY_NO)
    assert line["srv"]["critical"] is True
    assert line["srv"]["eligible"] == ["ED", "GS", "GT", "IS"]
