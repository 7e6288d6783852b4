"""``s1harness bench duis``: DUIS requests validated and signature-checked, against raw ECDSA.

Each operation takes a signed request as bytes through everything a DSP does before business
rules: safe parse, XSD validation, and signature verification with the signer checks (issuer and
serial look-up, digest, ECDSA, role and originator). The bound is raw ECDSA P-256 verification
of the same signature over the same SignedInfo octets. Target ratio 0.4: XML costs more than
binary framing, but should stay within a few signature verifications.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from s1harness.bench.measure import measure_pair
from s1harness.duis import xml
from s1harness.duis.ns import SR, ds
from s1harness.duis.schema import DuisSchema, load_schema
from s1harness.duis.signature import sign
from s1harness.duis.verifying import verify_message
from s1harness.smki.keystore import Keystore
from s1harness.smki.pki import TestPki
from s1harness.spec.roles import KeyUsage, RemotePartyRole

TARGET_RATIO = 0.4
_ECDSA = ec.ECDSA(hashes.SHA256())


def _own_requests() -> tuple[list[bytes], Keystore]:
    """Requests signed by the project's PKI: the fallback when no templates are given."""
    pki = TestPki(b"s1harness bench duis")
    user = pki.issue_organisation(
        "90B3D51F30020000", RemotePartyRole.XML_SIGN, KeyUsage.DIGITAL_SIGNATURE
    )
    documents = []
    for counter in range(16):
        root = xml.parse(
            f'<sr:Request xmlns:sr="{SR}" schemaVersion="5.4"><sr:Header>'
            f"<sr:RequestID>90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:{1200 + counter}"
            "</sr:RequestID><sr:CommandVariant>5</sr:CommandVariant>"
            "<sr:ServiceReference>6.15</sr:ServiceReference>"
            "<sr:ServiceReferenceVariant>6.15.1</sr:ServiceReferenceVariant></sr:Header>"
            f"<sr:Body><sr:SignedPreCommand><sr:GBCSPayload>{'3wkB' * (200 + counter)}"
            "</sr:GBCSPayload></sr:SignedPreCommand></sr:Body></sr:Request>".encode()
        )
        documents.append(xml.serialise(sign(root, user.private_key, user.certificate)))
    return documents, Keystore.from_issued([user])


def run(
    *,
    documents: list[bytes] | None = None,
    keystore: Keystore | None = None,
    schema: DuisSchema | None = None,
    count: int = 300,
    rounds: int = 5,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Measure; ``documents`` must be signed requests whose signers ``keystore`` knows."""
    source = "templates" if documents else "built"
    if not documents or keystore is None:
        documents, keystore = _own_requests()
    schema = schema or load_schema()
    bounds = [_raw_bound(d, keystore) for d in documents]
    n = len(documents)

    def full(i: int) -> object:
        root = xml.parse(documents[i % n])
        if not schema.is_valid(root) or not verify_message(root, keystore):
            raise AssertionError("a benchmark document failed validation or verification")
        return root

    def raw(i: int) -> object:
        key, signature, octets = bounds[i % n]
        key.verify(signature, octets, _ECDSA)
        return None

    measured, bound = measure_pair(full, raw, count=count, rounds=rounds, progress=progress)
    ratio = round(measured.median / bound.median, 3)
    return {
        "benchmark": "duis",
        "documents": source,
        "document_count": n,
        "count": count,
        "rounds": rounds,
        "rates": {"validate_verify": measured.as_dict(), "bound_ecdsa_verify": bound.as_dict()},
        "ratios": {"validate_verify": ratio},
        "ratio": ratio,
        "target": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


def _raw_bound(document: bytes, keystore: Keystore) -> tuple[Any, bytes, bytes]:
    root = xml.parse(document)
    result = verify_message(root, keystore)
    if not result.valid or result.certificate is None:
        raise ValueError(f"benchmark document does not verify: {result.reason}")
    signature = root.find(ds("Signature"))
    assert signature is not None
    value = base64.b64decode("".join((signature.findtext(ds("SignatureValue")) or "").split()))
    der = encode_dss_signature(int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big"))
    octets = etree.tostring(signature[0], method="c14n", exclusive=True, with_comments=False)
    return result.certificate.public_key(), der, octets
