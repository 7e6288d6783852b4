"""Typed DUIS 5.4 messages: build and parse requests, responses, alerts and SMETS1 responses.

Sans-IO: every function takes or returns an lxml element tree; reading bytes safely is
:func:`s1harness.duis.xml.parse`, writing them :func:`s1harness.duis.xml.serialise`, and XML
signatures are another module's business (a parsed ``ds:Signature`` is skipped, a built
message is unsigned).

* :func:`to_element` turns a :class:`Request`, :class:`Response`, :class:`S1SPAlert` or
  :class:`SMETS1SignedResponse` into a fresh tree that validates against the DUIS 5.4 XSD
  (once signed where the XSD requires it).
* :func:`parse_message` and the ``parse_*`` functions read a root element back, raising
  :class:`~s1harness.duis.errors.DuisParseError` with the element path and line on any
  structural problem.

Modelled in full: SRV 6.15.1 (``UpdateSecurityCredentialsKRP``), SRV 6.21
(``RequestHandoverOfDCCControlledDevice``), ``SignedPreCommand``; every ``sr:Response`` body
with the ResponseMessage contents of the credential flow (the PreCommand); the
``SecurityCredentialsUpdated`` and ``S1SPAlertDSP`` DCC alerts; SMETS1 responses with the
6.15.1 ``ExecutionOutcome`` (MMC ``ra:``). Every other body or choice passes through
unchanged as :class:`GenericBody` / :class:`GenericContent`.

S1SP-signed objects (:class:`S1SPAlert`, :class:`SMETS1SignedResponse`) keep the element they
were parsed from in ``element`` (excluded from equality) so that a DSP can relay them byte for
byte with the S1SP's signature intact.
"""

from s1harness.duis.messages.alerts import (
    CertificateHash,
    DccAlert,
    DCCAlertMessage,
    S1SPAlert,
    S1SPAlertDSP,
    SecurityCredentialsUpdated,
)
from s1harness.duis.messages.bodies import (
    GenericBody,
    ReplacementCertificates,
    RequestBody,
    RequestHandoverOfDCCControlledDevice,
    SignedPreCommand,
    UpdateSecurityCredentialsKRP,
)
from s1harness.duis.messages.codec import (
    Message,
    parse_message,
    parse_request,
    parse_response,
    parse_s1sp_alert,
    parse_smets1_signed_response,
    to_element,
)
from s1harness.duis.messages.common import (
    CertificateType,
    DuisRemotePartyRole,
    GenericContent,
    RequestId,
)
from s1harness.duis.messages.mmc import (
    ClockStatus,
    DeviceAlertContent,
    GbcsData,
    SMETS1DeviceAlertMessage,
    SMETS1Header,
    SMETS1ResponsePayload,
    SMETS1Timestamp,
    UpdateSecurityCredentialsKRPRsp,
)
from s1harness.duis.messages.mmc_outcome import (
    Asn1Status,
    CredentialsReplacementMode,
    ExecutionOutcome,
    RemotePartySeqNumberChange,
    ReplacementOutcome,
)
from s1harness.duis.messages.requests import Request, RequestHeader
from s1harness.duis.messages.responses import (
    DeviceAlertMessage,
    FutureDatedDeviceAlertMessage,
    GbcsPayload,
    LocalCommand,
    PreCommand,
    Response,
    ResponseBody,
    ResponseContent,
    ResponseHeader,
    ResponseMessage,
)
from s1harness.duis.messages.smets1 import (
    SMETS1Response,
    SMETS1ResponseMessage,
    SMETS1SignedResponse,
)

__all__ = [
    "Asn1Status",
    "CertificateHash",
    "CertificateType",
    "ClockStatus",
    "CredentialsReplacementMode",
    "DCCAlertMessage",
    "DccAlert",
    "DeviceAlertContent",
    "DeviceAlertMessage",
    "DuisRemotePartyRole",
    "ExecutionOutcome",
    "FutureDatedDeviceAlertMessage",
    "GbcsData",
    "GbcsPayload",
    "GenericBody",
    "GenericContent",
    "LocalCommand",
    "Message",
    "PreCommand",
    "RemotePartySeqNumberChange",
    "ReplacementCertificates",
    "ReplacementOutcome",
    "Request",
    "RequestBody",
    "RequestHandoverOfDCCControlledDevice",
    "RequestHeader",
    "RequestId",
    "Response",
    "ResponseBody",
    "ResponseContent",
    "ResponseHeader",
    "ResponseMessage",
    "S1SPAlert",
    "S1SPAlertDSP",
    "SMETS1DeviceAlertMessage",
    "SMETS1Header",
    "SMETS1Response",
    "SMETS1ResponseMessage",
    "SMETS1ResponsePayload",
    "SMETS1SignedResponse",
    "SMETS1Timestamp",
    "SecurityCredentialsUpdated",
    "SignedPreCommand",
    "UpdateSecurityCredentialsKRP",
    "UpdateSecurityCredentialsKRPRsp",
    "parse_message",
    "parse_request",
    "parse_response",
    "parse_s1sp_alert",
    "parse_smets1_signed_response",
    "to_element",
]
