"""One entry point per direction: payloads by message code and CRA flag.

:func:`decode_payload` picks the decoder from the grouping header's message code and CRA flag
(1 command, 2 response, 3 alert) and returns None for message codes this package does not model,
so a caller can keep those payloads as bytes. :func:`encode_payload` picks the encoder from the
payload's type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads.cells import ReplacementMode
from s1harness.gbcs.payloads.cs02af import (
    ProvideSecurityCredentials,
    ProvideSecurityCredentialsResponse,
    decode_provide_security_credentials,
    decode_provide_security_credentials_response,
    encode_provide_security_credentials,
    encode_provide_security_credentials_response,
)
from s1harness.gbcs.payloads.cs02b import (
    UpdateSecurityCredentials,
    decode_update_security_credentials,
    encode_update_security_credentials,
)
from s1harness.gbcs.payloads.cs02cde import (
    IssueSecurityCredentials,
    IssueSecurityCredentialsResponse,
    ProvideDeviceCertificate,
    ProvideDeviceCertificateResponse,
    UpdateDeviceCertificate,
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
from s1harness.gbcs.payloads.outcomes import (
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsResponse,
    decode_update_security_credentials_alert,
    decode_update_security_credentials_response,
    encode_update_security_credentials_alert,
    encode_update_security_credentials_response,
)

COMMAND, RESPONSE, ALERT = 1, 2, 3

Payload = (
    UpdateSecurityCredentials
    | UpdateSecurityCredentialsResponse
    | UpdateSecurityCredentialsAlert
    | ProvideSecurityCredentials
    | ProvideSecurityCredentialsResponse
    | IssueSecurityCredentials
    | IssueSecurityCredentialsResponse
    | UpdateDeviceCertificate
    | UpdateDeviceCertificateResponse
    | ProvideDeviceCertificate
    | ProvideDeviceCertificateResponse
)
"""Every payload type this package models."""

_Decoder = Callable[[bytes], Payload]
_CS02B: dict[int, _Decoder] = {
    COMMAND: decode_update_security_credentials,
    RESPONSE: decode_update_security_credentials_response,
}
_CS02AF: dict[int, _Decoder] = {
    COMMAND: decode_provide_security_credentials,
    RESPONSE: decode_provide_security_credentials_response,
}
_DECODERS: dict[int, dict[int, _Decoder]] = {
    **{mode.message_code: _CS02B for mode in ReplacementMode},
    0x00CB: {ALERT: decode_update_security_credentials_alert},
    0x0124: {ALERT: decode_update_security_credentials_alert},
    0x0008: _CS02AF,
    0x011B: _CS02AF,
    0x000A: {
        COMMAND: decode_issue_security_credentials,
        RESPONSE: decode_issue_security_credentials_response,
    },
    0x000B: {
        COMMAND: decode_update_device_certificate,
        RESPONSE: decode_update_device_certificate_response,
    },
    0x000C: {
        COMMAND: decode_provide_device_certificate,
        RESPONSE: decode_provide_device_certificate_response,
    },
}
MODELLED_MESSAGE_CODES = frozenset(_DECODERS)
"""The message codes :func:`decode_payload` models."""

_ENCODERS: dict[type[Any], Callable[[Any], bytes]] = {
    UpdateSecurityCredentials: encode_update_security_credentials,
    UpdateSecurityCredentialsResponse: encode_update_security_credentials_response,
    UpdateSecurityCredentialsAlert: encode_update_security_credentials_alert,
    ProvideSecurityCredentials: encode_provide_security_credentials,
    ProvideSecurityCredentialsResponse: encode_provide_security_credentials_response,
    IssueSecurityCredentials: encode_issue_security_credentials,
    IssueSecurityCredentialsResponse: encode_issue_security_credentials_response,
    UpdateDeviceCertificate: encode_update_device_certificate,
    UpdateDeviceCertificateResponse: encode_update_device_certificate_response,
    ProvideDeviceCertificate: encode_provide_device_certificate,
    ProvideDeviceCertificateResponse: encode_provide_device_certificate_response,
}


def decode_payload(message_code: int, cra: int, content: bytes) -> Payload | None:
    """Decode the content of a General-Signing APDU by its message code and CRA flag.

    Args:
        message_code: The grouping header's message code (GBCS §7.2.7).
        cra: 1 command, 2 response, 3 alert.
        content: The payload bytes.

    Returns:
        The typed payload, or None for a code outside :data:`MODELLED_MESSAGE_CODES`.

    Raises:
        GbcsCodecError: if the payload is malformed, or the CRA flag has no payload for that
            message code (a CS02b alert, a future-dated alert sent as a command).
    """
    by_cra = _DECODERS.get(message_code)
    if by_cra is None:
        return None
    decoder = by_cra.get(cra)
    if decoder is None:
        message = f"message code 0x{message_code:04X} has no payload with CRA flag {cra}"
        raise GbcsCodecError(message, field="cra", offset=0)
    return decoder(content)


def encode_payload(payload: Payload) -> bytes:
    """Encode any modelled payload: minimal DER for commands, device lengths for responses.

    Raises:
        InputError: if the payload cannot be encoded.
        TypeError: if ``payload`` is not one of the :data:`Payload` types.
    """
    encoder = _ENCODERS.get(type(payload))
    if encoder is None:
        raise TypeError(f"not a CS02 payload: {type(payload).__name__}")
    return encoder(payload)
