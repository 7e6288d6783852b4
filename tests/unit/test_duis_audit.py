"""The central DUIS audit (s1harness.suite.audit) is not a no-op: it catches invalid documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from s1harness.spec.bus import Envelope, Kind
from s1harness.suite.audit import DuisAudit, listening

pytestmark = pytest.mark.vectors

_TEMPLATE = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"


def _template(vectors: Path) -> bytes:
    return (vectors / "duis" / "requests" / _TEMPLATE).read_bytes()


def _audited(*envelopes: tuple[Kind, bytes]) -> DuisAudit:
    """A fresh audit, hearing envelopes the way the suite's audit does (the audit event); the
    innermost listener alone hears, so the suite's audit does not fail these tests."""
    with listening(DuisAudit()) as audit:
        for kind, payload in envelopes:
            Envelope("dsp/requests", kind, payload, "c")
    return audit


def test_valid_documents_pass_and_are_counted(vectors: Path) -> None:
    audit = _audited((Kind.DUIS_REQUEST, _template(vectors)))
    assert audit.checked == 1
    assert audit.failures == []


def test_invalid_and_unparsable_documents_are_caught(vectors: Path) -> None:
    bad = _template(vectors).replace(b"<sr:CommandVariant>", b"<sr:CommandVariant>9", 1)
    audit = _audited((Kind.DUIS_REQUEST, bad), (Kind.DUIS_RESPONSE, b"not xml"))
    assert len(audit.failures) == 2
    assert "CommandVariant" in audit.failures[0]
    assert "not well-formed" in audit.failures[1]


def test_only_duis_kinds_are_audited() -> None:
    audit = _audited((Kind.GBCS_COMMAND, bytes.fromhex("DD00")), (Kind.SMETS1_INSTRUCTION, b""))
    assert audit.checked == 0


def test_exempt_envelopes_are_not_checked() -> None:
    with listening(DuisAudit()) as audit:
        with audit.exempt():
            Envelope("dsp/requests", Kind.DUIS_REQUEST, b"broken on purpose", "c")
        Envelope("dsp/requests", Kind.DUIS_REQUEST, b"not exempt", "c")
    assert audit.checked == 1
    assert len(audit.failures) == 1


def test_the_secmp0058_overlay_admits_only_its_own_code(vectors: Path) -> None:
    text = (vectors / "duis" / "responses" / "acknowledgement-error.xml").read_bytes()
    assert DuisAudit.problem(text) is None
    assert text.count(b"<sr:ResponseCode>E65<") == 1
    assert DuisAudit.problem(text.replace(b">E65<", b">E061510<")) is None
    assert DuisAudit.problem(text.replace(b">E65<", b">E061599<")) is not None
