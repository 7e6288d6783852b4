"""What a SMETS2 device sends: CS02b/CS02g responses and future-dated alerts, protected.

* **Responses** echo the command's counter and message code with originator and target
  swapped, and carry the device's date-time in the header, as every RTDS CS02b/CS02g response
  does.
* **Alerts** carry the device's own alert counter, no date-time, and go to the originator of
  the future-dated command.
* **Protection**: critical messages are signed with the device DS key and
  sent as a bare ``DF``; non-critical ones are unsigned (``00``) in a MAC envelope keyed by the
  device KA key and the KA certificate of the target held in the device's cells. Every frame
  of the CS02b family is critical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from s1harness.gbcs.crypto import sign_apdu, wrap_mac
from s1harness.gbcs.dlms import encode_date_time
from s1harness.gbcs.frames import (
    Cra,
    GeneralSigningApdu,
    build_general_signing,
    decode_general_signing,
)
from s1harness.gbcs.payloads import (
    AlertCode,
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    encode_payload,
)
from s1harness.roles.smets2.cells import TrustAnchorCells
from s1harness.roles.smets2.checks import AcceptedCommand
from s1harness.roles.smets2.replacement import Execution
from s1harness.smki import SmkiCertificate
from s1harness.smki.keys import PrivateKey
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    """The device's own identity and private keys, as used to protect what it sends."""

    device_id: Eui64
    ds_key: PrivateKey
    ka_key: PrivateKey


def protect(
    apdu: GeneralSigningApdu, *, critical: bool, keys: DeviceKeys, cells: TrustAnchorCells
) -> bytes:
    """The frame for an unsigned APDU: signed bare ``DF`` if critical, else MAC'd ``DD``.

    Raises:
        InputError: for a non-critical message to a party with no KA certificate in the cells.
    """
    if critical:
        return sign_apdu(apdu, keys.ds_key).raw
    unsigned = decode_general_signing(apdu.unsigned + b"\x00")
    peer = target_ka_certificate(apdu.target, cells)
    return wrap_mac(unsigned, keys.ka_key, peer.public_key()).raw


def target_ka_certificate(target: Eui64, cells: TrustAnchorCells) -> SmkiCertificate:
    """The KA certificate of ``target`` in the device's cells (management cells first).

    Raises:
        InputError: when no KA cell holds a certificate of ``target``.
    """
    for cell, content in sorted(cells.items(), key=lambda item: int(item[0].cell_usage)):
        certificate = content.certificate if cell.key_usage is KeyUsage.KEY_AGREEMENT else None
        if certificate is not None and certificate.eui == target:
            return certificate
    raise InputError(f"no KA certificate of {target} in the device's trust anchor cells")


def build_response(
    keys: DeviceKeys, accepted: AcceptedCommand, execution: Execution | None, now: datetime
) -> GeneralSigningApdu:
    """The unsigned CS02b/CS02g response: commandAccepted, with the outcome if executed."""
    payload = UpdateSecurityCredentialsResponse(None if execution is None else execution.outcome)
    return build_general_signing(
        cra=Cra.RESPONSE,
        counter=accepted.counter,
        originator=keys.device_id,
        target=accepted.originator,
        other_information=accepted.apdu.message_code,
        content=encode_payload(payload),
        date_time=encode_date_time(now),
    )


def build_alert(
    keys: DeviceKeys,
    counter: int,
    accepted: AcceptedCommand,
    execution: Execution,
) -> GeneralSigningApdu:
    """The unsigned 8F66/8F67 alert for a future-dated command that has been executed."""
    code = AlertCode.FUTURE_DATED_SUCCESS if execution.succeeded else AlertCode.FUTURE_DATED_FAILURE
    when = accepted.execution_date_time
    assert when is not None  # only future-dated commands raise this alert
    payload = UpdateSecurityCredentialsAlert(code, when, execution.outcome)
    return build_general_signing(
        cra=Cra.ALERT,
        counter=counter,
        originator=keys.device_id,
        target=accepted.originator,
        other_information=accepted.rule.alert_message_code,
        content=encode_payload(payload),
    )
