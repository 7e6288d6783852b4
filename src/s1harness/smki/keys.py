"""P-256 keys for SMKI: loading, deterministic derivation, points and key identifiers.

SMKI keys are ECDSA/ECDH on P-256 only, public points uncompressed (GBCS §12). Key identifiers
are 8 octets by RFC 5280 §4.2.1.2 method 2.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.smki.errors import KeystoreError

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey


def public_point(key: PublicKey | PrivateKey) -> bytes:
    """The 65-octet uncompressed point ``04 ‖ X ‖ Y``."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def key_from_point(point: bytes) -> PublicKey:
    """A P-256 public key from its uncompressed point."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def ski_method2(point: bytes) -> bytes:
    """RFC 5280 method-2 key identifier: nibble ``0100`` then the low 60 bits of SHA-1(point)."""
    digest = hashlib.sha1(point, usedforsecurity=False).digest()
    return bytes([0x40 | (digest[12] & 0x0F)]) + digest[13:]


def derive_private_key(seed: bytes, label: str) -> PrivateKey:
    """A P-256 private key determined by ``seed`` and ``label`` (HMAC-SHA256, reduced mod n).

    The same seed and label always give the same key, so a test PKI re-creates itself from
    its seed alone.
    """
    counter = 0
    while True:
        digest = hmac.digest(seed, f"{label}#{counter}".encode(), "sha256")
        scalar = int.from_bytes(digest, "big")
        if 0 < scalar < P256_ORDER:
            return ec.derive_private_key(scalar, ec.SECP256R1())
        counter += 1  # pragma: no cover - probability about 2**-32


def derive_bytes(seed: bytes, label: str, size: int) -> bytes:
    """``size`` pseudo-random octets determined by ``seed`` and ``label`` (at most 32)."""
    return hmac.digest(seed, label.encode(), "sha256")[:size]


def load_private_key(data: bytes, *, source: str = "<bytes>") -> PrivateKey:
    """Load a P-256 private key from PEM or DER (PKCS#8 or SEC 1).

    Raises:
        KeystoreError: if the data is not an unencrypted EC P-256 private key.
    """
    loaders = (
        (serialization.load_pem_private_key,)
        if data.lstrip().startswith(b"-----")
        else (serialization.load_der_private_key,)
    )
    for loader in loaders:
        try:
            key = loader(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise KeystoreError(f"{source}: not a readable private key ({exc})") from None
        if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            return key
    raise KeystoreError(f"{source}: not an EC P-256 private key")


def private_key_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the format the DCC Boxed keystore uses."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
