"""Validation against the DUIS 5.4 XSD, and overlays."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from s1harness.duis import xml
from s1harness.duis.errors import DuisSchemaError
from s1harness.duis.schema import OVERLAYS, find_xsd_dir, load_schema

pytestmark = pytest.mark.vectors
NO_BY_NO = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
HANDOVER = "CS02bNOByNOHandover_6.21_SUCCESS_REQUEST_DUIS.XML"


def _template(vectors: Path, name: str) -> bytes:
    return (vectors / "duis" / "requests" / name).read_bytes()


def test_every_vector_document_is_valid(vectors: Path) -> None:
    schema = load_schema()
    files = sorted((vectors / "duis").glob("re*/*"))
    assert len(files) == 26
    for path in files:
        assert schema.validate(xml.parse(path.read_bytes())) == [], path.name


@pytest.mark.parametrize(
    ("name", "old", "new", "valid"),
    [
        (NO_BY_NO, b">NetworkOperator<", b">ImportSupplier<", False),
        (NO_BY_NO, b">NetworkOperator<", b">Root<", True),
        (NO_BY_NO, b"90-B3-D5-1F-30-02-00-00:", b"90B3D51F30020000:", False),
        (NO_BY_NO, b"<sr:CommandVariant>4<", b"<sr:CommandVariant>10<", False),
        (NO_BY_NO, b"<sr:CommandVariant>4<", b"<sr:CommandVariant>1<", True),
        (NO_BY_NO, b"<sr:ApplyTimeBasedCPVChecks>true</sr:ApplyTimeBasedCPVChecks>", b"", False),
        (
            NO_BY_NO,
            b">true</sr:ApplyTimeBasedCPVChecks>",
            b">yes</sr:ApplyTimeBasedCPVChecks>",
            False,
        ),
        (NO_BY_NO, b' schemaVersion="5.4"', b"", False),
        (NO_BY_NO, b' schemaVersion="5.4"', b' schemaVersion="5.1"', True),
        (
            NO_BY_NO,
            b"<sr:RemotePartyFloorSeqNumber>0<",
            b"<sr:RemotePartyFloorSeqNumber>-1<",
            False,
        ),
        (
            HANDOVER,
            b"<sr:ServiceReferenceVariant>6.21<",
            b"<sr:ServiceReferenceVariant>6.15.1<",
            True,
        ),
    ],
)
def test_what_the_schema_does_and_does_not_enforce(
    vectors: Path, name: str, old: bytes, new: bytes, valid: bool
) -> None:
    document = _template(vectors, name)
    assert old in document
    issues = load_schema().validate(xml.parse(document.replace(old, new, 1)))
    assert (not issues) is valid, issues
    for issue in issues:
        assert issue.path and issue.path.startswith("/sr:Request")
        assert issue.line is not None


def test_four_path_certificates_are_too_many(vectors: Path) -> None:
    document = _template(vectors, NO_BY_NO)
    start = document.index(b"<sr:Certificate>")
    end = document.index(b"</sr:Certificate>") + len(b"</sr:Certificate>")
    four = document[:end] + document[start:end] * 3 + document[end:]
    (issue,) = load_schema().validate(xml.parse(four))
    assert "Certificate" in issue.message


def test_an_overlay_admits_its_codes_without_touching_the_xsd(vectors: Path) -> None:
    xsd = find_xsd_dir() / "DUIS Schema V5.4.xsd"
    before = hashlib.sha256(xsd.read_bytes()).hexdigest()
    response = (vectors / "duis" / "responses" / "acknowledgement-error.xml").read_bytes()
    proposed = xml.parse(response.replace(b">E65<", b">E061510<"))
    (issue,) = load_schema().validate(proposed)
    assert issue.path == "/sr:Response/sr:Header/sr:ResponseCode"
    assert "…" in issue.message  # the 194-value enumeration is shortened to one readable line
    assert load_schema(("SECMP0058",)).validate(proposed) == []
    assert OVERLAYS["SECMP0058"].values == ("E061510",)
    assert "harness-defined" in OVERLAYS["SECMP0058"].source
    assert hashlib.sha256(xsd.read_bytes()).hexdigest() == before
    assert load_schema().validate(proposed) != []  # still refused without the overlay


def test_unknown_overlays_and_missing_xsds_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(DuisSchemaError, match=r"unknown schema overlay 'SECMP9999'"):
        load_schema(("SECMP9999",))
    monkeypatch.setenv("S1HARNESS_DUIS_XSD", str(tmp_path))
    with pytest.raises(DuisSchemaError, match=r"DUIS 5\.4 XSD not found"):
        find_xsd_dir()
