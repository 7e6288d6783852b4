"""JSON summaries of typed messages for ``inspect`` commands: dataclasses become objects, and
embedded octets are described (a certificate by its SMKI identity, a GBCS frame by its header)
rather than dumped."""

from __future__ import annotations

import dataclasses
import enum
import types
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree

from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import MacEnvelope, decode
from s1harness.gbcs.message_codes import lookup
from s1harness.smki.certificate import parse_certificate
from s1harness.smki.errors import CertificateParseError

_SKIPPED_FIELDS = {"element"}


def summarise(value: Any) -> Any:
    """A JSON-ready view of ``value``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__}
        for field in dataclasses.fields(value):
            if field.name not in _SKIPPED_FIELDS:
                out[field.name] = summarise(getattr(value, field.name))
        return out
    for kind, convert in _CONVERSIONS:
        if isinstance(value, kind):
            return convert(value)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _octets(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"length": len(data)}
    if data[:1] in (b"\xdf", b"\xdd"):
        try:
            frame = decode(data)
        except GbcsError:
            return out
        apdu = frame.apdu if isinstance(frame, MacEnvelope) else frame
        entry = lookup(apdu.message_code)
        out["gbcs"] = {
            "cra": apdu.cra.name.lower(),
            "counter": apdu.counter,
            "originator": apdu.originator,
            "target": apdu.target,
            "message_code": apdu.message_code,
            "use_case": entry.use_case if entry else None,
        }
    elif data[:1] == b"\x30":
        try:
            cert = parse_certificate(data)
        except CertificateParseError:
            return out
        out["certificate"] = {
            "eui": cert.eui,
            "role": cert.role_name,
            "key_usage": cert.key_usage.value if cert.key_usage else None,
            "serial": cert.serial_hex,
            "issuer": cert.issuer.rfc4514(),
        }
    return out


_CONVERSIONS: tuple[tuple[type | types.UnionType, Callable[[Any], Any]], ...] = (
    (enum.Enum, lambda v: v.value),
    (bytes, _octets),
    (datetime, lambda v: v.isoformat()),
    (tuple | list, lambda v: [summarise(item) for item in v]),
    (set | frozenset, lambda v: sorted(summarise(item) for item in v)),
    (etree._Element, lambda v: {"element": etree.QName(v).localname}),
)
