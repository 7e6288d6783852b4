"""The bus contract as data: ``docs/asyncapi.yaml`` read, and concrete messages checked by it.

The AsyncAPI 3.0.0 document in the repository is the contract an external build implements
(with docs/contract.md). This module reads it — from the repository checkout the package runs
from, so there is one copy — and answers three questions about a message as it travels (its
topic and its wire octets, :mod:`s1harness.spec.wire`): which channel the topic is, which
message kinds that channel carries, and every way the octets break the message's JSON Schema.

Nothing here does I/O beyond reading the document. Schemas are checked as Draft 2020-12; the
document uses only keywords that mean the same in draft-07, AsyncAPI 3.0.0's default schema
format.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator

from s1harness.spec.bus import Kind
from s1harness.spec.errors import InputError

Schema = dict[str, Any]
DOCUMENT = Path("docs") / "asyncapi.yaml"
ANY_DOCUMENT = "anyDocument"
"""The schema (``components.schemas``) a message of the wrong kind is checked against."""
_LONGEST = 160


def locate() -> Path:
    """``docs/asyncapi.yaml`` of the repository checkout this package runs from.

    Raises:
        InputError: when the package is not installed from a checkout that has it.
    """
    here = Path(__file__).resolve().parent
    for base in here.parents:
        if (base / "pyproject.toml").is_file() and (base / DOCUMENT).is_file():
            return base / DOCUMENT
    raise InputError(f"the bus contract {DOCUMENT} is not in a repository checkout above {here}")


def load_contract(path: Path | None = None) -> Contract:
    """Read the contract at ``path`` (default: :func:`locate`).

    Raises:
        InputError: if the file is missing or is not an AsyncAPI 3.0.0 document.
    """
    where = path or locate()
    try:
        document = yaml.safe_load(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{where}: cannot read the bus contract ({_line(str(exc))})") from None
    if not isinstance(document, dict) or str(document.get("asyncapi")) != "3.0.0":
        raise InputError(f"{where}: not an AsyncAPI 3.0.0 document")
    return Contract(document)


class Contract:
    """One AsyncAPI 3.0.0 document, with its ``$ref``s resolved.

    Args:
        document: The document as parsed (a mapping).
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.source = document
        """The document as written (references unresolved)."""
        self.document: Schema = resolve(document, document)
        info = self.document["info"]
        self.version: str = str(info["version"])
        self.max_octets = int(info.get("x-max-message-octets", 0)) or None
        self._validators: dict[int, Validator] = {}

    def channels(self) -> dict[str, Schema]:
        """Channel key → channel object."""
        return cast(Schema, self.document["channels"])

    def message_schema(self, kind: Kind) -> Schema:
        """The JSON Schema of the wire document of ``kind``.

        Raises:
            InputError: if no message of the contract has that kind.
        """
        for message in self.document["components"]["messages"].values():
            if _kind_of(message["payload"]) == kind.value:
                return cast(Schema, copy.deepcopy(message["payload"]))
        raise InputError(f"the bus contract has no message of kind {kind.value!r}")

    def channel_for(self, topic: str) -> str:
        """The address of the channel ``topic`` belongs to (``s1h/v1/users/{userId}/inbox``).

        Raises:
            InputError: if no channel matches.
        """
        for channel in self.channels().values():
            if _matches(channel, topic):
                return str(channel["address"])
        raise InputError(f"{topic}: no channel of the bus contract matches this topic")

    def check(self, topic: str, data: bytes) -> list[str]:
        """Every way the message ``data`` on ``topic`` breaks the contract (empty: none)."""
        try:
            address = self.channel_for(topic)
        except InputError as exc:
            return [exc.message]
        if self.max_octets is not None and len(data) > self.max_octets:
            return [f"{topic}: {len(data)} octets, over the limit of {self.max_octets}"]
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return [f"{topic}: not a JSON document ({_line(str(exc))})"]
        channel = next(c for c in self.channels().values() if c["address"] == address)
        payloads = [m["payload"] for m in channel["messages"].values()]
        by_kind = {kind: p for p in payloads if (kind := _kind_of(p)) is not None}
        if not by_kind:
            return self._issues(topic, payloads[0], document)
        named = document.get("kind") if isinstance(document, dict) else None
        if isinstance(named, str) and named in by_kind:
            return self._issues(topic, by_kind[named], document)
        fallback = self.document["components"]["schemas"][ANY_DOCUMENT]
        wrong = (
            [f"{topic}: kind {named!r} is not carried on {address} (it carries {sorted(by_kind)})"]
            if isinstance(named, str) and named in {k.value for k in Kind}
            else []
        )
        return wrong + self._issues(topic, fallback, document)

    def _issues(self, topic: str, schema: Schema, document: Any) -> list[str]:
        validator = self._validators.get(id(schema))
        if validator is None:
            validator = self._validators[id(schema)] = Draft202012Validator(_ecma(schema))
        errors = sorted(validator.iter_errors(document), key=lambda e: e.json_path)
        return [f"{topic}: {e.json_path}: {_say(e)}" for e in errors]


def resolve(node: Any, root: Mapping[str, Any], expanding: tuple[str, ...] = ()) -> Any:
    """``node`` with every local ``$ref`` (``#/…``) replaced by what it points at.

    Raises:
        InputError: for a reference that is not local, points nowhere, or refers to itself.
    """
    if isinstance(node, list):
        return [resolve(item, root, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in expanding:
            raise InputError(f"bus contract: {ref} refers to itself")
        return resolve(_pointer(root, ref), root, (*expanding, ref))
    return {key: resolve(value, root, expanding) for key, value in node.items()}


def _pointer(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise InputError(f"bus contract: {ref} is not a reference inside the document")
    node: Any = root
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            raise InputError(f"bus contract: {ref} points nowhere")
        node = node[key]
    return node


def _kind_of(payload: Schema) -> str | None:
    const = payload.get("properties", {}).get("kind", {}).get("const")
    return str(const) if const is not None else None


def _matches(channel: Schema, topic: str) -> bool:
    """Whether ``topic`` is the channel's address with each ``{parameter}`` filled in as the
    parameter allows (its ``enum``, else its ``x-pattern``, else any one topic level)."""
    want, have = str(channel["address"]).split("/"), topic.split("/")
    if len(want) != len(have):
        return False
    parameters = channel.get("parameters", {})
    for level, value in zip(want, have, strict=True):
        if not (level.startswith("{") and level.endswith("}")):
            if level != value:
                return False
            continue
        parameter = parameters.get(level[1:-1], {})
        allowed = parameter.get("enum")
        pattern = parameter.get("x-pattern", r"^[^/+#]+$")
        if not (value in allowed if allowed else re.search(_end_of_text(pattern), value)):
            return False
    return True


def _say(error: ValidationError) -> str:
    """One short line: a failed pattern names the pattern as written, not the (long) value."""
    if error.validator == "pattern":
        return f"does not match {_as_written(str(error.validator_value))}"
    return _line(error.message)


def _ecma(schema: Any) -> Any:
    """``schema`` with each ``pattern`` read as ECMA-262 (JSON Schema's dialect) reads it: a
    final ``$`` ends the text. In Python it also matches before a final newline, which would
    let ``"00DB111000000001\\n"`` through."""
    if isinstance(schema, list):
        return [_ecma(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _ecma(value) for key, value in schema.items()}
    if isinstance(out.get("pattern"), str):
        out["pattern"] = _end_of_text(out["pattern"])
    return out


def _end_of_text(pattern: str) -> str:
    return (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    )


def _as_written(pattern: str) -> str:
    return pattern[:-2] + "$" if pattern.endswith(r"\Z") else pattern


def _line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


@cache
def default() -> Contract:
    """The repository's contract, read once."""
    return load_contract()


def message_schema(kind: Kind) -> Schema:
    """The JSON Schema of the wire document of ``kind`` in the repository's contract."""
    return default().message_schema(kind)


def channel_for(topic: str) -> str:
    """The address of the repository contract's channel that ``topic`` belongs to."""
    return default().channel_for(topic)


def check(topic: str, wire_bytes: bytes) -> list[str]:
    """Every way a message breaks the repository's contract (empty: none)."""
    return default().check(topic, wire_bytes)


__all__ = [
    "Contract",
    "channel_for",
    "check",
    "default",
    "load_contract",
    "locate",
    "message_schema",
    "resolve",
]
