"""``s1harness gbcs inspect|sign|mac`` over the RTDS vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1harness.cli import main
from s1harness.gbcs.frames import MacEnvelope, decode
from support import rtds_frames

FIELDS = {
    "file", "frame", "cra", "counter", "originator", "target", "message_code", "use_case",
    "payload", "signature", "mac",
}  # fmt: skip
NO_BY_NO = "6.15.1_CS02bNOByNO/CS02bNOByNO_6.15.1_SUCCESS_{}_GBCS.HEX"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


@pytest.mark.vectors
def test_inspect_every_rtds_frame(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    files = [path for path, _ in rtds_frames()]
    code, lines, err = run(
        capsys, "gbcs", "inspect", *files, "--keystore", vectors / "rtds" / "keystore"
    )
    assert (code, err) == (0, "")
    assert len(lines) == 168
    for line in lines:
        assert line.keys() >= FIELDS, line["file"]
        assert len(line["originator"]) == len(line["target"]) == 16
        assert line["frame"] in ("general-signing", "mac-envelope")
        assert line["cra"] in ("command", "response", "alert")
    signatures = [line["signature"] for line in lines if line["signature"]["present"]]
    assert len(signatures) == 110 and all(s["valid"] is True for s in signatures)
    macs = [line["mac"] for line in lines if line["mac"]["present"]]
    assert [m["valid"] for m in macs].count(True) == 63
    assert [m["valid"] for m in macs].count(None) == 2  # PPMID <-> GSME: no keys exist
    assert all(line["use_case"] for line in lines)  # the table covers every code
    no_by_no = next(line for line in lines if line["file"].endswith(NO_BY_NO.format("COMMAND")))
    assert no_by_no["use_case"] == "CS02b" and no_by_no["message_code"] == 0x0103
    assert no_by_no["payload"]["type"] == "UpdateSecurityCredentials"


@pytest.mark.vectors
def test_inspect_reports_each_bad_file_and_goes_on(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    good = vectors / "rtds" / NO_BY_NO.format("RESPONSE")
    truncated = tmp_path / "truncated.HEX"
    truncated.write_text(good.read_text()[:100])
    binary = tmp_path / "response.bin"
    binary.write_bytes(bytes.fromhex(good.read_text()))
    code, lines, _ = run(capsys, "gbcs", "inspect", truncated, binary, tmp_path / "missing.HEX")
    assert code == 1
    assert lines[0]["file"] == str(truncated)
    assert lines[0]["field"] == "general-signing.content" and lines[0]["offset"] == 50
    assert lines[1]["counter"] == 1200 and lines[1]["signature"] == {"present": True, "valid": None}
    assert "no such file" in lines[2]["error"]


@pytest.mark.vectors
def test_sign_then_mac_rebuild_what_the_dcc_sends(
    capsys: pytest.CaptureFixture[str], vectors: Path, tmp_path: Path
) -> None:
    keystore = vectors / "rtds" / "keystore"
    precommand = vectors / "rtds" / NO_BY_NO.format("PRECOMMAND")
    signed = tmp_path / "signed.HEX"
    code, _, _ = run(
        capsys, "gbcs", "sign", precommand, "--key", keystore / "90b3d51f30020000-ds.key",
        "-o", signed,
    )  # fmt: skip
    assert code == 0
    code, (line,), _ = run(capsys, "gbcs", "inspect", signed, "--keystore", keystore)
    assert line["signature"]["valid"] is True and line["frame"] == "general-signing"
    # With the RTDS signature in place, the MAC step reproduces the RTDS COMMAND exactly.
    command = decode(bytes.fromhex((vectors / "rtds" / NO_BY_NO.format("COMMAND")).read_text()))
    assert isinstance(command, MacEnvelope)
    rtds_signed = tmp_path / "rtds-signed.bin"
    rtds_signed.write_bytes(command.apdu.raw)
    code, _, _ = run(
        capsys, "gbcs", "mac", rtds_signed, "--key", keystore / "90b3d51f30000002-ka.key",
        "--device-cert", keystore / "00db1234567890a0-ka.pem", "-o", tmp_path / "command.HEX",
    )  # fmt: skip
    assert code == 0
    assert bytes.fromhex((tmp_path / "command.HEX").read_text()) == command.raw


@pytest.mark.vectors
def test_sign_and_mac_refuse_the_wrong_kind_of_frame(
    capsys: pytest.CaptureFixture[str], vectors: Path
) -> None:
    command = vectors / "rtds" / NO_BY_NO.format("COMMAND")
    key = vectors / "rtds" / "keystore" / "90b3d51f30020000-ds.key"
    code, lines, err = run(capsys, "gbcs", "sign", command, "--key", key)
    assert code == 2 and lines == [] and "not an envelope" in err
    code, _, err = run(capsys, "gbcs", "sign", vectors / "missing.HEX", "--key", key)
    assert code == 2 and "no such file" in err
    assert len(err.strip().splitlines()) == 1


def test_bench_gbcs_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """Shape only: the figures are read from `s1harness bench gbcs`, never asserted."""
    code, (result,), _ = run(capsys, "bench", "gbcs", "--json", "--count", "10", "--rounds", "1")
    assert code == 0 and result["benchmark"] == "gbcs" and result["frames"] == "built"
    assert set(result["rates"]) == {"decode", "verify_signature", "inspect", "bound_ecdsa_verify"}
    assert result["ratio"] == result["ratios"]["inspect"] > 0


@pytest.mark.vectors
def test_bench_gbcs_takes_rtds_frames(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    args = ("bench", "gbcs", "--json", "--count", "10", "--rounds", "1")
    code, (result,), _ = run(capsys, *args, "--vectors", vectors / "rtds")
    assert code == 0 and result["frames"] == "vectors" and result["frame_count"] == 110
