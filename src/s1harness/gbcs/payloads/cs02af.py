"""CS02a / CS02f Provide Security Credentials Details (GBCS §5).

A remote party asks which certificates a device holds for some roles (CS02a, message code
0x0008; CS02f, 0x011B, the same ASN.1 that may also ask for the loadController role). The device
answers per role: a statusCode and, on success, the current seq number and its cells. The
response is device-generated and encodes with the ``82 00 nn`` length form of GBCS §4.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from s1harness.gbcs.payloads import _asn1
from s1harness.gbcs.payloads._ber import device_lengths
from s1harness.gbcs.payloads._convert import (
    cell_value,
    key_usage_value,
    read_cell,
    read_cell_usage,
    read_role,
)
from s1harness.gbcs.payloads._node import SKI_LENGTH, Node, dump, known, load
from s1harness.gbcs.payloads.cells import CellUsage, StatusCode, TrustAnchorCell
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole


@dataclass(frozen=True, slots=True)
class ProvideSecurityCredentials:
    """The CS02a/CS02f command: the authorising cell and the roles asked about."""

    authorising_cell: TrustAnchorCell
    roles: tuple[RemotePartyRole | int, ...]


@dataclass(frozen=True, slots=True)
class TrustAnchorCellDetails:
    """One cell a device holds for a role: its usage and the certificate's EUI and SKI."""

    key_usage: KeyUsage
    subject_unique_id: Eui64
    subject_key_id: bytes
    cell_usage: CellUsage | int = CellUsage.MANAGEMENT


@dataclass(frozen=True, slots=True)
class RemotePartyCredentials:
    """The answer for one role. Only role and status are present when the status is not 0.

    Attributes:
        role: The role asked about.
        status: statusCode (25 trustAnchorNotFound for a role the device has no cell for).
        current_seq_number: The device's current seq number for the role.
        cells: The role's cells; None when absent.
    """

    role: RemotePartyRole | int
    status: StatusCode | int
    current_seq_number: int | None = None
    cells: tuple[TrustAnchorCellDetails, ...] | None = None


@dataclass(frozen=True, slots=True)
class ProvideSecurityCredentialsResponse:
    """The CS02a/CS02f response: one entry per role asked about."""

    credentials: tuple[RemotePartyCredentials, ...]


def decode_provide_security_credentials(content: bytes) -> ProvideSecurityCredentials:
    """Decode a CS02a/CS02f command payload (message codes 0x0008, 0x011B).

    Raises:
        GbcsCodecError: if the payload is not a well-formed ProvideSecurityCredentials.
    """
    fields = load(_asn1.ProvideSecurityCredentials, content, "ProvideSecurityCredentials").fields()
    roles = fields.need("remotePartyRolesCredentialsRequired").items()
    return ProvideSecurityCredentials(
        authorising_cell=read_cell(fields.need("authorisingRemotePartyTACellIdentifier")),
        roles=tuple(read_role(role) for role in roles),
    )


def decode_provide_security_credentials_response(
    content: bytes,
) -> ProvideSecurityCredentialsResponse:
    """Decode a CS02a/CS02f response payload.

    Raises:
        GbcsCodecError: if the payload is not a well-formed response.
    """
    spec = _asn1.ProvideSecurityCredentialsResponse
    root = load(spec, content, "ProvideSecurityCredentialsResponse")
    return ProvideSecurityCredentialsResponse(tuple(_read_credentials(n) for n in root.items()))


def _read_credentials(node: Node) -> RemotePartyCredentials:
    fields = node.fields()
    seq, cells = fields.get("currentSeqNumber"), fields.get("trustAnchorCellDetails")
    return RemotePartyCredentials(
        role=read_role(fields.need("remotePartyRole")),
        status=known(StatusCode, fields.need("statusCode").integer()),
        current_seq_number=None if seq is None else seq.integer(),
        cells=None if cells is None else tuple(_read_details(n) for n in cells.items()),
    )


def _read_details(node: Node) -> TrustAnchorCellDetails:
    fields = node.fields()
    return TrustAnchorCellDetails(
        key_usage=fields.need("keyUsage").key_usage(),
        subject_unique_id=fields.need("subjectUniqueID").eui(),
        subject_key_id=fields.need("subjectKeyIdentifier").octets(SKI_LENGTH),
        cell_usage=read_cell_usage(fields.get("cellUsage")),
    )


def encode_provide_security_credentials(command: ProvideSecurityCredentials) -> bytes:
    """Encode a CS02a/CS02f command payload as minimal DER."""
    value = {
        "authorisingRemotePartyTACellIdentifier": cell_value(command.authorising_cell),
        "remotePartyRolesCredentialsRequired": [int(role) for role in command.roles],
    }
    return dump(_asn1.ProvideSecurityCredentials, value, "ProvideSecurityCredentials")


def encode_provide_security_credentials_response(
    response: ProvideSecurityCredentialsResponse,
) -> bytes:
    """Encode a CS02a/CS02f response the way a device does (``82 00 nn``, GBCS §4.5)."""
    value = [_credentials_value(c) for c in response.credentials]
    spec = _asn1.ProvideSecurityCredentialsResponse
    return device_lengths(dump(spec, value, "ProvideSecurityCredentialsResponse"))


def _credentials_value(credentials: RemotePartyCredentials) -> dict[str, Any]:
    value: dict[str, Any] = {
        "remotePartyRole": int(credentials.role),
        "statusCode": int(credentials.status),
    }
    if credentials.current_seq_number is not None:
        value["currentSeqNumber"] = credentials.current_seq_number
    if credentials.cells is not None:
        value["trustAnchorCellDetails"] = [_details_value(c) for c in credentials.cells]
    return value


def _details_value(details: TrustAnchorCellDetails) -> dict[str, Any]:
    return {
        "keyUsage": key_usage_value(details.key_usage),
        "cellUsage": int(details.cell_usage),
        "subjectUniqueID": Eui64(details.subject_unique_id).octets,
        "subjectKeyIdentifier": details.subject_key_id,
    }
