"""``s1harness bench gbcs``: framing against the cryptography it carries.

* **decode**: frames decoded per second, over every signed frame of the RTDS vectors when they
  are available, else over frames the harness builds and signs itself.
* **verify**: signatures verified per second (:func:`s1harness.gbcs.crypto.verify_signature`).
* **inspect**: full inspection (decode + signature check with keys resolved from a keystore)
  per second, against raw ECDSA P-256 verification of the same signatures over the same bytes.
  The target ratio is 0.8: framing must cost little next to the crypto.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.bench.measure import measure_pair
from s1harness.gbcs.crypto import der_signature, sign_apdu, verify_signature
from s1harness.gbcs.frames import (
    Cra,
    GeneralSigningApdu,
    MacEnvelope,
    build_general_signing,
    decode,
)
from s1harness.gbcs.inspect import Inspector
from s1harness.smki.keystore import Keystore
from s1harness.smki.pki import TestPki
from s1harness.spec.roles import KeyUsage, RemotePartyRole

TARGET_RATIO = 0.8
_ECDSA = ec.ECDSA(hashes.SHA256())


def _own_frames() -> tuple[list[bytes], Keystore]:
    """Signed commands from the project's PKI: a fallback when no vectors are given."""
    pki = TestPki(b"s1harness bench gbcs")
    signer = pki.issue_organisation(
        "90B3D51F30020000", RemotePartyRole.NETWORK_OPERATOR, KeyUsage.DIGITAL_SIGNATURE
    )
    frames = []
    for counter in range(32):
        apdu = build_general_signing(
            cra=Cra.COMMAND,
            counter=1200 + counter,
            originator="90B3D51F30020000",
            target=f"00DB1234567890{counter:02X}",
            other_information=0x0103,
            content=bytes(300 + counter * 20),
        )
        frames.append(sign_apdu(apdu, signer.private_key).raw)
    return frames, Keystore.from_issued([signer])


def run(
    *,
    frames: list[bytes] | None = None,
    keystore: Keystore | None = None,
    count: int = 1000,
    rounds: int = 5,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Measure; ``frames`` must be signed frames whose originators ``keystore`` knows."""
    source = "vectors" if frames else "built"
    if not frames or keystore is None:
        frames, keystore = _own_frames()
    inspector = Inspector(keystore)
    apdus = [_apdu(decode(f)) for f in frames]
    keys = [inspector.check_signature(a) for a in apdus]
    if not all(k.valid for k in keys):
        raise ValueError("every benchmark frame must carry a signature the keystore verifies")
    public = [inspector.signer_keys(a.originator_octets)[0][1] for a in apdus]
    raw = [(der_signature(a.signature or b""), a.signed_region) for a in apdus]
    n = len(frames)

    def full_inspect(i: int) -> object:
        return inspector.check_signature(_apdu(decode(frames[i % n])))

    def raw_verify(i: int) -> object:
        signature, region = raw[i % n]
        public[i % n].verify(signature, region, _ECDSA)
        return None

    inspected, bound = measure_pair(
        full_inspect, raw_verify, count=count, rounds=rounds, progress=progress
    )
    decoded, verified = measure_pair(
        lambda i: decode(frames[i % n]),
        lambda i: verify_signature(apdus[i % n], public[i % n]),
        count=count,
        rounds=rounds,
        progress=progress,
    )
    ratio = round(inspected.median / bound.median, 3)
    return {
        "benchmark": "gbcs",
        "frames": source,
        "frame_count": n,
        "count": count,
        "rounds": rounds,
        "rates": {
            "decode": decoded.as_dict(),
            "verify_signature": verified.as_dict(),
            "inspect": inspected.as_dict(),
            "bound_ecdsa_verify": bound.as_dict(),
        },
        "ratios": {"inspect": ratio},
        "ratio": ratio,
        "target": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


def _apdu(frame: GeneralSigningApdu | MacEnvelope) -> GeneralSigningApdu:
    return frame.apdu if isinstance(frame, MacEnvelope) else frame
