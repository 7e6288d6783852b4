"""Certification path validation in the GBCS flavour (GBCS §12).

A path runs from a leaf through issuing CAs to a **trust anchor**: a public key with its key
identifier, optionally named and time-bounded when it comes from a certificate. That matches a
device's root cell, which holds a key and its SKI rather than a certificate.

Checks, per link from child to parent, in this order (the first failure is the reason):

1. the signature algorithm is ecdsa-with-SHA256 and the signature verifies with the parent key;
2. the child carries an authorityKeyIdentifier equal to the parent's SKI;
3. the child's issuer name equals the parent's subject (string types normalised);
4. the parent is a CA (basicConstraints cA, keyCertSign) and its pathLenConstraint holds.

Then, for the whole path, the time checks (notBefore ≤ t ≤ notAfter for every certificate,
switchable, as GBCS applyTimeBasedCPVChecks), then the certificate policy: every certificate
must assert a common policy. An end-entity leaf must carry exactly one of digitalSignature and
keyAgreement and nothing else (GBCS §12), which rejects the RTDS nonRepudiation certificate.

Signatures are checked before time, so a forged certificate is reported as forged even when it
has also expired.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from s1harness.smki.certificate import CertificateKind, SmkiCertificate
from s1harness.smki.keys import PublicKey, key_from_point
from s1harness.smki.names import DistinguishedName
from s1harness.smki.oids import ECDSA_WITH_SHA256
from s1harness.spec.errors import InputError
from s1harness.spec.roles import KeyUsage

_ECDSA = ec.ECDSA(hashes.SHA256())
_END_ENTITY_USAGES = frozenset({KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT})
MAX_PATH_LENGTH = 8


class PathFailure(enum.StrEnum):
    """Why a certification path failed; values are stable for JSON output."""

    NO_ISSUER = "no-issuer"
    BAD_SIGNATURE = "bad-signature"
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"
    MISSING_AKI = "missing-authority-key-identifier"
    NAME_MISMATCH = "issuer-name-mismatch"
    NOT_A_CA = "issuer-not-a-ca"
    PATH_LENGTH = "path-length-exceeded"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    POLICY = "policy-mismatch"
    KEY_USAGE = "bad-key-usage"
    LOOP = "path-loop"


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """A trusted public key: a root cell's content, or a CA certificate taken as trusted.

    Attributes:
        public_point: The 65-octet uncompressed P-256 point.
        ski: Its key identifier, matched against the child's AKI.
        name: The anchor's subject, checked against the child's issuer when known.
        certificate: The certificate it came from, if any (its validity is then checked too).
    """

    public_point: bytes
    ski: bytes
    name: DistinguishedName | None = None
    certificate: SmkiCertificate | None = None

    @classmethod
    def from_certificate(cls, cert: SmkiCertificate) -> TrustAnchor:
        """Trust a CA certificate (for example Z1, whose root ZA is not public)."""
        if cert.ski is None:
            raise InputError(f"trust anchor {cert.subject} has no subjectKeyIdentifier")
        return cls(cert.public_point, cert.ski, cert.subject, cert)

    @property
    def policy_oids(self) -> tuple[str, ...] | None:
        return self.certificate.policy_oids if self.certificate is not None else None


@dataclass(frozen=True, slots=True)
class PathResult:
    """The outcome of :func:`validate_path`; true when valid.

    Attributes:
        valid: Whether the path validated.
        failure: The failed check, if any.
        reason: A one-line explanation naming the certificate concerned.
        path: Leaf first, up to the certificate the anchor signed (as far as it was built).
        anchor: The trust anchor reached, if any.
    """

    valid: bool
    failure: PathFailure | None
    reason: str | None
    path: tuple[SmkiCertificate, ...]
    anchor: TrustAnchor | None

    def __bool__(self) -> bool:
        return self.valid


class _PathError(Exception):
    def __init__(self, failure: PathFailure, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason


def validate_path(
    leaf: SmkiCertificate,
    *,
    anchors: Iterable[TrustAnchor | SmkiCertificate],
    intermediates: Iterable[SmkiCertificate] = (),
    at: datetime | None = None,
    time_checks: bool = True,
    required_policy: str | None = None,
) -> PathResult:
    """Validate ``leaf`` up to one of ``anchors`` through ``intermediates``.

    Args:
        leaf: The certificate to validate.
        anchors: Trusted keys, or CA certificates taken as trusted.
        intermediates: Untrusted CA certificates that may complete the path (the GBCS
            certificationPathCertificates).
        at: The validation time; required when ``time_checks`` is true.
        time_checks: False disapplies the notBefore/notAfter checks only (GBCS "disapply").
        required_policy: A policy OID every certificate must assert; by default they need
            only share one.

    Raises:
        InputError: when time checks apply and no time is given.
    """
    if time_checks and at is None:
        raise InputError("a validation time is required when time-based checks apply")
    trusted = [
        a if isinstance(a, TrustAnchor) else TrustAnchor.from_certificate(a) for a in anchors
    ]
    pool = [c for c in intermediates if c.kind is CertificateKind.CA]
    path: list[SmkiCertificate] = [leaf]
    anchor: TrustAnchor | None = None
    try:
        _check_leaf_usage(leaf)
        anchor = _build(path, trusted, pool)
        if time_checks:
            assert at is not None
            _check_times(path, anchor, at)
        _check_policy(path, anchor, required_policy)
    except _PathError as failed:
        return PathResult(False, failed.failure, failed.reason, tuple(path), anchor)
    return PathResult(True, None, None, tuple(path), anchor)


def _build(
    path: list[SmkiCertificate], anchors: list[TrustAnchor], pool: list[SmkiCertificate]
) -> TrustAnchor:
    while True:
        current = path[-1]
        ca_below = len(path) - 1
        if len(path) > MAX_PATH_LENGTH:
            raise _PathError(PathFailure.LOOP, f"no anchor within {MAX_PATH_LENGTH} certificates")
        for anchor in anchors:
            if current.public_point == anchor.public_point and current.kind is CertificateKind.CA:
                return anchor  # the certificate is the anchor itself
        anchor_hits = [a for a in anchors if _issued_by(current, a.ski, a.name)]
        if anchor_hits:
            return _first_link(current, anchor_hits, ca_below)
        parents = [p for p in pool if p.ski and _issued_by(current, p.ski, p.subject)]
        if not parents:
            raise _PathError(
                PathFailure.NO_ISSUER,
                f"{_who(current)}: issuer {_issuer(current)} is neither a trust anchor "
                "nor among the path certificates",
            )
        parent = _first_link(current, [TrustAnchor.from_certificate(p) for p in parents], ca_below)
        assert parent.certificate is not None
        if parent.certificate in path:
            raise _PathError(PathFailure.LOOP, f"{_who(parent.certificate)} appears twice")
        path.append(parent.certificate)


def _issued_by(child: SmkiCertificate, ski: bytes | None, name: DistinguishedName | None) -> bool:
    if child.aki is not None:
        return child.aki == ski
    return name is not None and child.issuer == name


def _first_link(current: SmkiCertificate, issuers: list[TrustAnchor], ca_below: int) -> TrustAnchor:
    """The first candidate issuer that signed ``current`` and may issue; else the first failure."""
    failure: _PathError | None = None
    for issuer in issuers:
        try:
            _check_link(current, issuer.public_point, issuer.name, _anchor_who(issuer))
            if issuer.certificate is not None:
                _check_ca(issuer.certificate, ca_below)
        except _PathError as failed:
            failure = failure or failed
            continue
        return issuer
    assert failure is not None
    raise failure


def _check_link(
    child: SmkiCertificate, point: bytes, name: DistinguishedName | None, who: str
) -> None:
    if child.raw.signature_oid != ECDSA_WITH_SHA256:
        raise _PathError(
            PathFailure.UNSUPPORTED_ALGORITHM,
            f"{_who(child)}: signature algorithm {child.raw.signature_oid} "
            "is not ecdsa-with-SHA256",
        )
    try:
        _issuer_key(point).verify(child.raw.signature, child.raw.tbs, _ECDSA)
    except (InvalidSignature, ValueError):
        raise _PathError(
            PathFailure.BAD_SIGNATURE,
            f"{_who(child)}: signature does not verify with the key of {who}",
        ) from None
    if child.aki is None:
        raise _PathError(
            PathFailure.MISSING_AKI,
            f"{_who(child)}: no authorityKeyIdentifier (GBCS §12 requires one)",
        )
    if name is not None and child.issuer != name:
        raise _PathError(
            PathFailure.NAME_MISMATCH,
            f"{_who(child)}: issuer {_issuer(child)} does not match {who}",
        )


@functools.lru_cache(maxsize=256)
def _issuer_key(point: bytes) -> PublicKey:
    """The issuer's public key, built once per point: a path is checked against the same few
    CA keys again and again, and building a key (checking the point is on the curve) costs a
    fifth of the signature check it serves. Keyed by the whole point; a point that is not on
    the curve raises every time, as nothing is kept for it."""
    return key_from_point(point)


def _check_ca(parent: SmkiCertificate, ca_below: int) -> None:
    if not parent.raw.is_ca or KeyUsage.KEY_CERT_SIGN not in parent.key_usages:
        raise _PathError(
            PathFailure.NOT_A_CA,
            f"{_who(parent)} is not a CA (basicConstraints cA and keyCertSign)",
        )
    limit = parent.raw.path_length
    if limit is not None and ca_below > limit:
        raise _PathError(
            PathFailure.PATH_LENGTH,
            f"{_who(parent)}: pathLenConstraint {limit} allows fewer than "
            f"the {ca_below} CA certificates below it",
        )


def _check_leaf_usage(leaf: SmkiCertificate) -> None:
    if leaf.kind is CertificateKind.CA:
        return
    usages = leaf.key_usages
    if len(usages) != 1 or not usages <= _END_ENTITY_USAGES:
        shown = ", ".join(sorted(u.value for u in usages)) or "none"
        raise _PathError(
            PathFailure.KEY_USAGE,
            f"{_who(leaf)}: keyUsage {shown}; "
            "exactly one of digitalSignature or keyAgreement is allowed",
        )


def _check_times(path: list[SmkiCertificate], anchor: TrustAnchor, at: datetime) -> None:
    certs = [*path, anchor.certificate] if anchor.certificate is not None else path
    for cert in certs:
        if at < cert.not_before:
            raise _PathError(
                PathFailure.NOT_YET_VALID,
                f"{_who(cert)}: not valid before {cert.not_before.isoformat()}",
            )
        if at > cert.not_after:
            raise _PathError(
                PathFailure.EXPIRED, f"{_who(cert)}: expired {cert.not_after.isoformat()}"
            )


def _check_policy(path: list[SmkiCertificate], anchor: TrustAnchor, required: str | None) -> None:
    sets = [set(c.policy_oids) for c in path]
    if anchor.policy_oids is not None:
        sets.append(set(anchor.policy_oids))
    common = set.intersection(*sets)
    if required is not None and required not in common:
        raise _PathError(
            PathFailure.POLICY, f"not every certificate in the path asserts policy {required}"
        )
    if not common:
        raise _PathError(
            PathFailure.POLICY,
            f"{_who(path[0])}: the path's certificates share no certificate policy",
        )


def _who(cert: SmkiCertificate) -> str:
    if cert.eui is not None:
        role = f" {cert.role_name}" if cert.role is not None else ""
        usage = f" {cert.key_usage.value}" if cert.key_usage else ""
        return f"{cert.kind.value} certificate {cert.eui}{role}{usage} (serial {cert.serial_hex})"
    return f"CA {cert.subject}"


def _anchor_who(anchor: TrustAnchor) -> str:
    return f"CA {anchor.name}" if anchor.name is not None else f"trust anchor {anchor.ski.hex()}"


def _issuer(cert: SmkiCertificate) -> str:
    aki = f" (key id {cert.aki.hex()})" if cert.aki else ""
    return f"{cert.issuer}{aki}"
