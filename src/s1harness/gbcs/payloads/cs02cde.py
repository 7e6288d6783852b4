"""CS02c, CS02d and CS02e: the device's own key pairs and certificates (GBCS §5).

* CS02c Issue Security Credentials (0x000A): the device makes a key pair for a key usage and
  answers with a PKCS#10 certification request, or an INTEGER response code.
* CS02d Update Device Certificates on Device (0x000B): a bare certificate; INTEGER answer.
* CS02e Provide Device Certificates from Device (0x000C): a key usage; the device answers with
  its certificate, or an INTEGER response code.

The response-code names are gbcs-parser's labels (SmartDCCInnovation/gbcs-parser). The
certificate and the request are carried as DER, framed but not decoded here, and encode
minimal as RTDS shows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads import _asn1
from s1harness.gbcs.payloads._ber import read_whole
from s1harness.gbcs.payloads._convert import key_usage_value
from s1harness.gbcs.payloads._node import E, dump, embed, known, load
from s1harness.spec.errors import InputError
from s1harness.spec.roles import KeyUsage

_SEQUENCE, _INTEGER = 0x30, 0x02


class IssueResponseCode(enum.IntEnum):
    """CS02c responseCode."""

    INVALID_KEY_USAGE = 1
    KEY_PAIR_GENERATION_FAILED = 2
    CR_PRODUCTION_FAILED = 3


class UpdateDeviceCertificateCode(enum.IntEnum):
    """CS02d responseCode."""

    SUCCESS = 0
    INVALID_CERTIFICATE = 1
    WRONG_DEVICE_IDENTITY = 2
    INVALID_KEY_USAGE = 3
    NO_CORRESPONDING_KEY_PAIR = 4
    WRONG_PUBLIC_KEY = 5
    CERTIFICATE_STORAGE_FAILED = 6
    PRIVATE_KEY_CHANGE_FAILED = 7


class ProvideCertificateCode(enum.IntEnum):
    """CS02e responseCode."""

    INVALID_KEY_USAGE = 1
    NO_CERTIFICATE_HELD = 2
    CERTIFICATE_RETRIEVAL_FAILURE = 3


@dataclass(frozen=True, slots=True)
class IssueSecurityCredentials:
    """The CS02c command: generate a key pair for this usage."""

    key_usage: KeyUsage


@dataclass(frozen=True, slots=True)
class IssueSecurityCredentialsResponse:
    """The CS02c response: exactly one of a PKCS#10 request (DER) and a response code."""

    csr: bytes | None = None
    response_code: IssueResponseCode | int | None = None

    def __post_init__(self) -> None:
        _exactly_one(self.csr, self.response_code, "IssueSecurityCredentialsResponse")


@dataclass(frozen=True, slots=True)
class UpdateDeviceCertificate:
    """The CS02d command: the device certificate to install (DER)."""

    certificate: bytes


@dataclass(frozen=True, slots=True)
class UpdateDeviceCertificateResponse:
    """The CS02d response code (0 success)."""

    response_code: UpdateDeviceCertificateCode | int


@dataclass(frozen=True, slots=True)
class ProvideDeviceCertificate:
    """The CS02e command: which of the device's certificates to return."""

    key_usage: KeyUsage


@dataclass(frozen=True, slots=True)
class ProvideDeviceCertificateResponse:
    """The CS02e response: exactly one of the certificate (DER) and a response code."""

    certificate: bytes | None = None
    response_code: ProvideCertificateCode | int | None = None

    def __post_init__(self) -> None:
        _exactly_one(self.certificate, self.response_code, "ProvideDeviceCertificateResponse")


def _exactly_one(der: bytes | None, code: int | None, name: str) -> None:
    if (der is None) == (code is None):
        raise InputError(f"{name} carries either DER or a response code, not both or neither")


def decode_issue_security_credentials(content: bytes) -> IssueSecurityCredentials:
    """Decode a CS02c command payload (message code 0x000A)."""
    return IssueSecurityCredentials(_key_usage(content, "IssueSecurityCredentials"))


def decode_provide_device_certificate(content: bytes) -> ProvideDeviceCertificate:
    """Decode a CS02e command payload (message code 0x000C)."""
    return ProvideDeviceCertificate(_key_usage(content, "ProvideDeviceCertificate"))


def _key_usage(content: bytes, path: str) -> KeyUsage:
    return load(_asn1.KeyUsageRequest, content, path).fields().need("keyUsage").key_usage()


def decode_issue_security_credentials_response(
    content: bytes,
) -> IssueSecurityCredentialsResponse:
    """Decode a CS02c response: a CertificationRequest or an INTEGER code.

    Raises:
        GbcsCodecError: if the payload is neither.
    """
    path = "IssueSecurityCredentialsResponse"
    if _is_integer(content, path):
        return IssueSecurityCredentialsResponse(
            response_code=_code(IssueResponseCode, content, path)
        )
    return IssueSecurityCredentialsResponse(
        csr=load(_asn1.CertificationRequest, content, path).der()
    )


def decode_update_device_certificate(content: bytes) -> UpdateDeviceCertificate:
    """Decode a CS02d command payload (message code 0x000B): one certificate."""
    return UpdateDeviceCertificate(
        load(_asn1.Certificate, content, "UpdateDeviceCertificate").der()
    )


def decode_update_device_certificate_response(content: bytes) -> UpdateDeviceCertificateResponse:
    """Decode a CS02d response: an INTEGER code."""
    path = "UpdateDeviceCertificateResponse"
    return UpdateDeviceCertificateResponse(_code(UpdateDeviceCertificateCode, content, path))


def decode_provide_device_certificate_response(
    content: bytes,
) -> ProvideDeviceCertificateResponse:
    """Decode a CS02e response: a Certificate or an INTEGER code.

    Raises:
        GbcsCodecError: if the payload is neither.
    """
    path = "ProvideDeviceCertificateResponse"
    if _is_integer(content, path):
        code = _code(ProvideCertificateCode, content, path)
        return ProvideDeviceCertificateResponse(response_code=code)
    return ProvideDeviceCertificateResponse(
        certificate=load(_asn1.Certificate, content, path).der()
    )


def _is_integer(content: bytes, path: str) -> bool:
    tag = read_whole(content, path).tag
    if tag not in {_SEQUENCE, _INTEGER}:
        raise GbcsCodecError(
            f"expected SEQUENCE or INTEGER, got tag {tag:02X}", field=path, offset=0
        )
    return tag == _INTEGER


def _code(kind: type[E], content: bytes, path: str) -> E | int:
    return known(kind, load(_asn1.ResponseCode, content, path).integer())


def encode_issue_security_credentials(command: IssueSecurityCredentials) -> bytes:
    """Encode a CS02c command payload."""
    value = {"keyUsage": key_usage_value(command.key_usage)}
    return dump(_asn1.KeyUsageRequest, value, "IssueSecurityCredentials")


def encode_provide_device_certificate(command: ProvideDeviceCertificate) -> bytes:
    """Encode a CS02e command payload."""
    value = {"keyUsage": key_usage_value(command.key_usage)}
    return dump(_asn1.KeyUsageRequest, value, "ProvideDeviceCertificate")


def encode_issue_security_credentials_response(response: IssueSecurityCredentialsResponse) -> bytes:
    """Encode a CS02c response: the request as given, or the code."""
    spec, path = _asn1.CertificationRequest, "IssueSecurityCredentialsResponse"
    return _der_or_code(spec, response.csr, response.response_code, path)


def encode_update_device_certificate(command: UpdateDeviceCertificate) -> bytes:
    """Encode a CS02d command payload: the certificate as given (checked to be one element)."""
    return bytes(embed(_asn1.Certificate, command.certificate, "UpdateDeviceCertificate").dump())


def encode_update_device_certificate_response(response: UpdateDeviceCertificateResponse) -> bytes:
    """Encode a CS02d response code."""
    path = "UpdateDeviceCertificateResponse"
    return dump(_asn1.ResponseCode, int(response.response_code), path)


def encode_provide_device_certificate_response(
    response: ProvideDeviceCertificateResponse,
) -> bytes:
    """Encode a CS02e response: the certificate as given, or the code."""
    spec, path = _asn1.Certificate, "ProvideDeviceCertificateResponse"
    return _der_or_code(spec, response.certificate, response.response_code, path)


def _der_or_code(spec: Any, der: bytes | None, code: int | None, path: str) -> bytes:
    """The embedded DER as given, or the INTEGER response code."""
    if der is not None:
        return bytes(embed(spec, der, path).dump())
    if code is None:
        raise InputError(f"{path} carries neither DER nor a response code")
    return dump(_asn1.ResponseCode, int(code), path)
