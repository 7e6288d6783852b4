"""CS02b/CS02g response and future-dated alert (GBCS §4.4 and §6.2).

A device answers an immediate command with an ExecutionOutcome (one ReplacementOutcome per
replacement, in command order). A future-dated or cancellation command gets the bare
``30 02 05 00`` and the outcome follows in an 8F66 (success) or 8F67 (failure) alert under
message code 0x00CB (CS02b) or 0x0124 (CS02g).

These structures are device-generated: they encode with the ``82 00 nn`` length form the RTDS
devices use, which reproduces their bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from s1harness.gbcs.payloads import _asn1
from s1harness.gbcs.payloads._ber import device_lengths
from s1harness.gbcs.payloads._convert import (
    cell_value,
    changes_value,
    read_cell,
    read_change,
    utc_time,
)
from s1harness.gbcs.payloads._node import SKI_LENGTH, Node, dump, known, load
from s1harness.gbcs.payloads.cells import (
    AlertCode,
    ReplacementMode,
    SeqNumberChange,
    StatusCode,
    TrustAnchorCell,
)
from s1harness.spec.identifiers import Eui64


@dataclass(frozen=True, slots=True)
class ReplacementOutcome:
    """What happened to one cell (GBCS §4.4). On failure, replacing = existing.

    Attributes:
        cell: affectedTrustAnchorCell.
        status: statusCode (0 success).
        existing_subject_unique_id / existing_subject_key_id: the certificate that was there.
        replacing_subject_unique_id / replacing_subject_key_id: the certificate there now.
    """

    cell: TrustAnchorCell
    status: StatusCode | int
    existing_subject_unique_id: Eui64
    existing_subject_key_id: bytes
    replacing_subject_unique_id: Eui64
    replacing_subject_key_id: bytes


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """ExecutionOutcome (GBCS §4.4), shared by the response and the alert.

    Attributes:
        seq_number: The command's authorisingRemotePartySeqNumber (links back to it).
        mode: The command's credentialsReplacementMode.
        seq_number_changes: The floors applied (``[4]``/``[5]`` of the command, then ``[6]``).
        replacement_outcomes: One per replacement, in command order.
    """

    seq_number: int
    mode: ReplacementMode | int
    seq_number_changes: tuple[SeqNumberChange, ...]
    replacement_outcomes: tuple[ReplacementOutcome, ...]


@dataclass(frozen=True, slots=True)
class UpdateSecurityCredentialsResponse:
    """The CS02b/CS02g response: commandAccepted and, for immediate execution, the outcome."""

    outcome: ExecutionOutcome | None = None


@dataclass(frozen=True, slots=True)
class UpdateSecurityCredentialsAlert:
    """The future-dated execution alert (GBCS §6.2; message codes 0x00CB and 0x0124).

    Attributes:
        alert_code: 0x8F66 success or 0x8F67 failure.
        execution_date_time: When the command was executed, UTC.
        outcome: The outcome, as in an immediate response.
    """

    alert_code: AlertCode | int
    execution_date_time: datetime
    outcome: ExecutionOutcome


def decode_update_security_credentials_response(
    content: bytes,
) -> UpdateSecurityCredentialsResponse:
    """Decode a CS02b/CS02g response payload (BER lengths, as devices send them, accepted).

    Raises:
        GbcsCodecError: if the payload is not a well-formed UpdateSecurityCredentialsResponse.
    """
    root = load(
        _asn1.UpdateSecurityCredentialsResponse, content, "UpdateSecurityCredentialsResponse"
    )
    fields = root.fields()
    fields.need("commandAccepted").null()
    outcome = fields.get("executionOutcome")
    return UpdateSecurityCredentialsResponse(None if outcome is None else _read_outcome(outcome))


def decode_update_security_credentials_alert(content: bytes) -> UpdateSecurityCredentialsAlert:
    """Decode the future-dated alert payload of message codes 0x00CB and 0x0124.

    Raises:
        GbcsCodecError: if the payload is not a well-formed UpdateSecurityCredentialsAlert.
    """
    root = load(_asn1.UpdateSecurityCredentialsAlert, content, "UpdateSecurityCredentialsAlert")
    fields = root.fields()
    return UpdateSecurityCredentialsAlert(
        alert_code=known(AlertCode, fields.need("alertCode").integer()),
        execution_date_time=fields.need("executionDateTime").time(),
        outcome=_read_outcome(fields.need("executionOutcome")),
    )


def _read_outcome(node: Node) -> ExecutionOutcome:
    fields = node.fields()
    return ExecutionOutcome(
        seq_number=fields.need("authorisingRemotePartySeqNumber").integer(),
        mode=known(ReplacementMode, fields.need("credentialsReplacementMode").integer()),
        seq_number_changes=tuple(
            read_change(n) for n in fields.need("remotePartySeqNumberChanges").items()
        ),
        replacement_outcomes=tuple(
            _read_replacement_outcome(n) for n in fields.need("replacementOutcomes").items()
        ),
    )


def _read_replacement_outcome(node: Node) -> ReplacementOutcome:
    fields = node.fields()
    return ReplacementOutcome(
        cell=read_cell(fields.need("affectedTrustAnchorCell")),
        status=known(StatusCode, fields.need("statusCode").integer()),
        existing_subject_unique_id=fields.need("existingSubjectUniqueID").eui(),
        existing_subject_key_id=fields.need("existingSubjectKeyID").octets(SKI_LENGTH),
        replacing_subject_unique_id=fields.need("replacingSubjectUniqueID").eui(),
        replacing_subject_key_id=fields.need("replacingSubjectKeyID").octets(SKI_LENGTH),
    )


def encode_update_security_credentials_response(
    response: UpdateSecurityCredentialsResponse,
) -> bytes:
    """Encode a CS02b/CS02g response the way a device does (``82 00 nn``, GBCS §4.5)."""
    value: dict[str, Any] = {"commandAccepted": None}
    if response.outcome is not None:
        value["executionOutcome"] = _outcome_value(response.outcome)
    spec = _asn1.UpdateSecurityCredentialsResponse
    return device_lengths(dump(spec, value, "UpdateSecurityCredentialsResponse"))


def encode_update_security_credentials_alert(alert: UpdateSecurityCredentialsAlert) -> bytes:
    """Encode the future-dated alert payload the way a device does (``82 00 nn``, GBCS §4.5).

    Raises:
        InputError: if the execution date-time is naive.
    """
    value = {
        "alertCode": int(alert.alert_code),
        "executionDateTime": utc_time(alert.execution_date_time, "executionDateTime"),
        "executionOutcome": _outcome_value(alert.outcome),
    }
    spec = _asn1.UpdateSecurityCredentialsAlert
    return device_lengths(dump(spec, value, "UpdateSecurityCredentialsAlert"))


def _outcome_value(outcome: ExecutionOutcome) -> dict[str, Any]:
    return {
        "authorisingRemotePartySeqNumber": outcome.seq_number,
        "credentialsReplacementMode": int(outcome.mode),
        "remotePartySeqNumberChanges": changes_value(outcome.seq_number_changes),
        "replacementOutcomes": [
            _replacement_outcome_value(o) for o in outcome.replacement_outcomes
        ],
    }


def _replacement_outcome_value(outcome: ReplacementOutcome) -> dict[str, Any]:
    return {
        "affectedTrustAnchorCell": cell_value(outcome.cell),
        "statusCode": int(outcome.status),
        "existingSubjectUniqueID": Eui64(outcome.existing_subject_unique_id).octets,
        "existingSubjectKeyID": outcome.existing_subject_key_id,
        "replacingSubjectUniqueID": Eui64(outcome.replacing_subject_unique_id).octets,
        "replacingSubjectKeyID": outcome.replacing_subject_key_id,
    }
