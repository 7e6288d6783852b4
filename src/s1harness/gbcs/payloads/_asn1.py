"""asn1crypto models of the CS02 payloads (the GBCS ASN.1 of CS02a–g).

The field names are the ASN.1 component names (gbcs-parser's labels), so that the field paths
in :class:`~s1harness.gbcs.errors.GbcsCodecError` read like the specification. ``[n]`` tags are
context-specific IMPLICIT, as RTDS shows them. ENUMERATED status codes are read as integers
(:class:`Status`) so that codes outside the named list decode too. Certificates and the PKCS#10
request are modelled with asn1crypto's own types but are only framed here, never parsed: they
travel as their DER, and the SMKI layer judges them (a device answers a bad replacement
certificate per cell, with statusCode badCertificate, rather than rejecting the command).
"""

from __future__ import annotations

from typing import Any, ClassVar

from asn1crypto import core, csr, x509


class Status(core.Integer):  # type: ignore[misc]
    """ENUMERATED read as an integer: the universal tag 10 with INTEGER contents (X.690 §8.4)."""

    tag = 10


class TrustAnchorCellIdentifier(core.Sequence):  # type: ignore[misc]
    """GBCS §4.1 TrustAnchorCellIdentifier; cellUsage DEFAULT management(0) is omitted by DER."""

    _fields: ClassVar[list[Any]] = [
        ("trustAnchorCellRemotePartyRole", core.Integer),
        ("trustAnchorCellKeyUsage", x509.KeyUsage),
        ("trustAnchorCellUsage", core.Integer, {"default": 0}),
    ]


class SpecialistSeqNumber(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("seqNumberUsage", core.Integer),
        ("seqNumber", core.Integer),
    ]


class SpecialistSeqNumbers(core.SequenceOf):  # type: ignore[misc]
    _child_spec = SpecialistSeqNumber


class RemotePartySeqNumberChange(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("remotePartyRole", core.Integer),
        ("floorSeqNumber", core.Integer),
        ("specialistFloorSeqNumbers", SpecialistSeqNumbers, {"optional": True}),
    ]


class RemotePartySeqNumberChanges(core.SequenceOf):  # type: ignore[misc]
    _child_spec = RemotePartySeqNumberChange


class AuthorisingRemotePartyControl(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("credentialsReplacementMode", core.Integer),
        ("plaintextSymmetricKey", core.OctetString, {"implicit": 0, "optional": True}),
        ("applyTimeBasedCPVChecks", core.Integer, {"implicit": 1, "optional": True}),
        (
            "authorisingRemotePartyTACellIdentifier",
            TrustAnchorCellIdentifier,
            {"implicit": 2, "optional": True},
        ),
        ("authorisingRemotePartySeqNumber", core.Integer, {"implicit": 3}),
        ("newRemotePartyFloorSeqNumber", core.Integer, {"implicit": 4, "optional": True}),
        (
            "newRemotePartySpecialistFloorSeqNumber",
            SpecialistSeqNumbers,
            {"implicit": 5, "optional": True},
        ),
        (
            "otherRemotePartySeqNumberChanges",
            RemotePartySeqNumberChanges,
            {"implicit": 6, "optional": True},
        ),
    ]


class TrustAnchorReplacement(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("replacementCertificate", x509.Certificate),
        ("targetTrustAnchorCell", TrustAnchorCellIdentifier),
    ]


class TrustAnchorReplacements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = TrustAnchorReplacement


class Certificates(core.SequenceOf):  # type: ignore[misc]
    _child_spec = x509.Certificate


class UpdateSecurityCredentials(core.Sequence):  # type: ignore[misc]
    """GBCS §4.1, the CS02b/CS02g command."""

    _fields: ClassVar[list[Any]] = [
        ("authorisingRemotePartyControl", AuthorisingRemotePartyControl),
        ("replacements", TrustAnchorReplacements),
        ("certificationPathCertificates", Certificates),
        ("executionDateTime", core.GeneralizedTime, {"optional": True}),
    ]


class ReplacementOutcome(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("affectedTrustAnchorCell", TrustAnchorCellIdentifier),
        ("statusCode", Status),
        ("existingSubjectUniqueID", core.OctetString),
        ("existingSubjectKeyID", core.OctetString),
        ("replacingSubjectUniqueID", core.OctetString),
        ("replacingSubjectKeyID", core.OctetString),
    ]


class ReplacementOutcomes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = ReplacementOutcome


class ExecutionOutcome(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("authorisingRemotePartySeqNumber", core.Integer),
        ("credentialsReplacementMode", core.Integer),
        ("remotePartySeqNumberChanges", RemotePartySeqNumberChanges),
        ("replacementOutcomes", ReplacementOutcomes),
    ]


class UpdateSecurityCredentialsResponse(core.Sequence):  # type: ignore[misc]
    """GBCS §4.4, the CS02b/CS02g response."""

    _fields: ClassVar[list[Any]] = [
        ("commandAccepted", core.Null),
        ("executionOutcome", ExecutionOutcome, {"optional": True}),
    ]


class UpdateSecurityCredentialsAlert(core.Sequence):  # type: ignore[misc]
    """GBCS §6.2, the future-dated alert payload (message codes 0x00CB and 0x0124)."""

    _fields: ClassVar[list[Any]] = [
        ("alertCode", core.Integer),
        ("executionDateTime", core.GeneralizedTime),
        ("executionOutcome", ExecutionOutcome),
    ]


class Roles(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.Integer


class ProvideSecurityCredentials(core.Sequence):  # type: ignore[misc]
    """GBCS §5, the CS02a/CS02f command."""

    _fields: ClassVar[list[Any]] = [
        ("authorisingRemotePartyTACellIdentifier", TrustAnchorCellIdentifier),
        ("remotePartyRolesCredentialsRequired", Roles),
    ]


class TrustAnchorCellDetail(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("keyUsage", x509.KeyUsage),
        ("cellUsage", core.Integer, {"default": 0}),
        ("subjectUniqueID", core.OctetString),
        ("subjectKeyIdentifier", core.OctetString),
    ]


class TrustAnchorCellDetails(core.SequenceOf):  # type: ignore[misc]
    _child_spec = TrustAnchorCellDetail


class RemotePartyCredentials(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("remotePartyRole", core.Integer),
        ("statusCode", Status),
        ("currentSeqNumber", core.Integer, {"optional": True}),
        ("trustAnchorCellDetails", TrustAnchorCellDetails, {"optional": True}),
    ]


class ProvideSecurityCredentialsResponse(core.SequenceOf):  # type: ignore[misc]
    """GBCS §5, the CS02a/CS02f response."""

    _child_spec = RemotePartyCredentials


class KeyUsageRequest(core.Sequence):  # type: ignore[misc]
    """GBCS §5, the CS02c and CS02e commands: ``SEQUENCE { keyUsage }``."""

    _fields: ClassVar[list[Any]] = [("keyUsage", x509.KeyUsage)]


Certificate = x509.Certificate
CertificationRequest = csr.CertificationRequest
ResponseCode = core.Integer
