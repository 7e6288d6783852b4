"""JSON views of the CS02 payloads, for reports and the command line.

Every value becomes JSON-ready: integers (codes and roles as their numbers), strings (key usages
by their RFC 5280 names), upper-case hex for octets and EUIs, ISO 8601 ``Z`` times, and lists.
Certificates are summarised through :func:`s1harness.smki.parse_certificate` (length, subject
EUI, serial, role, key usage), or by their length alone when they do not parse.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from s1harness.gbcs.payloads.codec import Payload
from s1harness.smki import SmkiError, parse_certificate

_CERTIFICATE_FIELDS = frozenset({"certificate", "certification_path_certificates"})
_REQUEST_FIELDS = frozenset({"csr"})


def payload_to_json(payload: Payload) -> dict[str, Any]:
    """A JSON-ready dict of a payload, with a ``"type"`` key naming its class.

    Example: ``{"type": "UpdateSecurityCredentialsResponse", "outcome": None}``.
    """
    return {"type": type(payload).__name__, **_dataclass(payload)}


def certificate_summary(der: bytes) -> dict[str, Any]:
    """Length, subject EUI, serial (upper-case hex), role and key usage of a certificate."""
    summary: dict[str, Any] = {"der_length": len(der)}
    try:
        cert = parse_certificate(der)
    except SmkiError:
        return summary
    summary["subject_eui"] = None if cert.eui is None else str(cert.eui)
    summary["serial"] = cert.serial_hex.upper()
    summary["role"] = None if cert.role is None else int(cert.role)
    summary["key_usage"] = None if cert.key_usage is None else cert.key_usage.value
    return summary


def _dataclass(value: Any) -> dict[str, Any]:
    return {
        field.name: _field(field.name, getattr(value, field.name))
        for field in dataclasses.fields(value)
    }


def _field(name: str, value: Any) -> Any:
    if name in _CERTIFICATE_FIELDS:
        return _each(certificate_summary, value)
    if name in _REQUEST_FIELDS:
        return _each(_request_summary, value)
    return _value(value)


def _each(summarise: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, tuple):
        return [summarise(der) for der in value]
    return summarise(value)


def _request_summary(der: bytes) -> dict[str, Any]:
    return {"der_length": len(der), "der": der.hex().upper()}


def _value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value)
    if isinstance(value, tuple):
        return [_value(item) for item in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    """Octets as upper-case hex, times as ISO 8601 ``Z``, enumerations as plain values."""
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):  # Eui64 and KeyUsage (a StrEnum) included
        return str(value)
    if isinstance(value, int):  # IntEnum members become their numbers
        return int(value)
    return value
