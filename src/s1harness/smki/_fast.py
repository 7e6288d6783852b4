"""Certificate extraction with ``cryptography`` (the fast path).

``cryptography`` parses the whole X.509 structure in Rust. The Python-side cost is in building
``Name`` and extension objects, so this module touches each only once, dispatches extensions by
type through a dictionary (``isinstance`` against the extension ABCs is slow), and reads the
65-octet public point straight from the SubjectPublicKeyInfo octets rather than building a key
object. Whether the point is on the curve is checked when the key is first used.

Raises :class:`CertificateParseError` for anything ``cryptography`` refuses, so the caller can
fall back to the lenient path. Tests check that both paths agree on every real certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type

from s1harness.smki import _der
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.keys import public_point
from s1harness.smki.names import DistinguishedName
from s1harness.smki.oids import EC_PUBLIC_KEY, HARDWARE_MODULE_NAME
from s1harness.smki.raw import RawCertificate, extension_defaults
from s1harness.spec.roles import KeyUsage

# AlgorithmIdentifier {id-ecPublicKey, prime256v1} then the BIT STRING header of a 65-octet point.
_P256_SPKI_PREFIX = bytes.fromhex("301306072A8648CE3D020106082A8648CE3D030107034200")


def extract(der: bytes) -> RawCertificate:
    """Extract the fields of a DER certificate.

    Raises:
        CertificateParseError: if ``cryptography`` cannot read it.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
        tbs = cert.tbs_certificate_bytes
        fields = extension_defaults()
        order = []
        for ext in cert.extensions:
            order.append((ext.oid.dotted_string, ext.critical))
            handler = _HANDLERS.get(type(ext.value))
            if handler is not None:
                handler(ext.value, fields)
        return RawCertificate(
            der=der,
            tbs=tbs,
            signature=cert.signature,
            signature_oid=cert.signature_algorithm_oid.dotted_string,
            null_parameters=False,
            serial=cert.serial_number,
            issuer=_name(cert.issuer),
            subject=_name(cert.subject),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            public_point=_point(cert, tbs),
            extensions=tuple(order),
            **fields,
        )
    except Exception as exc:  # noqa: BLE001 - whatever cryptography refuses goes to the lenient path
        raise CertificateParseError(f"not a valid X.509 certificate: {exc}") from None


def _point(cert: x509.Certificate, tbs: bytes) -> bytes:
    if cert.public_key_algorithm_oid.dotted_string != EC_PUBLIC_KEY:
        raise CertificateParseError("subject public key is not EC P-256")
    at = tbs.find(_P256_SPKI_PREFIX)
    if at >= 0 and tbs[at + len(_P256_SPKI_PREFIX)] == 0x04:
        start = at + len(_P256_SPKI_PREFIX)
        return tbs[start : start + 65]
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CertificateParseError("subject public key is not EC P-256")
    return public_point(key)


def _name(name: x509.Name) -> DistinguishedName:
    pairs: list[tuple[str, str]] = []
    for attribute in name:
        value = attribute.value
        if isinstance(value, bytes):
            tag = 0x03 if getattr(attribute, "_type", None) == _ASN1Type.BitString else 0x04
            value = "#" + _der.tlv(tag, value).hex()
        pairs.append((attribute.oid.dotted_string, value))
    return DistinguishedName(tuple(pairs))


def _key_usage(ku: x509.KeyUsage, out: dict[str, Any]) -> None:
    bits = {
        KeyUsage.DIGITAL_SIGNATURE: ku.digital_signature,
        KeyUsage.NON_REPUDIATION: ku.content_commitment,
        KeyUsage.KEY_AGREEMENT: ku.key_agreement,
        KeyUsage.KEY_CERT_SIGN: ku.key_cert_sign,
        KeyUsage.CRL_SIGN: ku.crl_sign,
    }
    out["key_usages"] = frozenset(usage for usage, present in bits.items() if present)


def _ski(value: x509.SubjectKeyIdentifier, out: dict[str, Any]) -> None:
    out["ski"] = value.digest


def _aki(value: x509.AuthorityKeyIdentifier, out: dict[str, Any]) -> None:
    out["aki"] = value.key_identifier


def _policies(value: x509.CertificatePolicies, out: dict[str, Any]) -> None:
    out["policy_oids"] = tuple(p.policy_identifier.dotted_string for p in value)


def _basic_constraints(value: x509.BasicConstraints, out: dict[str, Any]) -> None:
    out["is_ca"], out["path_length"] = value.ca, value.path_length


def _alt_name(value: x509.SubjectAlternativeName, out: dict[str, Any]) -> None:
    for general in value:
        if isinstance(general, x509.OtherName) and general.type_id.dotted_string == (
            HARDWARE_MODULE_NAME
        ):
            out["hardware_module_name"] = general.value


_HANDLERS: dict[type, Callable[[Any, dict[str, Any]], None]] = {
    x509.KeyUsage: _key_usage,
    x509.SubjectKeyIdentifier: _ski,
    x509.AuthorityKeyIdentifier: _aki,
    x509.CertificatePolicies: _policies,
    x509.BasicConstraints: _basic_constraints,
    x509.SubjectAlternativeName: _alt_name,
}
