"""Certificate extraction with asn1crypto, for what ``cryptography`` refuses.

The Z99-issued MDR certificates in the ZAZ1 keystore encode ecdsa-with-SHA256 with an explicit
NULL parameter; ``cryptography`` raises on them. asn1crypto reads them; this
path is slower (about 500 µs against 80 µs) and is only taken after the fast path failed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509

from s1harness.smki import _der
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.names import DistinguishedName
from s1harness.smki.oids import EC_PUBLIC_KEY, HARDWARE_MODULE_NAME, PRIME256V1
from s1harness.smki.raw import RawCertificate, extension_defaults
from s1harness.spec.roles import KeyUsage

_USAGE_NAMES = {
    "digital_signature": KeyUsage.DIGITAL_SIGNATURE,
    "non_repudiation": KeyUsage.NON_REPUDIATION,
    "key_agreement": KeyUsage.KEY_AGREEMENT,
    "key_cert_sign": KeyUsage.KEY_CERT_SIGN,
    "crl_sign": KeyUsage.CRL_SIGN,
}


def extract(der: bytes) -> RawCertificate:
    """Extract the fields of a DER certificate with asn1crypto.

    Raises:
        CertificateParseError: if asn1crypto cannot read it either.
    """
    try:
        cert = asn1_x509.Certificate.load(der, strict=True)
        return _extract(der, cert)
    except CertificateParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed input
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CertificateParseError(f"not a valid X.509 certificate: {first_line}") from None


def _extract(der: bytes, cert: Any) -> RawCertificate:
    tbs = cert["tbs_certificate"]
    spki = tbs["subject_public_key_info"]
    algorithm = spki["algorithm"]
    curve = algorithm["parameters"].chosen
    if algorithm["algorithm"].dotted != EC_PUBLIC_KEY or getattr(curve, "dotted", "") != PRIME256V1:
        raise CertificateParseError("subject public key is not EC P-256")
    sig_alg = cert["signature_algorithm"]
    fields = _extensions(tbs["extensions"])
    return RawCertificate(
        der=der,
        tbs=tbs.dump(),
        signature=cert["signature_value"].native,
        signature_oid=sig_alg["algorithm"].dotted,
        null_parameters=sig_alg["parameters"].dump() == b"\x05\x00",
        serial=tbs["serial_number"].native,
        issuer=_name(tbs["issuer"]),
        subject=_name(tbs["subject"]),
        not_before=_utc(tbs["validity"]["not_before"].native),
        not_after=_utc(tbs["validity"]["not_after"].native),
        public_point=bytes(spki["public_key"].native),
        **fields,
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _name(name: Any) -> DistinguishedName:
    pairs: list[tuple[str, str]] = []
    for rdn in name.chosen:
        for attribute in rdn:
            value = attribute["value"]
            native = value.native
            if isinstance(native, str):
                text = native
            else:
                # Binary values keep their DER: the x500UniqueIdentifier BIT STRING.
                inner = value.chosen if hasattr(value, "chosen") else value
                text = "#" + inner.dump().hex()
            pairs.append((attribute["type"].dotted, text))
    return DistinguishedName(tuple(pairs))


def _extensions(extensions: Any) -> dict[str, Any]:
    out: dict[str, Any] = extension_defaults()
    order: list[tuple[str, bool]] = []
    for ext in extensions:
        oid = ext["extn_id"].dotted
        order.append((oid, bool(ext["critical"].native)))
        parsed = ext["extn_value"].parsed
        _apply(out, oid, parsed)
    out["extensions"] = tuple(order)
    return out


def _apply(out: dict[str, Any], oid: str, parsed: Any) -> None:
    if oid == "2.5.29.15":
        out["key_usages"] = frozenset(_USAGE_NAMES[n] for n in parsed.native if n in _USAGE_NAMES)
    elif oid == "2.5.29.14":
        out["ski"] = parsed.native
    elif oid == "2.5.29.35":
        out["aki"] = parsed["key_identifier"].native
    elif oid == "2.5.29.32":
        out["policy_oids"] = tuple(p["policy_identifier"].dotted for p in parsed)
    elif oid == "2.5.29.19":
        out["is_ca"] = bool(parsed["ca"].native)
        out["path_length"] = parsed["path_len_constraint"].native
    elif oid == "2.5.29.17":
        for general in parsed:
            if general.name == "other_name" and general.chosen["type_id"].dotted == (
                HARDWARE_MODULE_NAME
            ):
                # The value is [0] EXPLICIT { SEQUENCE }; keep the inner SEQUENCE's DER.
                wrapped = general.chosen["value"].dump()
                outer = _der.read_tlv(wrapped)
                out["hardware_module_name"] = wrapped[outer.start : outer.end]
