"""MMC ``ra:ExecutionOutcome``: what a credentials update did (DUIS 5.4 MMC schema).

Used by ``UpdateSecurityCredentialsKRPRsp`` (SR 6.15.1) and, in the MMC schema, by the 6.21,
6.23 and 8.5 results and the future-dated device alert. Every element is optional in MMC 5.4.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.common import (
    CertificateType,
    DuisRemotePartyRole,
    check_range,
)
from s1harness.duis.ns import ra
from s1harness.spec import Eui64, InputError

_UNBOUNDED = 10**40
"""The MMC's nonNegativeInteger has no upper bound; this keeps the numbers finite."""


class CredentialsReplacementMode(enum.StrEnum):
    """``ExecutionOutcome/CredentialsReplacementMode`` (MMC 5.4)."""

    ACB_BY_ACB = "ACBByACB"
    SUPPLIER_BY_SUPPLIER = "SupplierBySupplier"
    NETWORK_OPERATOR_BY_NETWORK_OPERATOR = "NetworkOperatorByNetworkOperator"
    LOAD_CONTROLLER_BY_SUPPLIER = "LoadControllerBySupplier"
    SUPPLIER_BY_TRANS_COS = "SupplierByTransCoS"


@dataclass(frozen=True)
class RemotePartySeqNumberChange:
    """MMC ``ra:RemotePartySeqNumberChange`` (all three parts optional)."""

    remote_party_role: DuisRemotePartyRole | None = None
    floor: int | None = None
    prepayment_top_up_floor: int | None = None

    def __post_init__(self) -> None:
        if self.remote_party_role is not None:
            role = DuisRemotePartyRole(self.remote_party_role)
            object.__setattr__(self, "remote_party_role", role)
        check_range("RemotePartyFloorSeqNumber", self.floor, 0, _UNBOUNDED)
        check_range(
            "RemotePartyPrepaymentTopUpFloorSeqNumber", self.prepayment_top_up_floor, 0, _UNBOUNDED
        )


@dataclass(frozen=True)
class Asn1Status:
    """MMC ``ra:StatusASN1``: the status name and the ASN.1 value behind it.

    Attributes:
        status: ``ASN1Status`` (``success``, ``badCertificate``…).
        response_code: ``@ResponseCode``, the integer the device returned.
    """

    status: str
    response_code: int

    def __post_init__(self) -> None:
        if not self.status.strip():
            raise InputError("ASN1Status must not be empty")
        check_range("StatusASN1 ResponseCode", self.response_code, -_UNBOUNDED, _UNBOUNDED)


@dataclass(frozen=True, kw_only=True)
class ReplacementOutcome:
    """MMC ``ra:ReplacementOutcome``: the result for one replaced certificate.

    Attributes:
        status_code: ``StatusCode`` (``success``, ``badCertificate``… and its number).
        certificate_type: Which certificate.
        remote_party_role: Whose certificate.
        existing_remote_party_id: The entity ID in the certificate replaced.
        new_remote_party_id: The entity ID in the new certificate.
        existing_certificate_hash: SHA-1 of the certificate replaced.
        new_certificate_hash: SHA-1 of the new certificate.
    """

    status_code: Asn1Status | None = None
    certificate_type: CertificateType | None = None
    remote_party_role: DuisRemotePartyRole | None = None
    existing_remote_party_id: Eui64 | None = None
    new_remote_party_id: Eui64 | None = None
    existing_certificate_hash: bytes | None = None
    new_certificate_hash: bytes | None = None

    def __post_init__(self) -> None:
        for name, kind in _COERCE:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, kind(value))


_COERCE: tuple[tuple[str, type], ...] = (
    ("certificate_type", CertificateType),
    ("remote_party_role", DuisRemotePartyRole),
    ("existing_remote_party_id", Eui64),
    ("new_remote_party_id", Eui64),
)


@dataclass(frozen=True, kw_only=True)
class ExecutionOutcome:
    """MMC ``ra:ExecutionOutcome``.

    Attributes:
        authorising_remote_party_originator_counter: The counter of the authorising command.
        credentials_replacement_mode: e.g. ``NetworkOperatorByNetworkOperator``.
        remote_party_seq_number_change: The new floors.
        replacement_outcomes: Up to 3 per-certificate results.
    """

    authorising_remote_party_originator_counter: int | None = None
    credentials_replacement_mode: CredentialsReplacementMode | None = None
    remote_party_seq_number_change: RemotePartySeqNumberChange | None = None
    replacement_outcomes: tuple[ReplacementOutcome, ...] = ()

    def __post_init__(self) -> None:
        counter = self.authorising_remote_party_originator_counter
        check_range("AuthorisingRemotePartyOriginatorCounter", counter, 0, _UNBOUNDED)
        mode = self.credentials_replacement_mode
        if mode is not None:
            object.__setattr__(
                self, "credentials_replacement_mode", CredentialsReplacementMode(mode)
            )
        outcomes = tuple(self.replacement_outcomes)
        if len(outcomes) > 3:
            raise InputError("ExecutionOutcome holds at most 3 ReplacementOutcome entries")
        object.__setattr__(self, "replacement_outcomes", outcomes)


def write_execution_outcome(element: etree._Element, outcome: ExecutionOutcome) -> None:
    """Fill an ``ra:ExecutionOutcome`` element."""
    counter = x.optional_str(outcome.authorising_remote_party_originator_counter)
    x.add_optional(element, ra("AuthorisingRemotePartyOriginatorCounter"), counter)
    mode = outcome.credentials_replacement_mode
    x.add_optional(element, ra("CredentialsReplacementMode"), None if mode is None else mode.value)
    change = outcome.remote_party_seq_number_change
    if change is not None:
        _write_change(x.add(element, ra("RemotePartySeqNumberChange")), change)
    for entry in outcome.replacement_outcomes:
        _write_replacement(x.add(element, ra("ReplacementOutcome")), entry)


def read_execution_outcome(element: etree._Element) -> ExecutionOutcome:
    """Read an ``ra:ExecutionOutcome`` element."""
    children = x.Children(element)
    # Keyword arguments are evaluated in order, which is the XSD sequence order.
    outcome = ExecutionOutcome(
        authorising_remote_party_originator_counter=children.maybe(
            ra("AuthorisingRemotePartyOriginatorCounter"), x.integer, 0, _UNBOUNDED
        ),
        credentials_replacement_mode=children.maybe(
            ra("CredentialsReplacementMode"), x.member, CredentialsReplacementMode
        ),
        remote_party_seq_number_change=children.maybe(
            ra("RemotePartySeqNumberChange"), _read_change
        ),
        replacement_outcomes=tuple(
            _read_replacement(e) for e in children.repeated(ra("ReplacementOutcome"), 0, 3)
        ),
    )
    children.end()
    return outcome


def _write_change(element: etree._Element, change: RemotePartySeqNumberChange) -> None:
    role = change.remote_party_role
    x.add_optional(element, ra("RemotePartyRole"), None if role is None else role.value)
    x.add_optional(element, ra("RemotePartyFloorSeqNumber"), x.optional_str(change.floor))
    top_up = x.optional_str(change.prepayment_top_up_floor)
    x.add_optional(element, ra("RemotePartyPrepaymentTopUpFloorSeqNumber"), top_up)


def _read_change(element: etree._Element) -> RemotePartySeqNumberChange:
    children = x.Children(element)
    role = children.maybe(ra("RemotePartyRole"), x.member, DuisRemotePartyRole)
    floor = children.maybe(ra("RemotePartyFloorSeqNumber"), x.integer, 0, _UNBOUNDED)
    top_up_tag = ra("RemotePartyPrepaymentTopUpFloorSeqNumber")
    top_up = children.maybe(top_up_tag, x.integer, 0, _UNBOUNDED)
    children.end()
    return RemotePartySeqNumberChange(role, floor, top_up)


def _write_replacement(element: etree._Element, entry: ReplacementOutcome) -> None:
    if entry.status_code is not None:
        status = x.add(element, ra("StatusCode"))
        status.set("ResponseCode", str(entry.status_code.response_code))
        x.add(status, ra("ASN1Status"), entry.status_code.status)
    for name, value in (
        ("CertificateType", entry.certificate_type),
        ("RemotePartyRole", entry.remote_party_role),
        ("ExistingRemotePartyID", _dashed(entry.existing_remote_party_id)),
        ("NewRemotePartyID", _dashed(entry.new_remote_party_id)),
        ("ExistingCertificateHash", _base64(entry.existing_certificate_hash)),
        ("NewCertificateHash", _base64(entry.new_certificate_hash)),
    ):
        x.add_optional(element, ra(name), x.optional_str(value))


def _read_replacement(element: etree._Element) -> ReplacementOutcome:
    children = x.Children(element)
    # Keyword arguments are evaluated in order, which is the XSD sequence order.
    outcome = ReplacementOutcome(
        status_code=children.maybe(ra("StatusCode"), _read_status),
        certificate_type=children.maybe(ra("CertificateType"), x.member, CertificateType),
        remote_party_role=children.maybe(ra("RemotePartyRole"), x.member, DuisRemotePartyRole),
        existing_remote_party_id=children.maybe(ra("ExistingRemotePartyID"), x.eui),
        new_remote_party_id=children.maybe(ra("NewRemotePartyID"), x.eui),
        existing_certificate_hash=children.maybe(ra("ExistingCertificateHash"), x.binary),
        new_certificate_hash=children.maybe(ra("NewCertificateHash"), x.binary),
    )
    children.end()
    return outcome


def _read_status(element: etree._Element) -> Asn1Status:
    code = x.required_attribute(element, "ResponseCode")
    with x.located(element):
        number = x.parse_integer(code, -_UNBOUNDED, _UNBOUNDED)
    children = x.Children(element)
    status = x.token(children.required(ra("ASN1Status")))
    children.end()
    return Asn1Status(status, number)


def _dashed(eui: Eui64 | None) -> str | None:
    return None if eui is None else eui.duis


def _base64(data: bytes | None) -> str | None:
    return None if data is None else x.format_binary(data)
