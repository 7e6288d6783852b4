"""CS02b/CS02g Update Security Credentials: the command (GBCS §4.1).

The command replaces certificates in a device's trust anchor cells. It is authorised by the
remote party whose certificate sits in the authorising cell (absent for 8.5 ACB by ACB), carries
the replacement certificates with their target cells, the issuing CA certificates to check them
against, and optionally an execution date-time (future-dated, or 9999-12-31T23:59:59Z to cancel).
Commands are remote-party payloads and encode as minimal DER.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from s1harness.gbcs.payloads import _asn1, _canonical, _der
from s1harness.gbcs.payloads._convert import (
    cell_value,
    changes_value,
    read_cell,
    read_changes,
    read_specialists,
    specialists_value,
    utc_time,
)
from s1harness.gbcs.payloads._node import Node, embed, known, load, write
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

    A command in canonical DER is read directly (:mod:`._canonical`); anything else, and every
    fault, goes through the full reader.

    Raises:
        GbcsCodecError: if the payload is not a well-formed UpdateSecurityCredentials.
    """
    try:
        return _canonical_command(bytes(content))
    except _canonical.NotCanonical:
        return _decode(content)


def _decode(content: bytes) -> UpdateSecurityCredentials:
    """The full reader: any encoding the model accepts, every fault located."""
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


def _canonical_command(data: bytes) -> UpdateSecurityCredentials:
    """The command read from canonical DER (see :mod:`._canonical`).

    Raises:
        _canonical.NotCanonical: for anything else, an execution date-time included.
    """
    outer = _canonical.Reader(data, 0, len(data))
    command = outer.inside(_canonical.SEQUENCE)
    outer.done()
    control = _canonical_control(command.inside(_canonical.SEQUENCE))
    replacements = command.inside(_canonical.SEQUENCE).items(_canonical_replacement)
    path = command.inside(_canonical.SEQUENCE).items(_canonical_certificate)
    command.done()
    return UpdateSecurityCredentials(control, replacements, path, None)


def _canonical_control(reader: _canonical.Reader) -> AuthorisingRemotePartyControl:
    mode = reader.integer()
    key = reader.optional(0x80, _canonical.Reader.octets)
    cpv = reader.optional(0x81, _canonical.Reader.integer)
    cell = reader.optional(0xA2, _canonical_cell)
    seq_number = reader.integer(0x83)
    floor = reader.optional(0x84, _canonical.Reader.integer)
    specialists = reader.optional(0xA5, _canonical.specialists)
    changes = reader.optional(0xA6, _canonical.changes)
    reader.done()
    return AuthorisingRemotePartyControl(
        mode=known(ReplacementMode, mode),
        seq_number=seq_number,
        authorising_cell=cell,
        apply_time_based_cpv_checks=None if cpv is None else known(CpvChecks, cpv),
        plaintext_symmetric_key=key,
        floor_seq_number=floor,
        specialist_floor_seq_numbers=specialists,
        other_seq_number_changes=changes,
    )


def _canonical_cell(reader: _canonical.Reader, tag: int) -> TrustAnchorCell:
    return _canonical.cell(reader.inside(tag))


def _canonical_replacement(reader: _canonical.Reader) -> TrustAnchorReplacement:
    inner = reader.inside(_canonical.SEQUENCE)
    certificate = inner.whole(_canonical.SEQUENCE)
    target = _canonical.cell(inner.inside(_canonical.SEQUENCE))
    inner.done()
    return TrustAnchorReplacement(certificate, target)


def _canonical_certificate(reader: _canonical.Reader) -> bytes:
    return reader.whole(_canonical.SEQUENCE)


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
    return write(lambda: _command_der(value), "UpdateSecurityCredentials")


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


# -- DER of the built value (:mod:`._der`), field by field as _asn1.UpdateSecurityCredentials


def _command_der(value: dict[str, Any]) -> bytes:
    certificates = value["certificationPathCertificates"]
    parts = [
        _control_der(value["authorisingRemotePartyControl"]),
        _der.sequence(_der.SEQUENCE, (_replacement_der(r) for r in value["replacements"])),
        _der.sequence(_der.SEQUENCE, (_der.embedded(c) for c in certificates)),
    ]
    when = value.get("executionDateTime")
    if when is not None:
        parts.append(_der.generalized_time(when))
    return _der.sequence(_der.SEQUENCE, parts)


def _control_der(value: dict[str, Any]) -> bytes:
    return _der.sequence(
        _der.SEQUENCE,
        (write_field(tag, value[name]) for name, tag, write_field in _CONTROL if name in value),
    )


def _cell_der(tag: int, value: dict[str, Any]) -> bytes:
    parts = [
        _der.integer(_der.INTEGER, value["trustAnchorCellRemotePartyRole"]),
        _der.key_usage(value["trustAnchorCellKeyUsage"]),
    ]
    usage = _der.integer(_der.INTEGER, value["trustAnchorCellUsage"])
    if usage != _MANAGEMENT:  # DER leaves out a value equal to the DEFAULT
        parts.append(usage)
    return _der.sequence(tag, parts)


def _specialists_der(tag: int, items: list[dict[str, Any]]) -> bytes:
    return _der.sequence(tag, (_specialist_der(item) for item in items))


def _specialist_der(item: dict[str, Any]) -> bytes:
    return _der.sequence(
        _der.SEQUENCE,
        (
            _der.integer(_der.INTEGER, item["seqNumberUsage"]),
            _der.integer(_der.INTEGER, item["seqNumber"]),
        ),
    )


def _changes_der(tag: int, items: list[dict[str, Any]]) -> bytes:
    return _der.sequence(tag, (_change_der(item) for item in items))


def _change_der(item: dict[str, Any]) -> bytes:
    parts = [
        _der.integer(_der.INTEGER, item["remotePartyRole"]),
        _der.integer(_der.INTEGER, item["floorSeqNumber"]),
    ]
    specialists = item.get("specialistFloorSeqNumbers")
    if specialists is not None:
        parts.append(_specialists_der(_der.SEQUENCE, specialists))
    return _der.sequence(_der.SEQUENCE, parts)


def _replacement_der(item: dict[str, Any]) -> bytes:
    return _der.sequence(
        _der.SEQUENCE,
        (
            _der.embedded(item["replacementCertificate"]),
            _cell_der(_der.SEQUENCE, item["targetTrustAnchorCell"]),
        ),
    )


_MANAGEMENT = _der.integer(_der.INTEGER, 0)
_CONTROL: tuple[tuple[str, int, Callable[[int, Any], bytes]], ...] = (
    ("credentialsReplacementMode", _der.INTEGER, _der.integer),
    ("plaintextSymmetricKey", 0x80, _der.octets),
    ("applyTimeBasedCPVChecks", 0x81, _der.integer),
    ("authorisingRemotePartyTACellIdentifier", 0xA2, _cell_der),
    ("authorisingRemotePartySeqNumber", 0x83, _der.integer),
    ("newRemotePartyFloorSeqNumber", 0x84, _der.integer),
    ("newRemotePartySpecialistFloorSeqNumber", 0xA5, _specialists_der),
    ("otherRemotePartySeqNumberChanges", 0xA6, _changes_der),
)
"""AuthorisingRemotePartyControl in field order: name, identifier octet ([n] are IMPLICIT
context-specific; [2], [5] and [6] constructed), writer."""
