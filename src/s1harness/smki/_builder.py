"""Certificates in the exact SMKI profiles, built with ``cryptography``'s CertificateBuilder.

These functions define the profiles (organisation, device and CA certificates); the fast DER
templates in :mod:`s1harness.smki._templates` are derived from their output and must stay
byte-identical.
Every signature is deterministic (RFC 6979), so a PKI is a pure function of its seed.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from s1harness.smki import _der
from s1harness.smki.keys import PrivateKey, PublicKey
from s1harness.smki.oids import DEVICE_HW_TYPE, HARDWARE_MODULE_NAME
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole


def ca_name(common_name: str, ou: str | None) -> x509.Name:
    """A CA name: optional ``OU`` then ``CN``, PrintableString, one attribute per RDN."""
    rdns = []
    if ou is not None:
        rdns.append(_rdn(NameOID.ORGANIZATIONAL_UNIT_NAME, ou, _ASN1Type.PrintableString))
    rdns.append(_rdn(NameOID.COMMON_NAME, common_name, _ASN1Type.PrintableString))
    return x509.Name(rdns)


def organisation_name(eui: Eui64, role: RemotePartyRole, common_name: str | None) -> x509.Name:
    """``[CN] + OU (role, 2 hex digits) + x500UniqueIdentifier (EUI BIT STRING)``, UTF8String."""
    rdns = []
    if common_name is not None:
        rdns.append(_rdn(NameOID.COMMON_NAME, common_name, _ASN1Type.UTF8String))
    rdns.append(_rdn(NameOID.ORGANIZATIONAL_UNIT_NAME, role.ou, _ASN1Type.UTF8String))
    rdns.append(
        x509.RelativeDistinguishedName(
            [
                x509.NameAttribute(
                    NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + eui.octets, _type=_ASN1Type.BitString
                )
            ]
        )
    )
    return x509.Name(rdns)


def _rdn(oid: ObjectIdentifier, value: str, kind: _ASN1Type) -> x509.RelativeDistinguishedName:
    return x509.RelativeDistinguishedName([x509.NameAttribute(oid, value, _type=kind)])


def _key_usage(usages: frozenset[KeyUsage]) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=KeyUsage.DIGITAL_SIGNATURE in usages,
        content_commitment=KeyUsage.NON_REPUDIATION in usages,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=KeyUsage.KEY_AGREEMENT in usages,
        key_cert_sign=KeyUsage.KEY_CERT_SIGN in usages,
        crl_sign=KeyUsage.CRL_SIGN in usages,
        encipher_only=False,
        decipher_only=False,
    )


def _policies(policy: str) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(policy), None)])


def _base(
    issuer: x509.Name,
    subject: x509.Name,
    serial: int,
    validity: tuple[datetime, datetime],
    public_key: PublicKey,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer)
        .subject_name(subject)
        .serial_number(serial)
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .public_key(public_key)
    )


def _sign(builder: x509.CertificateBuilder, issuer_key: PrivateKey) -> bytes:
    cert = builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)
    return cert.public_bytes(serialization.Encoding.DER)


def build_ca(
    *,
    issuer: x509.Name,
    subject: x509.Name,
    serial: int,
    validity: tuple[datetime, datetime],
    public_key: PublicKey,
    ski: bytes,
    aki: bytes | None,
    path_length: int | None,
    policy: str,
    issuer_key: PrivateKey,
) -> bytes:
    """A CA certificate shaped like Z1: KU!, BC! (cA), CP!, SKI, then AKI unless self-signed."""
    builder = (
        _base(issuer, subject, serial, validity, public_key)
        .add_extension(
            _key_usage(frozenset({KeyUsage.KEY_CERT_SIGN, KeyUsage.CRL_SIGN})), critical=True
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_policies(policy), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
    )
    if aki is not None:
        builder = builder.add_extension(_aki(aki), critical=False)
    return _sign(builder, issuer_key)


def _aki(key_id: bytes) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier(
        key_identifier=key_id, authority_cert_issuer=None, authority_cert_serial_number=None
    )


def build_organisation(
    *,
    issuer: x509.Name,
    subject: x509.Name,
    serial: int,
    validity: tuple[datetime, datetime],
    public_key: PublicKey,
    ski: bytes,
    aki: bytes,
    usage: KeyUsage,
    policy: str,
    issuer_key: PrivateKey,
) -> bytes:
    """An organisation certificate: KU! (one bit), SKI, CP!, AKI; no basicConstraints."""
    builder = (
        _base(issuer, subject, serial, validity, public_key)
        .add_extension(_key_usage(frozenset({usage})), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
        .add_extension(_policies(policy), critical=True)
        .add_extension(_aki(aki), critical=False)
    )
    return _sign(builder, issuer_key)


def hardware_module_name(eui: Eui64) -> bytes:
    """DER ``SEQUENCE { hwType OID, hwSerialNum OCTET STRING (EUI) }`` (RFC 4108)."""
    oid_der = asn1_core.ObjectIdentifier(DEVICE_HW_TYPE).dump()
    return _der.tlv(0x30, oid_der + _der.tlv(0x04, eui.octets))


def build_device(
    *,
    issuer: x509.Name,
    eui: Eui64,
    serial: int,
    validity: tuple[datetime, datetime],
    public_key: PublicKey,
    ski: bytes,
    aki: bytes,
    usage: KeyUsage,
    policy: str,
    issuer_key: PrivateKey,
) -> bytes:
    """A device certificate: empty subject; KU!, SKI, SAN! (hardwareModuleName), CP!, AKI."""
    san = x509.SubjectAlternativeName(
        [x509.OtherName(ObjectIdentifier(HARDWARE_MODULE_NAME), hardware_module_name(eui))]
    )
    builder = (
        _base(issuer, x509.Name([]), serial, validity, public_key)
        .add_extension(_key_usage(frozenset({usage})), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
        .add_extension(san, critical=True)
        .add_extension(_policies(policy), critical=True)
        .add_extension(_aki(aki), critical=False)
    )
    return _sign(builder, issuer_key)
