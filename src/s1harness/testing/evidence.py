"""The messages a scenario exchanged, as evidence a report can carry.

Each envelope seen on the bus becomes one or more :class:`Exhibit` objects: a DUIS document as
its XML (exactly the octets on the bus); a GBCS frame — on the bus, or base64 inside a DUIS
``GBCSPayload`` — decoded to the JSON ``s1harness gbcs inspect`` prints; a SMETS1 device-link
frame decoded to JSON. Nothing here knows about Allure; the step library attaches exhibits.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from s1harness.duis import xml
from s1harness.duis.errors import DuisError
from s1harness.gbcs.inspect import Inspector
from s1harness.roles.smets1 import frames as smets1_frames
from s1harness.spec.bus import Envelope, Kind
from s1harness.spec.errors import HarnessError

_XML_KINDS = frozenset(
    {Kind.DUIS_REQUEST, Kind.DUIS_RESPONSE, Kind.S1SP_RESPONSE, Kind.COUNTERSIGNED_REQUEST}
)
_GBCS_KINDS = frozenset({Kind.GBCS_COMMAND, Kind.GBCS_DEVICE_FRAME})
_SMETS1_KINDS = frozenset({Kind.SMETS1_INSTRUCTION, Kind.SMETS1_DEVICE_FRAME})


@dataclass(frozen=True, slots=True)
class Exhibit:
    """One attachment: a name, its octets and their media type."""

    name: str
    body: bytes
    media_type: str
    extension: str


def exhibits(envelopes: Iterable[Envelope], *, start: int = 1) -> Iterator[Exhibit]:
    """Exhibits for ``envelopes``, numbered in order from ``start``."""
    inspector = Inspector()
    for number, envelope in enumerate(envelopes, start):
        yield from _of(number, envelope, inspector)


def _of(number: int, envelope: Envelope, inspector: Inspector) -> Iterator[Exhibit]:
    label = f"{number:03d} {envelope.kind} on {envelope.topic}"
    if envelope.correlation_id:
        label += f" [{envelope.correlation_id}]"
    if envelope.kind in _XML_KINDS:
        yield Exhibit(label, envelope.payload, "application/xml", "xml")
        for index, frame in enumerate(_embedded_gbcs(envelope.payload), 1):
            name = f"{number:03d} GBCS payload {index} of {envelope.kind} (decoded)"
            yield _json(name, _inspect(frame, inspector))
    elif envelope.kind in _GBCS_KINDS:
        yield _json(f"{label} (decoded)", _inspect(envelope.payload, inspector))
    elif envelope.kind in _SMETS1_KINDS:
        yield _json(f"{label} (decoded)", _smets1(envelope.payload))
    else:
        yield Exhibit(label, envelope.payload, "application/octet-stream", "bin")


def _json(name: str, content: dict[str, Any]) -> Exhibit:
    body = json.dumps(content, indent=2, default=_plain).encode()
    return Exhibit(name, body, "application/json", "json")


def _embedded_gbcs(payload: bytes) -> list[bytes]:
    try:
        root = xml.parse(payload)
    except DuisError:
        return []
    found = []
    for element in root.iter("{*}GBCSPayload"):
        try:
            found.append(base64.b64decode((element.text or "").strip(), validate=True))
        except binascii.Error:
            continue
    return found


def _inspect(frame: bytes, inspector: Inspector) -> dict[str, Any]:
    try:
        return inspector.inspect(frame).as_dict()
    except HarnessError as exc:
        return {"error": str(exc), "hex": frame.hex().upper()}


def _smets1(frame: bytes) -> dict[str, Any]:
    try:
        decoded = smets1_frames.decode(frame)
    except HarnessError as exc:
        return {"error": str(exc), "hex": frame.hex().upper()}
    return {"frame": type(decoded).__name__, **_plain(decoded)}


def _plain(value: Any) -> Any:
    """JSON-ready: bytes as hex, enums by name, dataclasses as dicts."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex().upper()
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value) if not isinstance(value, int | float | str | bool | None) else value


__all__ = ["Exhibit", "exhibits"]
