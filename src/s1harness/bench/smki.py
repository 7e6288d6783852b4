"""``s1harness bench smki``: issuing and validating certificates against raw ECDSA P-256.

* **issue**: organisation certificates issued by the test PKI (key derivation, template, RFC 6979
  signature) per second, against raw P-256 key generation plus one signature over a
  TBSCertificate-sized message.
* **parse+verify**: certificates parsed into :class:`SmkiCertificate` (role, EUI, usage) and
  their signature verified with the issuer key, per second, against raw ECDSA verification of
  the same signature.

The target for both ratios is 0.5 (measured when the DER templates came in: the builder near 0.35
and the DER templates near 0.8 on the issue side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.bench.measure import measure_pair
from s1harness.smki.certificate import parse_certificate
from s1harness.smki.pki import TestPki
from s1harness.spec.roles import KeyUsage, RemotePartyRole

TARGET_RATIO = 0.5
_ECDSA = ec.ECDSA(hashes.SHA256())


def run(
    *, count: int = 500, rounds: int = 5, progress: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Measure both pairs; returns the JSON-ready result."""
    pki = TestPki(b"s1harness bench")
    sample = pki.issue_organisation(
        "90B3D51F30010000", RemotePartyRole.SUPPLIER, KeyUsage.DIGITAL_SIGNATURE
    )
    message = sample.certificate.raw.tbs

    def issue(index: int) -> object:
        eui = f"{index:016X}"
        return pki.issue_organisation(eui, RemotePartyRole.SUPPLIER, KeyUsage.DIGITAL_SIGNATURE)

    def keygen_and_sign(_: int) -> object:
        return ec.generate_private_key(ec.SECP256R1()).sign(message, _ECDSA)

    issued, keygen = measure_pair(
        issue, keygen_and_sign, count=count, rounds=rounds, progress=progress
    )

    ders = [issue(i).certificate.der for i in range(64)]  # type: ignore[attr-defined]
    issuer_key = pki.org_ca.certificate.public_key()

    def parse_and_verify(index: int) -> object:
        cert = parse_certificate(ders[index % len(ders)])
        issuer_key.verify(cert.raw.signature, cert.raw.tbs, _ECDSA)
        return cert.eui, cert.role, cert.key_usage

    signature = sample.certificate.raw.signature

    def raw_verify(_: int) -> object:
        issuer_key.verify(signature, message, _ECDSA)
        return None

    parsed, verified = measure_pair(
        parse_and_verify, raw_verify, count=count, rounds=rounds, progress=progress
    )
    ratios = {
        "issue": round(issued.median / keygen.median, 3),
        "parse_verify": round(parsed.median / verified.median, 3),
    }
    return {
        "benchmark": "smki",
        "count": count,
        "rounds": rounds,
        "rates": {
            "issue_organisation": issued.as_dict(),
            "bound_keygen_sign": keygen.as_dict(),
            "parse_verify": parsed.as_dict(),
            "bound_ecdsa_verify": verified.as_dict(),
        },
        "ratios": ratios,
        "ratio": min(ratios.values()),
        "target": TARGET_RATIO,
        "meets_target": min(ratios.values()) >= TARGET_RATIO,
    }
