"""CS02b/CS02g Update Security Credentials: the command (GBCS §4.1; docs/gbcs.md §4.1–4.2).

The command replaces certificates in a device's trust anchor cells. It is authorised by the
remote party whose certificate sits in the authorising cell (absent for 8.5 ACB by ACB), carries
the replacement certificates with their target cells, the issuing CA certificates to check them
against, and optionally an execution date-time (future-dated, or 9999-12-31T23:59:59Z to cancel).
Commands are remote-party payloads and encode as minimal DER.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from s1harness.gbcs.payloads import _asn1
from s1harness.gbcs.payloads._convert import (
    cell_value,
    changes_value,
    read_cell,
    read_changes,
    read_specialists,
    specialists_value,
    utc_time,
)
from s1harness.gbcs.payloads._node import Node, dump, embed, known, load
from s1harness.gbcs.payloads.cells import (
    CpvChecks,
    ReplacementMode,
    SeqNumberChange,
    SpecialistSeqNumber,
    TrustAnchorCell,
)


@dataclass(frozen=True, slots=True)
class AuthorisingRemotePartyControl:
    """AuthorisingRemotePartyControl (GBCS §4.1): who authorises, in which mode, with which seq.

    Attributes:
        mode: credentialsReplacementMode.
        seq_number: ``[3]`` authorisingRemotePartySeqNumber, equal to the header counter.
        authorising_cell: ``[2]`` the cell holding the authorising certificate; None for 8.5.
        apply_time_based_cpv_checks: ``[1]``; None when omitted, which means apply.
        plaintext_symmetric_key: ``[0]``; not in RTDS.
        floor_seq_number: ``[4]`` newRemotePartyFloorSeqNumber.
        specialist_floor_seq_numbers: ``[5]`` newRemotePartySpecialistFloorSeqNumber.
        other_seq_number_changes: ``[6]`` otherRemotePartySeqNumberChanges.
    """

    mode: ReplacementMode | int
    seq_number: int
    authorising_cell: TrustAnchorCell | None = None
    apply_time_based_cpv_checks: CpvChecks | int | None = None
    plaintext_symmetric_key: bytes | None = None
    floor_seq_number: int | None = None
    specialist_floor_seq_numbers: tuple[SpecialistSeqNumber, ...] | None = None
    other_seq_number_changes: tuple[SeqNumberChange, ...] | None = None


@dataclass(frozen=True, slots=True)
class TrustAnchorReplacement:
    """One replacement: a certificate (DER, undecoded) and the cell it goes into."""

    certificate: bytes
    target: TrustAnchorCell


@dataclass(frozen=True, slots=True)
class UpdateSecurityCredentials:
    """The CS02b/CS02g command payload (GBCS §4.1).

    Attributes:
        control: The authorising remote party control.
        replacements: The replacements, in order; outcomes come back in the same order.
        certification_path_certificates: Issuing CA certificates (DER) for the replacements.
        execution_date_time: UTC execution time; None for immediate execution.
    """

    control: AuthorisingRemotePartyControl
    replacements: tuple[TrustAnchorReplacement, ...]
    certification_path_certificates: tuple[bytes, ...]
    execution_date_time: datetime | None = None

    @property
    def message_code(self) -> int | None:
        """The message code of the use case the mode implies (None for an unknown mode)."""
        mode = known(ReplacementMode, int(self.control.mode))
        return mode.message_code if isinstance(mode, ReplacementMode) else None


def decode_update_security_credentials(content: bytes) -> UpdateSecurityCredentials:
    """Decode a CS02b/CS02g command payload (message codes 0x0100..0x0109, 0x0125, 0x0126).

    Raises:
        GbcsCodecError: if the payload is not a well-formed UpdateSecurityCredentials.
    """
    fields = load(_asn1.UpdateSecurityCredentials, content, "UpdateSecurityCredentials").fields()
    when = fields.get("executionDateTime")
    return UpdateSecurityCredentials(
        control=_read_control(fields.need("authorisingRemotePartyControl")),
        replacements=tuple(_read_replacement(n) for n in fields.need("replacements").items()),
        certification_path_certificates=tuple(
            n.der() for n in fields.need("certificationPathCertificates").items()
        ),
        execution_date_time=None if when is None else when.time(),
    )


def _read_control(node: Node) -> AuthorisingRemotePartyControl:
    fields = node.fields()
    cpv, key = fields.get("applyTimeBasedCPVChecks"), fields.get("plaintextSymmetricKey")
    cell, floor = (
        fields.get("authorisingRemotePartyTACellIdentifier"),
        fields.get("newRemotePartyFloorSeqNumber"),
    )
    return AuthorisingRemotePartyControl(
        mode=known(ReplacementMode, fields.need("credentialsReplacementMode").integer()),
        seq_number=fields.need("authorisingRemotePartySeqNumber").integer(),
        authorising_cell=None if cell is None else read_cell(cell),
        apply_time_based_cpv_checks=None if cpv is None else known(CpvChecks, cpv.integer()),
        plaintext_symmetric_key=None if key is None else key.octets(),
        floor_seq_number=None if floor is None else floor.integer(),
        specialist_floor_seq_numbers=read_specialists(
            fields.get("newRemotePartySpecialistFloorSeqNumber")
        ),
        other_seq_number_changes=read_changes(fields.get("otherRemotePartySeqNumberChanges")),
    )


def _read_replacement(node: Node) -> TrustAnchorReplacement:
    fields = node.fields()
    return TrustAnchorReplacement(
        certificate=fields.need("replacementCertificate").der(),
        target=read_cell(fields.need("targetTrustAnchorCell")),
    )


def encode_update_security_credentials(command: UpdateSecurityCredentials) -> bytes:
    """Encode a CS02b/CS02g command payload as minimal DER; certificates are embedded as given.

    Raises:
        InputError: if a field cannot be encoded (a naive date-time, a certificate that is not
            one DER element).
    """
    value: dict[str, Any] = {
        "authorisingRemotePartyControl": _control_value(command.control),
        "replacements": [_replacement_value(r) for r in command.replacements],
        "certificationPathCertificates": [
            embed(_asn1.Certificate, der, "certificationPathCertificates")
            for der in command.certification_path_certificates
        ],
    }
    if command.execution_date_time is not None:
        value["executionDateTime"] = utc_time(command.execution_date_time, "executionDateTime")
    return dump(_asn1.UpdateSecurityCredentials, value, "UpdateSecurityCredentials")


def _control_value(control: AuthorisingRemotePartyControl) -> dict[str, Any]:
    optional: dict[str, Any] = {
        "plaintextSymmetricKey": control.plaintext_symmetric_key,
        "applyTimeBasedCPVChecks": _int_or_none(control.apply_time_based_cpv_checks),
        "authorisingRemotePartyTACellIdentifier": _or_none(cell_value, control.authorising_cell),
        "newRemotePartyFloorSeqNumber": control.floor_seq_number,
        "newRemotePartySpecialistFloorSeqNumber": _or_none(
            specialists_value, control.specialist_floor_seq_numbers
        ),
        "otherRemotePartySeqNumberChanges": _or_none(
            changes_value, control.other_seq_number_changes
        ),
    }
    value = {name: item for name, item in optional.items() if item is not None}
    value["credentialsReplacementMode"] = int(control.mode)
    value["authorisingRemotePartySeqNumber"] = control.seq_number
    return value


def _or_none(convert: Any, value: Any) -> Any:
    return None if value is None else convert(value)


def _int_or_none(value: int | None) -> int | None:
    return None if value is None else int(value)


def _replacement_value(replacement: TrustAnchorReplacement) -> dict[str, Any]:
    return {
        "replacementCertificate": embed(
            _asn1.Certificate, replacement.certificate, "replacementCertificate"
        ),
        "targetTrustAnchorCell": cell_value(replacement.target),
    }
