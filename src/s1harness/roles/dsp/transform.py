"""Transform a DUIS 6.15.1 / 6.21 body into the GBCS CS02b command (DUIS CV 4).

The mapping follows the RTDS pairs of DUIS templates and GBCS commands:

* RemotePartyRole → replacement mode and authorising cell: Supplier → supplierBySupplier (2),
  authorised by the supplier DS cell; NetworkOperator → networkOperatorByNetworkOperator (3),
  NO DS cell; LoadController → loadControllerBySupplier (11), supplier DS cell.
* The RequestID counter is the ARPC seq number and the GBCS originator counter.
* ``ApplyTimeBasedCPVChecks`` true → the field omitted (apply); false → disapply.
* ``RemotePartyFloorSeqNumber`` → ``[4]`` (for LoadController: ``[6]`` for role 8, as RTDS
  shows), ``RemotePartyPrepaymentTopUpFloorSeqNumber`` → ``[5]`` usage 0.
* DS / KA / KA-TopUp → the role's DS, KA, and KA prepayment-top-up cells.
* A DUIS cancellation (``3000-12-31T00:00:00Z``) becomes GBCS ``9999-12-31T23:59:59Z``.

For SMETS1 devices the DSP issues the same pre-command: the S1SP verifies the user's
signature over it with the Notified Critical certificate (a harness decision: DUIS §1.4.2's
SMETS1 variations are not public).
"""

from __future__ import annotations

from datetime import UTC, datetime

from s1harness.duis.messages import (
    DuisRemotePartyRole,
    RequestHandoverOfDCCControlledDevice,
    RequestId,
    UpdateSecurityCredentialsKRP,
)
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, build_general_signing
from s1harness.gbcs.message_codes import for_replacement_mode
from s1harness.gbcs.payloads import (
    AuthorisingRemotePartyControl,
    CellUsage,
    CpvChecks,
    ReplacementMode,
    SeqNumberChange,
    SeqNumberUsage,
    SpecialistSeqNumber,
    TrustAnchorCell,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
    encode_payload,
)
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

DUIS_CANCELLATION = datetime(3000, 12, 31, tzinfo=UTC)
GBCS_CANCELLATION = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_S, _N, _L = (
    RemotePartyRole.SUPPLIER,
    RemotePartyRole.NETWORK_OPERATOR,
    RemotePartyRole.LOAD_CONTROLLER,
)
_MODES = {
    DuisRemotePartyRole.SUPPLIER: (ReplacementMode.SUPPLIER_BY_SUPPLIER, _S, _S),
    DuisRemotePartyRole.NETWORK_OPERATOR: (
        ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
        _N,
        _N,
    ),
    DuisRemotePartyRole.LOAD_CONTROLLER: (ReplacementMode.LOAD_CONTROLLER_BY_SUPPLIER, _S, _L),
}
"""RemotePartyRole → (mode, authorising role, target cell role)."""

Body = UpdateSecurityCredentialsKRP | RequestHandoverOfDCCControlledDevice


def _mode(body: Body) -> tuple[ReplacementMode, RemotePartyRole, RemotePartyRole]:
    role = body.remote_party_role
    if role not in _MODES:
        raise InputError(f"RemotePartyRole {role} cannot be transformed for 6.15.1/6.21")
    return _MODES[role]


def update_security_credentials(body: Body, seq_number: int) -> UpdateSecurityCredentials:
    """The CS02b payload for a 6.15.1 (or 6.21) body."""
    mode, authoriser, target = _mode(body)
    floor, specialist, others = _floors(body, target)
    cpv = None if body.apply_time_based_cpv_checks else CpvChecks.DISAPPLY
    control = AuthorisingRemotePartyControl(
        mode=mode,
        seq_number=seq_number,
        authorising_cell=TrustAnchorCell(authoriser, KeyUsage.DIGITAL_SIGNATURE),
        apply_time_based_cpv_checks=cpv,
        floor_seq_number=floor,
        specialist_floor_seq_numbers=specialist,
        other_seq_number_changes=others,
    )
    return UpdateSecurityCredentials(
        control=control,
        replacements=_replacements(body, target),
        certification_path_certificates=tuple(body.certification_path_certificates),
        execution_date_time=_execution(body.execution_date_time),
    )


_Floors = tuple[
    int | None, tuple[SpecialistSeqNumber, ...] | None, tuple[SeqNumberChange, ...] | None
]


def _floors(body: Body, target: RemotePartyRole) -> _Floors:
    """``[4]``, ``[5]`` and ``[6]`` of the ARPC."""
    floor = body.remote_party_floor_seq_number
    top_up = body.remote_party_prepayment_top_up_floor_seq_number
    if target is _L:
        return None, None, ((SeqNumberChange(_L, floor),) if floor is not None else None)
    specialist = (SpecialistSeqNumber(SeqNumberUsage(0), top_up),) if top_up is not None else None
    return floor, specialist, None


def _replacements(body: Body, role: RemotePartyRole) -> tuple[TrustAnchorReplacement, ...]:
    certificates = body.replacement_certificates
    slots = (
        (certificates.digital_signing, KeyUsage.DIGITAL_SIGNATURE, CellUsage.MANAGEMENT),
        (certificates.key_agreement, KeyUsage.KEY_AGREEMENT, CellUsage.MANAGEMENT),
        (certificates.key_agreement_top_up, KeyUsage.KEY_AGREEMENT, CellUsage.PREPAYMENT_TOP_UP),
    )
    return tuple(
        TrustAnchorReplacement(der, TrustAnchorCell(role, usage, cell))
        for der, usage, cell in slots
        if der is not None
    )


def _execution(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return GBCS_CANCELLATION if when >= DUIS_CANCELLATION else when


def precommand(
    body: Body, request_id: RequestId, *, originator: Eui64 | None = None
) -> GeneralSigningApdu:
    """The PRECOMMAND for a critical request: CS02b from the user (or, for 6.21, the ACB)."""
    payload = update_security_credentials(body, request_id.counter)
    return build_general_signing(
        cra=Cra.COMMAND,
        counter=request_id.counter,
        originator=originator or request_id.originator,
        target=request_id.target,
        other_information=for_replacement_mode(int(payload.control.mode)).code,
        content=encode_payload(payload),
    )
