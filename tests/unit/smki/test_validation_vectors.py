"""Certification path validation of the real certificates against Z1 (GBCS §12)."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from s1harness.smki import (
    CertificateKind,
    PathFailure,
    SmkiCertificate,
    parse_certificate,
    validate_path,
)
from s1harness.spec import KeyUsage
from support import duis_template_certificates, load, rtds_embedded_certificates

pytestmark = pytest.mark.vectors


def _keystore(vectors: Path) -> dict[str, SmkiCertificate]:
    document = json.loads((vectors / "smki" / "zaz1-keystore.json").read_text())
    out = {}
    for usages in document.values():
        for serials in usages.values():
            for entry in serials.values():
                body = re.sub(r"-----[A-Z ]+-----|\s", "", entry["certificate"])
                out[entry["name"]] = parse_certificate(base64.b64decode(body))
    return out


def _valid_2025_certificates(vectors: Path) -> set[SmkiCertificate]:
    certs = {
        parse_certificate(der)
        for _, element, der in duis_template_certificates()
        if element != "Certificate"
    }
    certs.add(load(vectors / "smki" / "signtool" / "Z1-accessControlBroker-dSPXmlSign.pem"))
    return {c for c in certs if c.kind is CertificateKind.ORGANISATION}


def test_exactly_the_19_current_certificates_validate_at_the_reference_date(
    vectors: Path, z1: SmkiCertificate, reference_time: datetime
) -> None:
    keystore = _keystore(vectors)
    current = _valid_2025_certificates(vectors) | {
        keystore["Z1-loadController-ds"],
        keystore["Z1-loadController-ka"],
    }
    assert len(current) == 19
    for cert in current:
        result = validate_path(cert, anchors=[z1], at=reference_time)
        assert result.valid, (cert, result.reason)
        assert result.path == (cert,)
        assert result.anchor is not None and result.anchor.certificate == z1


def test_the_2015_and_2016_certificates_fail_expired_and_pass_without_time_checks(
    vectors: Path, z1: SmkiCertificate, reference_time: datetime
) -> None:
    keystore = _keystore(vectors)
    old = [c for name, c in keystore.items() if re.match(r"Z1b?-", name)]
    old = [c for c in old if c.role is not None and c.role.spec_name != "loadController"]
    assert len(old) == 23
    for cert in old:
        timed = validate_path(cert, anchors=[z1], at=reference_time)
        assert not timed.valid and timed.failure is PathFailure.EXPIRED, cert
        assert "expired" in (timed.reason or "")
        untimed = validate_path(cert, anchors=[z1], time_checks=False)
        assert untimed.valid, (cert, untimed.reason)
        inside = validate_path(cert, anchors=[z1], at=cert.not_before)
        assert inside.valid  # the clock inside the validity period passes too


def test_the_2018_self_made_certificates_fail_on_signature(
    vectors: Path, z1: SmkiCertificate, reference_time: datetime
) -> None:
    paths = [
        *sorted((vectors / "smki" / "signtool").glob("xml-sign-*.pem")),
        *sorted((vectors / "smki" / "signtool").glob("dsp-xml-sign-*ds.pem")),
        *sorted((vectors / "smki" / "signtool").glob("dsp-xml-sign-*pre-1.4.1.pem")),
        vectors / "rtds" / "keystore" / "90b3d51f30010008-ds.pem",
        vectors / "rtds" / "keystore" / "90b3d51f30010008-ka.pem",
    ]
    assert len(paths) == 7
    for path in paths:
        cert = load(path)
        for result in (
            validate_path(cert, anchors=[z1], at=reference_time),
            validate_path(cert, anchors=[z1], time_checks=False),
        ):
            assert result.failure is PathFailure.BAD_SIGNATURE, (path.name, result.reason)


def test_z2_issued_replacement_certificate_has_no_issuer(
    z1: SmkiCertificate, reference_time: datetime
) -> None:
    (z2,) = [
        parse_certificate(der)
        for der in rtds_embedded_certificates()
        if parse_certificate(der).issuer.get("2.5.4.3") == "Z2"
    ]
    result = validate_path(z2, anchors=[z1], time_checks=False)
    assert result.failure is PathFailure.NO_ISSUER
    assert "OU=07, CN=Z2" in (result.reason or "")


def test_non_repudiation_device_certificate_is_refused(z1: SmkiCertificate) -> None:
    (bad,) = [
        parse_certificate(der)
        for der in rtds_embedded_certificates()
        if KeyUsage.NON_REPUDIATION in parse_certificate(der).key_usages
    ]
    result = validate_path(bad, anchors=[z1], time_checks=False)
    assert result.failure is PathFailure.KEY_USAGE
    assert "nonRepudiation" in (result.reason or "")


def test_z1_itself_is_valid_as_its_own_anchor(
    z1: SmkiCertificate, reference_time: datetime
) -> None:
    assert validate_path(z1, anchors=[z1], at=reference_time).valid


def test_template_path_certificate_completes_a_path_from_a_bare_key(
    vectors: Path, z1: SmkiCertificate, reference_time: datetime
) -> None:
    """A device root cell holds a key, not a certificate: trust Z1's key, carry Z1 as a path
    certificate, as CS02b does."""
    from s1harness.smki import TrustAnchor

    assert z1.ski is not None
    bare = TrustAnchor(public_point=z1.public_point, ski=z1.ski)
    leaf = next(iter(_valid_2025_certificates(vectors)))
    result = validate_path(leaf, anchors=[bare], intermediates=[z1], at=reference_time)
    assert result.valid, result.reason
