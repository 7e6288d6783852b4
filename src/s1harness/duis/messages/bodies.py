"""Request bodies: SRV 6.15.1, SRV 6.21, the Signed Pre-Command, and everything else as is.

DUIS 5.4 ``sr:UpdateSecurityCredentialsKRP`` and ``sr:RequestHandoverOfDCCControlledDevice``
extend ``FutureDatedAbstractType``, so ``ExecutionDateTime`` comes first. They differ only in
``ReplacementCertificates``: 6.15.1 wraps the certificates in
``SupplierOrNetworkOperatorCertificates`` (all optional); 6.21 has no wrapper and requires the
digital-signing certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.common import (
    MAX_FLOOR,
    DuisRemotePartyRole,
    GenericContent,
    check_aware,
    check_range,
)
from s1harness.duis.ns import SR, sr
from s1harness.spec import InputError

_CERTIFICATE_SLOTS = (
    ("digital_signing", "DigitalSigningCertificate"),
    ("key_agreement", "KeyAgreementCertificate"),
    ("key_agreement_top_up", "KeyAgreementTopUpCertificate"),
)


@dataclass(frozen=True)
class ReplacementCertificates:
    """The replacement organisation certificates (DER), one per slot (DUIS 5.4 §1.4 row 5)."""

    digital_signing: bytes | None = None
    key_agreement: bytes | None = None
    key_agreement_top_up: bytes | None = None


@dataclass(frozen=True)
class _CredentialsBody:
    """The fields 6.15.1 and 6.21 share (DUIS 5.4 §1.4, §1.5)."""

    element_name: ClassVar[str]
    wrapped: ClassVar[bool]

    remote_party_role: DuisRemotePartyRole
    replacement_certificates: ReplacementCertificates
    certification_path_certificates: tuple[bytes, ...]
    apply_time_based_cpv_checks: bool
    execution_date_time: datetime | None = None
    remote_party_floor_seq_number: int | None = None
    remote_party_prepayment_top_up_floor_seq_number: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "remote_party_role", DuisRemotePartyRole(self.remote_party_role))
        paths = tuple(self.certification_path_certificates)
        object.__setattr__(self, "certification_path_certificates", paths)
        if not 1 <= len(paths) <= 3:
            raise InputError("CertificationPathCertificates holds 1 to 3 certificates")
        check_aware("ExecutionDateTime", self.execution_date_time)
        check_range("RemotePartyFloorSeqNumber", self.remote_party_floor_seq_number, 0, MAX_FLOOR)
        floor = self.remote_party_prepayment_top_up_floor_seq_number
        check_range("RemotePartyPrepaymentTopUpFloorSeqNumber", floor, 0, MAX_FLOOR)


@dataclass(frozen=True)
class UpdateSecurityCredentialsKRP(_CredentialsBody):
    """SRV 6.15.1 Update Security Credentials (KRP) (DUIS 5.4 §1.4)."""

    element_name: ClassVar[str] = "UpdateSecurityCredentialsKRP"
    wrapped: ClassVar[bool] = True


@dataclass(frozen=True)
class RequestHandoverOfDCCControlledDevice(_CredentialsBody):
    """SRV 6.21 Request Handover Of DCC Controlled Device (DUIS 5.4 §1.5).

    Raises:
        InputError: without a digital-signing certificate, which 6.21 requires.
    """

    element_name: ClassVar[str] = "RequestHandoverOfDCCControlledDevice"
    wrapped: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.replacement_certificates.digital_signing is None:
            raise InputError("6.21 ReplacementCertificates requires DigitalSigningCertificate")


@dataclass(frozen=True)
class SignedPreCommand:
    """A GBCS-signed Pre-Command sent with CV 5/6/7 (DUIS 5.4 ``sr:SignedPreCommand``)."""

    gbcs_payload: bytes
    execution_date_time: datetime | None = None

    def __post_init__(self) -> None:
        check_aware("ExecutionDateTime", self.execution_date_time)


@dataclass(frozen=True)
class GenericBody(GenericContent):
    """Any other request body element, kept and re-emitted unchanged."""


RequestBody = (
    UpdateSecurityCredentialsKRP
    | RequestHandoverOfDCCControlledDevice
    | SignedPreCommand
    | GenericBody
)
"""One choice of DUIS 5.4 ``sr:Request/sr:Body``."""

_CredentialsKind = type[UpdateSecurityCredentialsKRP] | type[RequestHandoverOfDCCControlledDevice]
_CREDENTIAL_BODIES: dict[str, _CredentialsKind] = {
    sr(UpdateSecurityCredentialsKRP.element_name): UpdateSecurityCredentialsKRP,
    sr(RequestHandoverOfDCCControlledDevice.element_name): RequestHandoverOfDCCControlledDevice,
}


def write_request_body(parent: etree._Element, body: RequestBody) -> None:
    """Append ``body`` to ``sr:Body``."""
    if isinstance(body, _CredentialsBody):
        _write_credentials(parent, body)
    elif isinstance(body, SignedPreCommand):
        element = x.add(parent, sr("SignedPreCommand"))
        _write_execution(element, body.execution_date_time)
        x.add(element, sr("GBCSPayload"), x.format_binary(body.gbcs_payload))
    else:
        parent.append(body.element)


def read_request_body(element: etree._Element) -> RequestBody:
    """Read the one child of ``sr:Body``."""
    kind = _CREDENTIAL_BODIES.get(str(element.tag))
    if kind is not None:
        return _read_credentials(element, kind)
    if element.tag == sr("SignedPreCommand"):
        children = x.Children(element)
        execution = _read_execution(children)
        payload = x.binary(children.required(sr("GBCSPayload")))
        children.end()
        return SignedPreCommand(payload, execution)
    if etree.QName(element).namespace != SR:
        raise x.fail(element, f"unexpected element {x.qname(str(element.tag))} in sr:Body")
    return GenericBody.of(element)


def _write_execution(element: etree._Element, when: datetime | None) -> None:
    if when is not None:
        x.add(element, sr("ExecutionDateTime"), x.format_date_time(when))


def _read_execution(children: x.Children) -> datetime | None:
    return children.maybe(sr("ExecutionDateTime"), x.date_time)


def _write_credentials(parent: etree._Element, body: _CredentialsBody) -> None:
    element = x.add(parent, sr(body.element_name))
    _write_execution(element, body.execution_date_time)
    x.add(element, sr("RemotePartyRole"), body.remote_party_role.value)
    floor = x.optional_str(body.remote_party_floor_seq_number)
    x.add_optional(element, sr("RemotePartyFloorSeqNumber"), floor)
    top_up = x.optional_str(body.remote_party_prepayment_top_up_floor_seq_number)
    x.add_optional(element, sr("RemotePartyPrepaymentTopUpFloorSeqNumber"), top_up)
    slots = x.add(element, sr("ReplacementCertificates"))
    if body.wrapped:
        slots = x.add(slots, sr("SupplierOrNetworkOperatorCertificates"))
    for attribute, name in _CERTIFICATE_SLOTS:
        der: bytes | None = getattr(body.replacement_certificates, attribute)
        x.add_optional(slots, sr(name), None if der is None else x.format_binary(der))
    path = x.add(element, sr("CertificationPathCertificates"))
    for der in body.certification_path_certificates:
        x.add(path, sr("Certificate"), x.format_binary(der))
    x.add(
        element, sr("ApplyTimeBasedCPVChecks"), x.format_boolean(body.apply_time_based_cpv_checks)
    )


def _read_credentials(
    element: etree._Element, kind: _CredentialsKind
) -> UpdateSecurityCredentialsKRP | RequestHandoverOfDCCControlledDevice:
    children = x.Children(element)
    execution = _read_execution(children)
    role = x.member(children.required(sr("RemotePartyRole")), DuisRemotePartyRole)
    floor = children.maybe(sr("RemotePartyFloorSeqNumber"), x.integer, 0, MAX_FLOOR)
    top_up = children.maybe(sr("RemotePartyPrepaymentTopUpFloorSeqNumber"), x.integer, 0, MAX_FLOOR)
    replacements = _read_replacements(children.required(sr("ReplacementCertificates")), kind)
    path = x.Children(children.required(sr("CertificationPathCertificates")))
    certificates = tuple(x.binary(c) for c in path.repeated(sr("Certificate"), 1, 3))
    path.end()
    cpv = x.boolean(children.required(sr("ApplyTimeBasedCPVChecks")))
    children.end()
    with x.located(element):
        return kind(role, replacements, certificates, cpv, execution, floor, top_up)


def _read_replacements(element: etree._Element, kind: _CredentialsKind) -> ReplacementCertificates:
    if kind.wrapped:
        outer = x.Children(element)
        element = outer.required(sr("SupplierOrNetworkOperatorCertificates"))
        outer.end()
    children = x.Children(element)
    ders: dict[str, bytes | None] = {}
    for attribute, name in _CERTIFICATE_SLOTS:
        slot = children.optional(sr(name))
        if slot is None and not kind.wrapped and attribute == "digital_signing":
            slot = children.required(sr(name))
        ders[attribute] = None if slot is None else x.binary(slot)
    children.end()
    return ReplacementCertificates(**ders)
