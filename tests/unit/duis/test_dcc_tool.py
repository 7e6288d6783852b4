"""Interoperability with the DCC's own DUIS signing tool (npm ``@smartdcc/duis-sign-wrap``).

The DCC Boxed signing and validation tool (Java, shipped in the npm package
``@smartdcc/duis-sign-wrap``) is the strongest independent check of the XML-signature profile:
it resolves certificates by serial from its built-in list (the ZAZ1 XML-signing certificates).
``.ci/run`` installs it under ``.tools/`` and sets ``S1HARNESS_REQUIRE_DCC_TOOL=1``, so in CI a
missing tool fails these tests rather than skipping them. ``S1HARNESS_DCC_TOOL_JAR`` points at
another copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from s1harness.duis import xml
from s1harness.duis.signature import sign
from s1harness.duis.verifying import verify_message
from s1harness.smki import Keystore
from s1harness.spec import KeyUsage, RemotePartyRole
from support import ROOT

JAR = Path(
    os.environ.get("S1HARNESS_DCC_TOOL_JAR")
    or ROOT / ".tools/node_modules/@smartdcc/duis-sign-wrap/dist/tool.jar"
)
NO_BY_NO = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
pytestmark = pytest.mark.vectors


@pytest.fixture(scope="module")
def tool() -> list[str]:
    java = shutil.which("java")
    if java is None or not JAR.is_file():
        reason = f"the DCC signing tool needs java and {JAR} (see .ci/run for the install)"
        if os.environ.get("S1HARNESS_REQUIRE_DCC_TOOL"):
            pytest.fail(reason)
        pytest.skip(reason)
    return [java, "-cp", str(JAR)]


def _run(tool: list[str], main: str, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    command = [*tool, f"uk.co.smartdcc.boxed.xmldsig.{main}", *map(str, args)]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def test_the_dcc_tool_accepts_our_signatures_and_refuses_tampering(
    tool: list[str], vectors: Path, tmp_path: Path
) -> None:
    zaz1 = Keystore.load(vectors / "smki")
    user = zaz1.get("90B3D51F30020000", KeyUsage.DIGITAL_SIGNATURE, RemotePartyRole.XML_SIGN)
    assert user.private_key is not None
    root = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    signed = xml.serialise(sign(root, user.private_key, user.certificate))
    (tmp_path / "signed.xml").write_bytes(signed)
    assert _run(tool, "Validate", tmp_path / "signed.xml").returncode == 0
    changed = signed.replace(
        b"<sr:RemotePartyFloorSeqNumber>0<", b"<sr:RemotePartyFloorSeqNumber>1<"
    )
    (tmp_path / "changed.xml").write_bytes(changed)
    assert _run(tool, "Validate", tmp_path / "changed.xml").returncode == 10


def test_we_accept_what_the_dcc_tool_signs(tool: list[str], vectors: Path) -> None:
    zaz1 = Keystore.load(vectors / "smki")
    for name in (NO_BY_NO, "CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML"):
        done = _run(tool, "Sign", vectors / "duis" / "requests" / name, "--preserveCounter")
        assert done.returncode == 0, done.stderr
        result = verify_message(xml.parse(done.stdout.strip()), zaz1)
        assert result.valid, (name, result.reason)


def test_the_dcc_tool_accepts_our_dsp_signature(
    tool: list[str], vectors: Path, tmp_path: Path
) -> None:
    signtool = Keystore.load(vectors / "smki" / "signtool")
    dsp = next(
        e
        for e in signtool.find(eui="90B3D51F30000002", role=RemotePartyRole.DSP_XML_SIGN)
        if e.name is None and e.certificate.serial == 167048897159233642262001557408276884033
    )
    assert dsp.private_key is not None
    response = xml.parse((vectors / "duis" / "responses" / "readfw-response.xml").read_bytes())
    signed = xml.serialise(sign(response, dsp.private_key, dsp.certificate))
    (tmp_path / "response.xml").write_bytes(signed)
    assert verify_message(xml.parse(signed), signtool).valid
    assert _run(tool, "Validate", tmp_path / "response.xml").returncode == 0
