"""GBCS message security: ECDSA signatures and the GMAC of the MAC envelope.

* **Signature** (GBCS §6.2.3): ECDSA P-256 with SHA-256 over the APDU from
  the octet after the ``DF`` tag to the last content octet, encoded as raw r‖s (IEEE P1363).
* **MAC** (GBCS §4.3.3, §7.2.5): the key is derived from a static-static ECDH
  shared secret by a single-step SHA-256 KDF (NIST SP 800-56A) whose OtherInfo binds the
  Business Originator, the transaction-id and the Business Target; the tag is AES-128-GCM over
  an empty plaintext, truncated to 12 octets, with IV = originator EUI ‖ 00000000.

ECDH is symmetric, so one party's KA private key with the other's public key gives the same
key on both sides: a verifier may hold either private key.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import (
    MAC_LENGTH,
    GeneralSigningApdu,
    MacEnvelope,
    SignatureField,
    build_mac_envelope,
    decode_general_signing,
)
from s1harness.smki.keys import PrivateKey, PublicKey

KDF_ALGORITHM_ID = bytes.fromhex("60857406080300")
"""AlgorithmID of the GBCS KDF OtherInfo (7 octets)."""
_ECDSA = ec.ECDSA(hashes.SHA256())
_ECDSA_DETERMINISTIC = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


def raw_signature(der: bytes) -> bytes:
    """DER ECDSA-Sig-Value to 64-octet r‖s."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def der_signature(raw: bytes) -> bytes:
    """64-octet r‖s to DER ECDSA-Sig-Value."""
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def sign_apdu(apdu: GeneralSigningApdu, key: PrivateKey) -> GeneralSigningApdu:
    """Sign an unsigned APDU: the remote party signing a PRECOMMAND, or a device its response.

    A trailing ``00`` placeholder (DCC Boxed before 1.4.1 emitted one on PRECOMMANDs) is
    dropped first. Signatures are deterministic (RFC 6979), so runs are reproducible.

    Raises:
        GbcsError: if the APDU is already signed.
    """
    if apdu.signature_field is SignatureField.PRESENT:
        raise GbcsError("the APDU is already signed")
    unsigned = apdu.unsigned
    signature = raw_signature(key.sign(unsigned[1:], _ECDSA_DETERMINISTIC))
    return decode_general_signing(unsigned + b"\x40" + signature)


def sign_precommand(precommand: GeneralSigningApdu, key: PrivateKey) -> GeneralSigningApdu:
    """What a DCC User does with a PRECOMMAND: sign it with its DS key (DUIS CV 4 → 5)."""
    return sign_apdu(precommand, key)


def verify_signature(apdu: GeneralSigningApdu, key: PublicKey) -> bool:
    """Whether the APDU's signature verifies with ``key``; False when it carries none."""
    if apdu.signature is None:
        return False
    try:
        key.verify(der_signature(apdu.signature), apdu.signed_region, _ECDSA)
    except InvalidSignature:
        return False
    return True


def mac_key(own: PrivateKey, peer: PublicKey, apdu: GeneralSigningApdu) -> bytes:
    """The 16-octet MAC key for ``apdu`` between the holders of ``own`` and ``peer``."""
    shared = own.exchange(ec.ECDH(), peer)
    other_info = b"".join(
        (
            KDF_ALGORITHM_ID,
            apdu.originator_octets,
            b"\x09",
            bytes([apdu.cra]),
            apdu.counter.to_bytes(8, "big"),
            apdu.target_octets,
        )
    )
    return hashlib.sha256(b"\x00\x00\x00\x01" + shared + other_info).digest()[:16]


def compute_mac(
    key: bytes,
    apdu: GeneralSigningApdu,
    *,
    security_control: int = 0x11,
    invocation_counter: int = 0,
) -> bytes:
    """The 12-octet MAC over ``apdu`` with a derived ``key``.

    The additional authenticated data is the security control and
    invocation counter, one further ``00`` octet, then the whole APDU. The extra zero is not
    explained by public text, but only this 6-octet prefix reproduces the RTDS MACs.
    """
    iv = apdu.originator_octets + b"\x00\x00\x00\x00"
    header = bytes([security_control]) + invocation_counter.to_bytes(4, "big") + b"\x00"
    return AESGCM(key).encrypt(iv, b"", header + apdu.raw)[:MAC_LENGTH]


def wrap_mac(apdu: GeneralSigningApdu, own: PrivateKey, peer: PublicKey) -> MacEnvelope:
    """Wrap ``apdu`` in a MAC envelope: what the DCC (ACB) does to a signed command, with the
    ACB KA key and the device's KA certificate, or a device to a non-critical response."""
    return build_mac_envelope(apdu, compute_mac(mac_key(own, peer, apdu), apdu))


def verify_mac(envelope: MacEnvelope, own: PrivateKey, peer: PublicKey) -> bool:
    """Whether the envelope's MAC is the one ``own`` and ``peer`` derive."""
    key = mac_key(own, peer, envelope.apdu)
    expected = compute_mac(
        key,
        envelope.apdu,
        security_control=envelope.security_control,
        invocation_counter=envelope.invocation_counter,
    )
    return hmac.compare_digest(expected, envelope.mac)
