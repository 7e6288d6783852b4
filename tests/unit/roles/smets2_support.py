"""Builders for the SMETS2 device tests: parties, devices and CS02b commands made with the real
codec (payload → PRECOMMAND → remote party signature → ACB MAC), as the DCC and its users do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from s1harness.gbcs.crypto import sign_apdu, verify_signature, wrap_mac
from s1harness.gbcs.frames import (
    Cra,
    GeneralSigningApdu,
    SignatureField,
    build_general_signing,
    decode,
)
from s1harness.gbcs.payloads import (
    AuthorisingRemotePartyControl,
    CpvChecks,
    ReplacementMode,
    SeqNumberChange,
    SpecialistSeqNumber,
    TrustAnchorCell,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
    UpdateSecurityCredentialsResponse,
    decode_update_security_credentials_response,
    encode_payload,
)
from s1harness.roles.smets2 import RULES, DeviceType, Smets2Device
from s1harness.smki import IssuedCertificate, PartyCredentials, SmkiCertificate, TestPki
from s1harness.smki.keys import PrivateKey
from s1harness.spec import Eui64, KeyUsage, RemotePartyRole

NOW = datetime(2026, 11, 21, tzinfo=UTC)
"""The device clock by default: every test PKI certificate is in date."""
ESME_ID = Eui64("00DB1234567890A0")
GPF_ID = Eui64("00DB1234567890A3")
SUPPLIER_ID = Eui64("90B3D51F30010000")
SUPPLIER_2_ID = Eui64("90B3D51F30030000")
NO_ID = Eui64("90B3D51F30020000")
ACB_ID = Eui64("90B3D51F30000002")
_UNSET = object()
_DS, _KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT


class ManualClock:
    """A device clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Parties:
    """The remote parties a device trusts at commissioning."""

    supplier: PartyCredentials
    network_operator: PartyCredentials
    acb: PartyCredentials


def parties(pki: TestPki) -> Parties:
    return Parties(
        supplier=pki.issue_party(SUPPLIER_ID, RemotePartyRole.SUPPLIER),
        network_operator=pki.issue_party(NO_ID, RemotePartyRole.NETWORK_OPERATOR),
        acb=pki.issue_party(ACB_ID, RemotePartyRole.ACCESS_CONTROL_BROKER),
    )


def rekeyed(pki: TestPki, party: PartyCredentials, generation: int = 1) -> PartyCredentials:
    """The same organisation's next DS and KA certificates (new keys, same EUI and role)."""
    eui, role = party.ds.certificate.eui, party.ds.certificate.role
    assert eui is not None and role is not None
    return PartyCredentials(
        ds=pki.issue_organisation(eui, role, _DS, generation=generation),
        ka=pki.issue_organisation(eui, role, _KA, generation=generation),
    )


def device(
    pki: TestPki,
    clock: ManualClock,
    *,
    device_type: DeviceType = DeviceType.ESME,
    device_id: Eui64 = ESME_ID,
    placeholders: bool = False,
    next_alert_counter: int = 2000,
) -> Smets2Device:
    """A commissioned device; ``placeholders`` leaves ACB certificates in supplier/NO cells."""
    known = parties(pki)
    return Smets2Device.commissioned(
        pki,
        device_id,
        device_type,
        supplier=None if placeholders else known.supplier,
        network_operator=None if placeholders else known.network_operator,
        acb=known.acb,
        clock=clock,
        next_alert_counter=next_alert_counter,
    )


def update(
    pki: TestPki,
    mode: ReplacementMode,
    seq: int,
    replacements: Sequence[tuple[IssuedCertificate | bytes, TrustAnchorCell]],
    *,
    authorising_cell: object = _UNSET,
    floor: int | None = 0,
    specialist: tuple[SpecialistSeqNumber, ...] | None = None,
    other: tuple[SeqNumberChange, ...] | None = None,
    cpv: CpvChecks | None = None,
    execution: datetime | None = None,
    path: Sequence[bytes] | None = None,
) -> UpdateSecurityCredentials:
    """A CS02b/CS02g payload; by default authorised by the mode's cell, path = [org CA]."""
    cell = RULES[mode].authorising_cell if authorising_cell is _UNSET else authorising_cell
    assert cell is None or isinstance(cell, TrustAnchorCell)
    control = AuthorisingRemotePartyControl(
        mode=mode,
        seq_number=seq,
        authorising_cell=cell,
        apply_time_based_cpv_checks=cpv,
        floor_seq_number=floor,
        specialist_floor_seq_numbers=specialist,
        other_seq_number_changes=other,
    )
    return UpdateSecurityCredentials(
        control=control,
        replacements=tuple(
            TrustAnchorReplacement(_der(cert), target) for cert, target in replacements
        ),
        certification_path_certificates=tuple(
            path if path is not None else (pki.org_ca.certificate.der,)
        ),
        execution_date_time=execution,
    )


def _der(cert: IssuedCertificate | bytes) -> bytes:
    return cert if isinstance(cert, bytes) else cert.certificate.der


def command_frame(
    payload: UpdateSecurityCredentials,
    *,
    originator: Eui64,
    signer: PrivateKey | None,
    acb_ka: PrivateKey | None,
    target: Smets2Device,
    counter: int | None = None,
    message_code: int | None = None,
) -> bytes:
    """PRECOMMAND → signature by ``signer`` (or ``00``) → MAC by the ACB (or a bare ``DF``)."""
    precommand = build_general_signing(
        cra=Cra.COMMAND,
        counter=payload.control.seq_number if counter is None else counter,
        originator=originator,
        target=target.device_id,
        other_information=message_code or ReplacementMode(payload.control.mode).message_code,
        content=encode_payload(payload),
        signature_field=SignatureField.ABSENT if signer else SignatureField.EMPTY,
    )
    apdu = sign_apdu(precommand, signer) if signer is not None else precommand
    if acb_ka is None:
        return apdu.raw
    return wrap_mac(apdu, acb_ka, target.ka_certificate.public_key()).raw


def signed_by(
    party: PartyCredentials,
    payload: UpdateSecurityCredentials,
    target: Smets2Device,
    acb: PartyCredentials,
    **kwargs: object,
) -> bytes:
    """A command signed by ``party`` and MAC'd by ``acb`` (the usual critical command)."""
    eui = party.ds.certificate.eui
    assert eui is not None
    return command_frame(
        payload,
        originator=eui,
        signer=party.ds.private_key,
        acb_ka=acb.ka.private_key,
        target=target,
        **kwargs,  # type: ignore[arg-type]
    )


def response_of(
    frame: bytes, device: Smets2Device
) -> tuple[GeneralSigningApdu, UpdateSecurityCredentialsResponse]:
    """A device response: a bare signed ``DF`` that verifies with the device DS certificate."""
    apdu = decode(frame)
    assert isinstance(apdu, GeneralSigningApdu)
    assert apdu.cra is Cra.RESPONSE
    assert verify_signature(apdu, device.ds_certificate.public_key())
    return apdu, decode_update_security_credentials_response(apdu.content)


def statuses(response: UpdateSecurityCredentialsResponse) -> list[int]:
    assert response.outcome is not None
    return [int(o.status) for o in response.outcome.replacement_outcomes]


def held(device: Smets2Device, cell: TrustAnchorCell) -> SmkiCertificate | None:
    return device.cells.certificate(cell)
