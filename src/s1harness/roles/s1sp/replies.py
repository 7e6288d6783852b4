"""What an S1SP sends the DSP: SMETS1 responses and S1SP alerts, signed by the S1SP.

Both are signed standalone (see :mod:`s1harness.duis.signature`), so they verify after the DSP
embeds them in its own response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from s1harness.duis import xml
from s1harness.duis.messages import (
    DeviceAlertContent,
    RequestId,
    S1SPAlert,
    SMETS1DeviceAlertMessage,
    SMETS1Header,
    SMETS1Response,
    SMETS1ResponsePayload,
    SMETS1SignedResponse,
    SMETS1Timestamp,
    UpdateSecurityCredentialsKRPRsp,
    to_element,
)
from s1harness.duis.messages import ExecutionOutcome as Smets1Outcome
from s1harness.duis.signature import sign
from s1harness.smki.certificate import SmkiCertificate
from s1harness.smki.keys import PrivateKey
from s1harness.spec.bus import Envelope, Kind, dsp_from_s1sp
from s1harness.spec.codes import Code
from s1harness.spec.identifiers import Eui64


@dataclass(frozen=True)
class S1spSigner:
    """The S1SP's XML-signing credentials."""

    key: PrivateKey
    certificate: SmkiCertificate


def alert(
    signer: S1spSigner,
    code: Code,
    *,
    request_id: RequestId | None,
    device_id: Eui64,
    reason: str,
    at: datetime,
    recipient: Eui64 | None = None,
) -> Envelope:
    """An ``S1SPAlert`` to the DSP (for the requester, or ``recipient`` without a request)."""
    message = S1SPAlert(
        request_id=request_id,
        device_id=device_id,
        alert_code=code.code,
        additional_information=reason[:250],
        date_time=at,
    )
    root = sign(to_element(message), signer.key, signer.certificate, embedded=True)
    correlation = str(request_id) if request_id else f"{device_id}:{at.isoformat()}"
    headers = (("recipient", str(recipient)),) if recipient else ()
    return Envelope(dsp_from_s1sp(), Kind.S1SP_RESPONSE, xml.serialise(root), correlation, headers)


def credentials_response(
    signer: S1spSigner, request_id: RequestId, outcome: Smets1Outcome, *, variant: str, at: datetime
) -> Envelope:
    """The SMETS1 response to a 6.15.1 / 6.21: ``UpdateSecurityCredentialsKRPRsp``."""
    header = SMETS1Header(
        business_originator_id=request_id.target,
        business_target_id=request_id.originator,
        originator_counter=request_id.counter,
        service_reference=".".join(variant.split(".")[:2]),
        service_reference_variant=variant,
        timestamp=SMETS1Timestamp(at),
    )
    payload = SMETS1ResponsePayload(
        smets_data=UpdateSecurityCredentialsKRPRsp(message_success=True, execution_outcome=outcome)
    )
    return _signed_response(signer, SMETS1Response(header, payload), str(request_id))


def device_alert(
    signer: S1spSigner,
    device_id: Eui64,
    recipient: Eui64,
    *,
    counter: int,
    code: str,
    description: str,
    at: datetime,
) -> Envelope:
    """A SMETS1 device alert, addressed to the owner of the slot it belongs to."""
    header = SMETS1Header(
        business_originator_id=device_id,
        business_target_id=recipient,
        originator_counter=counter,
        timestamp=SMETS1Timestamp(at),
    )
    body = SMETS1DeviceAlertMessage(content=DeviceAlertContent(description[:250], at, code))
    return _signed_response(signer, SMETS1Response(header, body), f"{device_id}:{counter}")


def _signed_response(signer: S1spSigner, response: SMETS1Response, correlation: str) -> Envelope:
    root = sign(
        to_element(SMETS1SignedResponse(response=response)),
        signer.key,
        signer.certificate,
        embedded=True,
    )
    return Envelope(dsp_from_s1sp(), Kind.S1SP_RESPONSE, xml.serialise(root), correlation)
