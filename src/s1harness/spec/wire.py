"""How an envelope travels over a broker (the bus contract, ``docs/asyncapi.yaml``).

An MQTT 3.1.1 message carries the topic and the payload only, so the envelope's other fields
travel in a small JSON document, the message octets base64-encoded:

.. code-block:: json

    {"v": 1, "id": "9f1c…", "kind": "duis-request", "correlation_id": "90-B3-…:1000",
     "headers": {"device": "00DB1234567891A0"}, "ack_to": "acks/dsp-4f2a",
     "payload": "PD94bWwg…"}

Topics here, ``ack_to`` included, are the run's own names (``dsp/requests``); on the broker
each sits under ``s1h/v3/<run>/`` (:func:`s1harness.spec.bus.on_wire`).

``id`` names the message: a producer that retransmits (because no acknowledgement came) sends
the same ``id``, and a consumer handles an ``id`` once. ``ack_to``, when present, is where the
consumer acknowledges, under its role's name (:func:`acknowledgements`,
:func:`s1harness.spec.bus.consumer`): ``{"v": 1, "ids": ["9f1c…", …]}``. Acknowledgements are
end to end, so a message accepted by a broker that then restarts is still delivered: nothing is
lost.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from s1harness.spec.bus import Envelope, Kind
from s1harness.spec.errors import InputError

WIRE_VERSION = 1
MAX_MESSAGE = 4 * 1024 * 1024
"""The largest encoded message accepted (the DUIS parser's own limit is 4 MiB)."""
MAX_BRACKETS = 32
"""The most JSON brackets (``[`` and ``{``) an envelope or acknowledgement may hold — it has
at most three, base64 and its other strings have none — counted before parsing, so no document
can nest deep enough to exhaust the parser's stack."""


class WireError(InputError):
    """A broker message that is not an envelope of this contract."""

    code = "WIRE"


@dataclass(frozen=True, slots=True)
class Delivery:
    """An envelope as it travels: with its message ID and where to acknowledge it."""

    envelope: Envelope
    message_id: str
    ack_to: str | None = None


def acks(ack_id: str) -> str:
    """A producer's ``ack_to``: under it (:func:`acknowledgements`) it hears acknowledgements."""
    return f"acks/{ack_id}"


def acknowledgements(ack_to: str, login: str) -> str:
    """Where the consumer ``login`` acknowledges messages naming ``ack_to``."""
    return f"{ack_to}/{login}"


def encode(delivery: Delivery) -> bytes:
    """The JSON document for ``delivery`` (compact, UTF-8)."""
    envelope = delivery.envelope
    document: dict[str, object] = {
        "v": WIRE_VERSION,
        "id": delivery.message_id,
        "kind": str(envelope.kind),
        "correlation_id": envelope.correlation_id,
        "headers": dict(envelope.headers),
        "payload": base64.b64encode(envelope.payload).decode("ascii"),
    }
    if delivery.ack_to:
        document["ack_to"] = delivery.ack_to
    return json.dumps(document, separators=(",", ":")).encode()


def decode(topic: str, data: bytes) -> Delivery:
    """Read a message received on ``topic``.

    Raises:
        WireError: naming the topic and what is wrong.
    """
    document = _document(topic, data)
    try:
        kind = Kind(str(document["kind"]))
    except (KeyError, ValueError):
        raise WireError(f"{topic}: unknown or missing kind {document.get('kind')!r}") from None
    message_id, correlation = document.get("id"), document.get("correlation_id")
    headers, ack_to = document.get("headers", {}), document.get("ack_to")
    if not isinstance(message_id, str) or not message_id or not isinstance(correlation, str):
        raise WireError(f"{topic}: id and correlation_id must be strings")
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise WireError(f"{topic}: headers must map strings to strings")
    if ack_to is not None and not isinstance(ack_to, str):
        raise WireError(f"{topic}: ack_to must be a topic")
    try:
        payload = base64.b64decode(str(document.get("payload", "")), validate=True)
    except (binascii.Error, ValueError):
        raise WireError(f"{topic}: payload is not base64") from None
    envelope = Envelope(topic, kind, payload, correlation, tuple(sorted(headers.items())))
    return Delivery(envelope, message_id, ack_to)


def encode_ack(message_ids: list[str]) -> bytes:
    return json.dumps({"v": WIRE_VERSION, "ids": message_ids}, separators=(",", ":")).encode()


def decode_ack(topic: str, data: bytes) -> list[str]:
    """The message IDs an acknowledgement names.

    Raises:
        WireError: for anything else.
    """
    ids = _document(topic, data).get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise WireError(f"{topic}: an acknowledgement carries a list of ids")
    return ids


def _document(topic: str, data: bytes) -> dict[str, object]:
    if len(data) > MAX_MESSAGE:
        raise WireError(f"{topic}: message of {len(data)} octets is over {MAX_MESSAGE}")
    if data.count(b"[") + data.count(b"{") > MAX_BRACKETS:
        raise WireError(f"{topic}: more than {MAX_BRACKETS} brackets: not an envelope")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"{topic}: not a JSON envelope ({type(exc).__name__})") from None
    if not isinstance(document, dict) or document.get("v") != WIRE_VERSION:
        raise WireError(f"{topic}: not a version {WIRE_VERSION} envelope")
    return document


__all__ = [
    "MAX_MESSAGE",
    "WIRE_VERSION",
    "Delivery",
    "WireError",
    "acknowledgements",
    "acks",
    "decode",
    "decode_ack",
    "encode",
    "encode_ack",
]
