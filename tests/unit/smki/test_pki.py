"""The test PKI issues in the exact SMKI profiles, deterministically."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.smki import (
    CertificateKind,
    PathFailure,
    TestPki,
    _builder,
    describe_profile,
    parse_certificate,
    validate_path,
)
from s1harness.smki.keys import derive_private_key, public_point, ski_method2
from s1harness.smki.oids import DEVICE_POLICY, ORGANISATION_POLICY
from s1harness.spec import Eui64, InputError, KeyUsage, RemotePartyRole
from support import load

DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
NO = RemotePartyRole.NETWORK_OPERATOR
ORG_EXTENSIONS = (
    ("2.5.29.15", True),
    ("2.5.29.14", False),
    ("2.5.29.32", True),
    ("2.5.29.35", False),
)


@pytest.mark.vectors
@pytest.mark.parametrize(
    ("real", "role", "usage", "cn"),
    [
        ("smki/signtool/Z1-supplier-ds.pem", RemotePartyRole.SUPPLIER, DS, "GITTESTSUPPLIER"),
        ("rtds/keystore/90b3d51f30020000-ka.pem", NO, KA, None),
        ("rtds/keystore/90b3d51f30000001-ds.pem", RemotePartyRole.RECOVERY, DS, None),
        (
            "smki/signtool/Z1-accessControlBroker-dSPXmlSign.pem",
            RemotePartyRole.DSP_XML_SIGN,
            DS,
            None,
        ),
    ],
)
def test_issued_organisation_certificate_has_the_profile_of_a_real_one(
    vectors: Path, pki: TestPki, real: str, role: RemotePartyRole, usage: KeyUsage, cn: str | None
) -> None:
    reference = load(vectors / real)
    issued = pki.issue_organisation(reference.eui or "", role, usage, common_name=cn)
    mine, theirs = describe_profile(issued.certificate.der), describe_profile(reference.der)
    assert mine.extensions == theirs.extensions == ORG_EXTENSIONS
    assert (
        mine.issuer
        == theirs.issuer
        == (("2.5.4.11", "PrintableString"), ("2.5.4.3", "PrintableString"))
    )
    assert mine.subject == theirs.subject
    assert mine.subject[-2:] == (("2.5.4.11", "UTF8String"), ("2.5.4.45", "BIT STRING"))
    assert mine.serial_octets == theirs.serial_octets == 16
    assert mine.key_identifier_octets == theirs.key_identifier_octets == (8, 8)
    assert mine.signature_algorithm == "300A06082A8648CE3D040302"
    assert mine == theirs  # and everything else, the whole TLV skeleton included
    assert len(issued.certificate.raw.tbs) == len(reference.raw.tbs)


@pytest.mark.vectors
def test_issuing_ca_has_the_profile_of_z1(pki: TestPki, vectors: Path) -> None:
    real = load(vectors / "smki" / "Z1-issuing-ca.pem")
    mine = describe_profile(pki.org_ca.certificate.der)
    assert mine == describe_profile(real.der)
    assert mine.extensions == (
        ("2.5.29.15", True),
        ("2.5.29.19", True),
        ("2.5.29.32", True),
        ("2.5.29.14", False),
        ("2.5.29.35", False),
    )
    assert pki.org_ca.certificate.raw.path_length == 0
    assert pki.org_ca.certificate.subject.get("2.5.4.11") == "07"


@pytest.mark.vectors
def test_issued_device_certificate_has_the_profile_of_an_rtds_one(
    vectors: Path, pki: TestPki
) -> None:
    real = load(vectors / "rtds" / "keystore" / "00db123456789001-ka.pem")
    issued = pki.issue_device("00DB123456789001", KA).certificate
    assert describe_profile(issued.der) == describe_profile(real.der)
    assert issued.kind is CertificateKind.DEVICE and issued.eui == "00DB123456789001"
    assert issued.not_after == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert issued.policy_oids == (DEVICE_POLICY,)
    assert len(issued.subject.attributes) == 0


def test_issued_values_equal_what_parsing_their_der_gives(pki: TestPki) -> None:
    for issued in (
        pki.issue_organisation("90B3D51F30020000", NO, DS),
        pki.issue_organisation("90B3D51F30010000", RemotePartyRole.SUPPLIER, KA, common_name="X"),
        pki.issue_organisation("00DB123456780004", RemotePartyRole.XML_SIGN, DS),
        pki.issue_device("00DB123456789001", DS),
    ):
        parsed = parse_certificate(issued.certificate.der)
        assert parsed.raw == issued.certificate.raw
        assert (parsed.kind, parsed.eui, parsed.role) == (
            issued.certificate.kind,
            issued.certificate.eui,
            issued.certificate.role,
        )
        assert public_point(issued.private_key) == parsed.public_point


def test_template_output_is_byte_identical_to_the_builder(pki: TestPki) -> None:
    issued = pki.issue_organisation("90B3D51F30020000", NO, KA, common_name="NO TEST")
    cert = issued.certificate
    built = _builder.build_organisation(
        issuer=_builder.ca_name("T1", "07"),
        subject=_builder.organisation_name(cert.eui, NO, "NO TEST"),  # type: ignore[arg-type]
        serial=cert.serial,
        validity=(cert.not_before, cert.not_after),
        public_key=issued.private_key.public_key(),
        ski=ski_method2(cert.public_point),
        aki=pki.org_ca.certificate.ski,  # type: ignore[arg-type]
        usage=KA,
        policy=ORGANISATION_POLICY,
        issuer_key=pki.org_ca.private_key,
    )
    assert built == cert.der
    device = pki.issue_device("00DB1234567890C8", DS)
    built_device = _builder.build_device(
        issuer=_builder.ca_name("T357", None),
        eui=device.certificate.eui,  # type: ignore[arg-type]
        serial=device.certificate.serial,
        validity=(device.certificate.not_before, device.certificate.not_after),
        public_key=device.private_key.public_key(),
        ski=ski_method2(device.certificate.public_point),
        aki=pki.device_ca.certificate.ski,  # type: ignore[arg-type]
        usage=DS,
        policy=DEVICE_POLICY,
        issuer_key=pki.device_ca.private_key,
    )
    assert built_device == device.certificate.der


def test_same_seed_gives_the_same_pki_and_another_seed_does_not() -> None:
    a, b, c = TestPki("seed-a"), TestPki("seed-a"), TestPki("seed-c")
    assert a.org_root.certificate.der == b.org_root.certificate.der
    assert a.device_ca.certificate.der == b.device_ca.certificate.der
    issue = lambda p: p.issue_organisation("90B3D51F30020000", NO, DS).certificate.der  # noqa: E731
    assert issue(a) == issue(b)
    assert issue(a) != issue(c)
    assert a.org_root.certificate.der != c.org_root.certificate.der


def test_a_new_generation_gets_a_new_key_and_serial(pki: TestPki) -> None:
    first = pki.issue_organisation("90B3D51F30020000", NO, DS).certificate
    second = pki.issue_organisation("90B3D51F30020000", NO, DS, generation=1).certificate
    assert first.public_point != second.public_point
    assert first.serial != second.serial
    assert first.eui == second.eui


def test_serials_are_16_octets_positive_without_leading_zero(pki: TestPki) -> None:
    for index in range(50):
        cert = pki.issue_organisation(f"{index:016X}", RemotePartyRole.SUPPLIER, DS).certificate
        assert cert.serial.bit_length() == 127


def test_issuing_refuses_ca_roles_and_ca_usages(pki: TestPki) -> None:
    with pytest.raises(InputError, match="CA certificates"):
        pki.issue_organisation("90B3D51F30020000", RemotePartyRole.ROOT, DS)
    with pytest.raises(InputError, match="DS or KA"):
        pki.issue_organisation("90B3D51F30020000", NO, KeyUsage.KEY_CERT_SIGN)
    with pytest.raises(InputError, match="EUI-64"):
        pki.issue_device("not-an-eui", DS)


# -- validation with the project's PKI -------------------------------------------------------

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def test_issued_certificates_validate_to_their_roots(pki: TestPki) -> None:
    org = pki.issue_organisation("90B3D51F30020000", NO, DS).certificate
    result = validate_path(
        org, anchors=[pki.org_root.certificate], intermediates=[pki.org_ca.certificate], at=NOW
    )
    assert result.valid and result.path == (org, pki.org_ca.certificate)
    device = pki.issue_device("00DB123456789001", KA).certificate
    assert validate_path(
        device,
        anchors=[pki.device_root.certificate],
        intermediates=[pki.device_ca.certificate],
        at=NOW,
    ).valid


def test_time_checks(pki: TestPki) -> None:
    org = pki.issue_organisation("90B3D51F30020000", NO, DS).certificate
    chain = {"anchors": [pki.org_root.certificate], "intermediates": [pki.org_ca.certificate]}
    late = validate_path(org, at=datetime(2040, 1, 1, tzinfo=UTC), **chain)  # type: ignore[arg-type]
    assert late.failure is PathFailure.EXPIRED
    early = validate_path(org, at=datetime(2021, 1, 1, tzinfo=UTC), **chain)  # type: ignore[arg-type]
    assert early.failure is PathFailure.NOT_YET_VALID
    assert validate_path(org, time_checks=False, **chain).valid  # type: ignore[arg-type]
    with pytest.raises(InputError, match="validation time"):
        validate_path(org, **chain)  # type: ignore[arg-type]


def test_another_pki_and_the_other_hierarchy_are_not_trusted(pki: TestPki) -> None:
    other = TestPki("another seed").issue_organisation("90B3D51F30020000", NO, DS).certificate
    result = validate_path(
        other, anchors=[pki.org_root.certificate], intermediates=[pki.org_ca.certificate], at=NOW
    )
    assert result.failure is PathFailure.NO_ISSUER
    device = pki.issue_device("00DB123456789001", DS).certificate
    cross = validate_path(
        device, anchors=[pki.org_root.certificate], intermediates=[pki.org_ca.certificate], at=NOW
    )
    assert cross.failure is PathFailure.NO_ISSUER


def test_a_corrupted_ca_signature_is_found(pki: TestPki) -> None:
    """Our equivalent of the RTDS Z1 copy with a corrupted last signature octet."""
    ca = pki.org_ca.certificate
    corrupted_der = ca.der[:-1] + bytes([ca.der[-1] ^ 0x40])
    corrupted = parse_certificate(corrupted_der)
    org = pki.issue_organisation("90B3D51F30020000", NO, DS).certificate
    result = validate_path(
        org, anchors=[pki.org_root.certificate], intermediates=[corrupted], at=NOW
    )
    assert result.failure is PathFailure.BAD_SIGNATURE
    assert "CA OU=07, CN=T1" in (result.reason or "")


def _forged(pki: TestPki, **overrides: object) -> object:
    """An organisation certificate signed by the issuing CA with one field changed."""
    key = derive_private_key(b"forged", "x")
    fields: dict[str, object] = {
        "issuer": _builder.ca_name("T1", "07"),
        "subject": _builder.organisation_name(Eui64("90B3D51F30020000"), NO, None),
        "serial": 0x4000_0000_0000_0000_0000_0000_0000_0001,
        "validity": (datetime(2025, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)),
        "public_key": key.public_key(),
        "ski": ski_method2(public_point(key)),
        "aki": pki.org_ca.certificate.ski,
        "usage": DS,
        "policy": ORGANISATION_POLICY,
        "issuer_key": pki.org_ca.private_key,
    }
    fields.update(overrides)
    return parse_certificate(_builder.build_organisation(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "failure"),
    [
        ({}, None),
        ({"issuer": _builder.ca_name("T9", "07")}, PathFailure.NAME_MISMATCH),
        ({"policy": DEVICE_POLICY}, PathFailure.POLICY),
        ({"issuer_key": derive_private_key(b"forged", "other")}, PathFailure.BAD_SIGNATURE),
    ],
)
def test_each_link_check_reports_its_own_failure(
    pki: TestPki, overrides: dict[str, object], failure: PathFailure | None
) -> None:
    cert = _forged(pki, **overrides)
    result = validate_path(
        cert,  # type: ignore[arg-type]
        anchors=[pki.org_root.certificate],
        intermediates=[pki.org_ca.certificate],
        at=NOW,
    )
    assert result.failure is failure, result.reason


def test_an_end_entity_certificate_cannot_act_as_issuer(pki: TestPki) -> None:
    issuer = pki.issue_organisation("90B3D51F30020000", NO, DS)
    leaf = _forged(
        pki,
        issuer=_builder.organisation_name(issuer.certificate.eui, NO, None),  # type: ignore[arg-type]
        aki=issuer.certificate.ski,
        issuer_key=issuer.private_key,
    )
    result = validate_path(leaf, anchors=[issuer.certificate], at=NOW)  # type: ignore[arg-type]
    assert result.failure is PathFailure.NOT_A_CA


def test_path_length_constraint_of_the_issuing_ca_holds(pki: TestPki) -> None:
    sub_key = derive_private_key(b"sub", "ca")
    sub_name = _builder.ca_name("SUB", "07")
    sub_ca = parse_certificate(
        _builder.build_ca(
            issuer=_builder.ca_name("T1", "07"),
            subject=sub_name,
            serial=0x4000_0000_0000_0000_0000_0000_0000_0002,
            validity=(datetime(2024, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)),
            public_key=sub_key.public_key(),
            ski=ski_method2(public_point(sub_key)),
            aki=pki.org_ca.certificate.ski,
            path_length=0,
            policy=ORGANISATION_POLICY,
            issuer_key=pki.org_ca.private_key,
        )
    )
    leaf = _forged(pki, issuer=sub_name, aki=sub_ca.ski, issuer_key=sub_key)
    result = validate_path(
        leaf,  # type: ignore[arg-type]
        anchors=[pki.org_root.certificate],
        intermediates=[pki.org_ca.certificate, sub_ca],
        at=NOW,
    )
    assert result.failure is PathFailure.PATH_LENGTH
