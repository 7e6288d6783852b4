"""The checks a SMETS2 device applies to a CS02b/CS02g command before acting on it.

In order; the first failure refuses the command:

1. the frame decodes; it is a command addressed to this device;
2. the message code is CS02b/CS02g, the payload decodes, and its mode is the one the code
   carries and one the emulator supports;
3. the ARPC ``[2]`` names the mode's authorising cell and every target cell is one the mode
   may replace;
4. the ACB MAC verifies (device KA key × the certificate in the ACB KA cell); a ``DD`` frame
   is always checked, and only recovery may come without one;
5. the authorising cell (the ACB KA cell for ACB-by-ACB) holds a certificate whose subject is
   the Business Originator — in RTDS the originator always is that subject;
6. the signature verifies with that certificate (not for ACB-by-ACB, which is MAC-only);
7. ARPC ``[3]`` equals the header counter, which exceeds the authoriser's floor.

Each check raises :class:`~.rejection.RefusalError`; nothing here changes state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, MacEnvelope, decode
from s1harness.gbcs.payloads import (
    ReplacementMode,
    UpdateSecurityCredentials,
    decode_update_security_credentials,
)
from s1harness.roles.smets2.cells import ACB_KA, TrustAnchorCells, describe, normalise
from s1harness.roles.smets2.floors import FloorSeqNumbers
from s1harness.roles.smets2.rejection import RefusalError, RejectionReason
from s1harness.roles.smets2.rules import ModeRule, rule_for
from s1harness.smki import SmkiCertificate
from s1harness.spec.identifiers import Eui64

MacVerifier = Callable[[MacEnvelope, SmkiCertificate], bool]
"""Checks a command's MAC given the certificate in the device's ACB KA cell."""

_Reason = RejectionReason


@dataclass(frozen=True, slots=True)
class AcceptedCommand:
    """A command that passed every check, with the rule of its mode."""

    apdu: GeneralSigningApdu
    command: UpdateSecurityCredentials
    rule: ModeRule

    @property
    def originator(self) -> Eui64:
        return self.apdu.originator

    @property
    def counter(self) -> int:
        return self.apdu.counter

    @property
    def execution_date_time(self) -> datetime | None:
        return self.command.execution_date_time


def decode_frame(frame: bytes) -> tuple[MacEnvelope | None, GeneralSigningApdu]:
    """The envelope (if any) and the General-Signing APDU of ``frame``."""
    try:
        decoded = decode(frame)
    except GbcsCodecError as error:
        raise RefusalError(_Reason.MALFORMED, error.message) from None
    if isinstance(decoded, MacEnvelope):
        return decoded, decoded.apdu
    return None, decoded


def authenticate(
    envelope: MacEnvelope | None,
    apdu: GeneralSigningApdu,
    *,
    device_id: Eui64,
    cells: TrustAnchorCells,
    floors: FloorSeqNumbers,
    verify_mac: MacVerifier,
) -> AcceptedCommand:
    """Apply checks 1–7 of the module docstring; raise :class:`RefusalError` at the first."""
    _check_addressing(apdu, device_id)
    command, rule = _decode_command(apdu)
    _check_cells(command, rule)
    _check_mac(envelope, rule, cells, verify_mac)
    authoriser = _authoriser_certificate(apdu, rule, cells)
    _check_signature(apdu, rule, authoriser)
    _check_sequence(apdu, command, rule, floors)
    return AcceptedCommand(apdu, command, rule)


def accepted_again(apdu: GeneralSigningApdu) -> AcceptedCommand:
    """A command the device accepted before (a future-dated one it holds, read back from its
    stored state): decoded again, without the checks it passed when it arrived.

    Raises:
        RefusalError: when the APDU is not a command this module decodes.
    """
    command, rule = _decode_command(apdu)
    return AcceptedCommand(apdu, command, rule)


def _check_addressing(apdu: GeneralSigningApdu, device_id: Eui64) -> None:
    if apdu.cra is not Cra.COMMAND:
        raise RefusalError(_Reason.NOT_ADDRESSED_TO_DEVICE, f"CRA {apdu.cra.name}, not a command")
    if apdu.target != device_id:
        raise RefusalError(_Reason.NOT_ADDRESSED_TO_DEVICE, f"addressed to {apdu.target}")


def _decode_command(apdu: GeneralSigningApdu) -> tuple[UpdateSecurityCredentials, ModeRule]:
    mode = ReplacementMode.for_message_code(apdu.message_code)
    if mode is None:
        raise RefusalError(_Reason.UNSUPPORTED, f"message code 0x{apdu.message_code:04X}")
    try:
        command = decode_update_security_credentials(apdu.content)
    except GbcsCodecError as error:
        raise RefusalError(_Reason.MALFORMED, error.message) from None
    if command.control.mode != mode:
        detail = f"mode {int(command.control.mode)} under message code 0x{mode.message_code:04X}"
        raise RefusalError(_Reason.MODE_MISMATCH, detail)
    rule = rule_for(mode)
    if rule is None:
        raise RefusalError(_Reason.UNSUPPORTED, f"credentials replacement mode {mode.name}")
    return command, rule


def _check_cells(command: UpdateSecurityCredentials, rule: ModeRule) -> None:
    named = command.control.authorising_cell
    if (None if named is None else normalise(named)) != rule.authorising_cell:
        shown = "none" if named is None else describe(named)
        raise RefusalError(_Reason.MODE_MISMATCH, f"authorising cell {shown} for {rule.mode.name}")
    for replacement in command.replacements:
        if normalise(replacement.target) not in rule.targets:
            detail = f"{rule.mode.name} may not replace {describe(replacement.target)}"
            raise RefusalError(_Reason.MODE_MISMATCH, detail)


def _check_mac(
    envelope: MacEnvelope | None, rule: ModeRule, cells: TrustAnchorCells, verify: MacVerifier
) -> None:
    if envelope is None:
        if rule.mac_required:
            raise RefusalError(_Reason.MAC_FAILURE, f"{rule.mode.name} needs the ACB MAC")
        return
    acb = cells.certificate(ACB_KA)
    if acb is None:
        raise RefusalError(_Reason.MAC_FAILURE, "no ACB KA certificate to check the MAC with")
    if not verify(envelope, acb):
        raise RefusalError(_Reason.MAC_FAILURE, f"MAC does not verify with ACB KA {acb.eui}")


def _authoriser_certificate(
    apdu: GeneralSigningApdu, rule: ModeRule, cells: TrustAnchorCells
) -> SmkiCertificate:
    cell = rule.authorising_cell or ACB_KA
    if cell not in cells:
        raise RefusalError(_Reason.UNKNOWN_AUTHORISER, f"the device has no {describe(cell)} cell")
    certificate = cells.certificate(cell)
    if certificate is None:
        raise RefusalError(_Reason.UNKNOWN_AUTHORISER, f"the {describe(cell)} cell is empty")
    if certificate.eui != apdu.originator:
        detail = f"originator {apdu.originator} is not {certificate.eui} of {describe(cell)}"
        raise RefusalError(_Reason.UNKNOWN_AUTHORISER, detail)
    return certificate


def _check_signature(
    apdu: GeneralSigningApdu, rule: ModeRule, certificate: SmkiCertificate
) -> None:
    if not rule.signed:
        return  # ACB-by-ACB: the MAC authenticated it (GBCS §13.3.3.1)
    if apdu.signature is None:
        raise RefusalError(_Reason.SIGNATURE_FAILURE, f"{rule.mode.name} must be signed")
    if not verify_signature(apdu, certificate.public_key()):
        detail = f"signature does not verify with {certificate.eui} (SKI {_ski(certificate)})"
        raise RefusalError(_Reason.SIGNATURE_FAILURE, detail)


def _check_sequence(
    apdu: GeneralSigningApdu,
    command: UpdateSecurityCredentials,
    rule: ModeRule,
    floors: FloorSeqNumbers,
) -> None:
    if command.control.seq_number != apdu.counter:
        detail = f"ARPC seq {command.control.seq_number} but header counter {apdu.counter}"
        raise RefusalError(_Reason.SEQUENCE_MISMATCH, detail)
    if not floors.accepts(rule.authoriser, apdu.counter):
        floor = floors.floor(rule.authoriser)
        detail = f"counter {apdu.counter} ≤ {rule.authoriser.spec_name} floor {floor}"
        raise RefusalError(_Reason.REPLAY, detail)


def _ski(certificate: SmkiCertificate) -> str:
    return certificate.ski.hex().upper() if certificate.ski else "-"
