"""The ASN.1 payloads of the GBCS CS02 use cases and their alerts, decoded and built.

Sans-IO: bytes in, typed frozen dataclasses out, and back.

* CS02b/CS02g Update Security Credentials (0x0100..0x0109, 0x0125, 0x0126): the command
  :class:`UpdateSecurityCredentials`, the :class:`UpdateSecurityCredentialsResponse`, and the
  future-dated :class:`UpdateSecurityCredentialsAlert` (0x00CB, 0x0124);
* CS02a/CS02f Provide Security Credentials Details (0x0008, 0x011B);
* CS02c Issue Security Credentials (0x000A), CS02d Update Device Certificate (0x000B) and
  CS02e Provide Device Certificate (0x000C).

:func:`decode_payload` dispatches on the message code and CRA flag; every malformed payload
raises :class:`~s1harness.gbcs.errors.GbcsCodecError` with the ASN.1 field path and byte offset.
:func:`encode_payload` (or the ``encode_*`` functions) builds minimal DER for remote-party
commands and the ``82 00 nn`` length form of GBCS §4.5 for device-generated responses and
alerts, so that emulated devices reproduce RTDS bytes. Decoded payloads are never re-encoded
to verify a signature: the signature covers the received bytes. :func:`payload_to_json` gives
a JSON-ready view.
"""

from s1harness.gbcs.payloads.cells import (
    AlertCode,
    CellUsage,
    CpvChecks,
    ReplacementMode,
    SeqNumberChange,
    SeqNumberUsage,
    SpecialistSeqNumber,
    StatusCode,
    TrustAnchorCell,
)
from s1harness.gbcs.payloads.codec import (
    ALERT,
    COMMAND,
    MODELLED_MESSAGE_CODES,
    RESPONSE,
    Payload,
    decode_payload,
    encode_payload,
)
from s1harness.gbcs.payloads.cs02af import (
    ProvideSecurityCredentials,
    ProvideSecurityCredentialsResponse,
    RemotePartyCredentials,
    TrustAnchorCellDetails,
    decode_provide_security_credentials,
    decode_provide_security_credentials_response,
    encode_provide_security_credentials,
    encode_provide_security_credentials_response,
)
from s1harness.gbcs.payloads.cs02b import (
    AuthorisingRemotePartyControl,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
    decode_update_security_credentials,
    encode_update_security_credentials,
)
from s1harness.gbcs.payloads.cs02cde import (
    IssueResponseCode,
    IssueSecurityCredentials,
    IssueSecurityCredentialsResponse,
    ProvideCertificateCode,
    ProvideDeviceCertificate,
    ProvideDeviceCertificateResponse,
    UpdateDeviceCertificate,
    UpdateDeviceCertificateCode,
    UpdateDeviceCertificateResponse,
    decode_issue_security_credentials,
    decode_issue_security_credentials_response,
    decode_provide_device_certificate,
    decode_provide_device_certificate_response,
    decode_update_device_certificate,
    decode_update_device_certificate_response,
    encode_issue_security_credentials,
    encode_issue_security_credentials_response,
    encode_provide_device_certificate,
    encode_provide_device_certificate_response,
    encode_update_device_certificate,
    encode_update_device_certificate_response,
)
from s1harness.gbcs.payloads.jsonify import certificate_summary, payload_to_json
from s1harness.gbcs.payloads.outcomes import (
    ExecutionOutcome,
    ReplacementOutcome,
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    decode_update_security_credentials_alert,
    decode_update_security_credentials_response,
    encode_update_security_credentials_alert,
    encode_update_security_credentials_response,
)

__all__ = [
    "ALERT",
    "COMMAND",
    "MODELLED_MESSAGE_CODES",
    "RESPONSE",
    "AlertCode",
    "AuthorisingRemotePartyControl",
    "CellUsage",
    "CpvChecks",
    "ExecutionOutcome",
    "IssueResponseCode",
    "IssueSecurityCredentials",
    "IssueSecurityCredentialsResponse",
    "Payload",
    "ProvideCertificateCode",
    "ProvideDeviceCertificate",
    "ProvideDeviceCertificateResponse",
    "ProvideSecurityCredentials",
    "ProvideSecurityCredentialsResponse",
    "RemotePartyCredentials",
    "ReplacementMode",
    "ReplacementOutcome",
    "SeqNumberChange",
    "SeqNumberUsage",
    "SpecialistSeqNumber",
    "StatusCode",
    "TrustAnchorCell",
    "TrustAnchorCellDetails",
    "TrustAnchorReplacement",
    "UpdateDeviceCertificate",
    "UpdateDeviceCertificateCode",
    "UpdateDeviceCertificateResponse",
    "UpdateSecurityCredentials",
    "UpdateSecurityCredentialsAlert",
    "UpdateSecurityCredentialsResponse",
    "certificate_summary",
    "decode_issue_security_credentials",
    "decode_issue_security_credentials_response",
    "decode_payload",
    "decode_provide_device_certificate",
    "decode_provide_device_certificate_response",
    "decode_provide_security_credentials",
    "decode_provide_security_credentials_response",
    "decode_update_device_certificate",
    "decode_update_device_certificate_response",
    "decode_update_security_credentials",
    "decode_update_security_credentials_alert",
    "decode_update_security_credentials_response",
    "encode_issue_security_credentials",
    "encode_issue_security_credentials_response",
    "encode_payload",
    "encode_provide_device_certificate",
    "encode_provide_device_certificate_response",
    "encode_provide_security_credentials",
    "encode_provide_security_credentials_response",
    "encode_update_device_certificate",
    "encode_update_device_certificate_response",
    "encode_update_security_credentials",
    "encode_update_security_credentials_alert",
    "encode_update_security_credentials_response",
    "payload_to_json",
]
