"""Helpers shared by the tests: where the public vectors are, and how to pull certificates out
of the DUIS request templates and the RTDS GBCS frames."""

from __future__ import annotations

import base64
import os
import re
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from s1harness.smki import CertificateParseError, SmkiCertificate, parse_certificate

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("S1HARNESS_VECTORS") or ROOT.parent / "shared" / "vectors")

_DUIS_CERT = re.compile(rb"<(?:\w+:)?(\w*Certificate)>\s*([A-Za-z0-9+/=\s]+?)\s*</(?:\w+:)?\1>")


def pem_der(path: Path) -> bytes:
    """The DER of the first certificate in a PEM file."""
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(Encoding.DER)


def load(path: Path) -> SmkiCertificate:
    """Parse the certificate in a PEM file."""
    return parse_certificate(pem_der(path), source=str(path))


@cache
def duis_template_certificates() -> tuple[tuple[str, str, bytes], ...]:
    """``(file name, element name, DER)`` for every certificate in the DUIS request templates."""
    out = []
    for path in sorted((VECTORS / "duis" / "requests").glob("*.XML")):
        for match in _DUIS_CERT.finditer(path.read_bytes()):
            der = base64.b64decode(b"".join(match.group(2).split()))
            out.append((path.name, match.group(1).decode(), der))
    return tuple(out)


@cache
def rtds_embedded_certificates() -> dict[bytes, tuple[str, ...]]:
    """Every distinct certificate found inside the RTDS GBCS frames, with the files holding it.

    Candidates are ``30 82 LL LL 30 82`` runs (a certificate and its TBS, both with two-octet
    lengths); only those that parse as certificates are kept.
    """
    found: dict[bytes, list[str]] = {}
    for path in sorted((VECTORS / "rtds").glob("*/*.HEX")):
        frame = bytes.fromhex(path.read_text().strip())
        for at in range(len(frame) - 6):
            if frame[at : at + 2] != b"\x30\x82" or frame[at + 4 : at + 6] != b"\x30\x82":
                continue
            der = frame[at : at + 4 + int.from_bytes(frame[at + 2 : at + 4], "big")]
            try:
                parse_certificate(der)
            except CertificateParseError:
                continue
            found.setdefault(der, []).append(path.name)
    return {der: tuple(files) for der, files in found.items()}


@cache
def rtds_frames() -> tuple[tuple[Path, bytes], ...]:
    """Every RTDS frame under the vectors, as (path, octets), in path order."""
    return tuple(
        (path, bytes.fromhex(path.read_text().strip()))
        for path in sorted((VECTORS / "rtds").glob("*/*.HEX"))
    )
