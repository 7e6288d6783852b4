"""A decoding cursor: an asn1crypto value together with its element's offset and field path.

asn1crypto parses lazily and its errors say neither where nor in which field. A :class:`Node`
pairs each value with the element :mod:`._ber` framed for it, so that every failure, whether
framing (from :mod:`._ber`) or typing (from asn1crypto), becomes a
:class:`~s1harness.gbcs.errors.GbcsCodecError` with the ASN.1 field path and the byte offset
of the element concerned. The typed dataclasses are built through nodes, which forces the
complete parse inside the error handling.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from asn1crypto import core

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads._ber import Element, children, read_whole
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage

E = TypeVar("E", bound=enum.IntEnum)

KEY_USAGE_NAMES = {
    KeyUsage.DIGITAL_SIGNATURE: "digital_signature",
    KeyUsage.NON_REPUDIATION: "non_repudiation",
    KeyUsage.KEY_AGREEMENT: "key_agreement",
    KeyUsage.KEY_CERT_SIGN: "key_cert_sign",
    KeyUsage.CRL_SIGN: "crl_sign",
}
_KEY_USAGES = {name: usage for usage, name in KEY_USAGE_NAMES.items()}
EUI_LENGTH = 8
SKI_LENGTH = 8


def known(kind: type[E], value: int) -> E | int:
    """The member of ``kind`` with this value, or the plain integer when there is none."""
    try:
        return kind(value)
    except ValueError:
        return value


def load(spec: Any, data: bytes, path: str) -> Node:
    """Frame ``data`` as one whole element and load it with the asn1crypto ``spec``.

    Raises:
        GbcsCodecError: when the bytes are not one element of that type.
    """
    data = bytes(data)  # asn1crypto reads only bytes; a bytearray or memoryview is copied once
    element = read_whole(data, path)
    try:
        value = spec.load(data, strict=True)
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed input
        raise GbcsCodecError(_reason(exc), field=path, offset=0) from None
    return Node(data, element, value, path)


def dump(spec: Any, value: Any, path: str) -> bytes:
    """DER of a freshly built asn1crypto value (embedded DER is kept as given).

    Raises:
        InputError: when the typed value cannot be represented (a value of the wrong type).
    """
    return write(lambda: bytes(spec(value).dump()), path)


def write(encode: Callable[[], bytes], path: str) -> bytes:
    """Run an encoder; any failure of a typed value to encode is an :class:`InputError`.

    Raises:
        InputError: naming ``path`` and what failed.
    """
    try:
        return encode()
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on bad values
        raise InputError(f"cannot encode {path}: {_reason(exc)}") from None


def embed(spec: Any, der: bytes, path: str) -> Any:
    """Wrap DER (a certificate, a CSR) for a builder without re-encoding it."""
    try:
        return spec.load(der, strict=True)
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed input
        raise InputError(f"cannot embed {path}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True, slots=True)
class Node:
    """One decoded element: the payload, its framing, its asn1crypto value and field path."""

    data: bytes
    element: Element
    value: Any
    path: str

    def fail(self, message: str) -> NoReturn:
        """Raise a codec error located at this element."""
        raise GbcsCodecError(message, field=self.path, offset=self.element.offset)

    def native(self) -> Any:
        """The asn1crypto native value, parsed in full."""
        try:
            return self.value.native
        except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed input
            self.fail(_reason(exc))

    def _child(self, key: str | int, element: Element | None, path: str) -> Any:
        """The asn1crypto child; a failure is located at that child's element when known."""
        try:
            return self.value[key]
        except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed input
            at = self.element.offset if element is None else element.offset
            raise GbcsCodecError(_reason(exc), field=path, offset=at) from None

    def _parse(self) -> list[Element]:
        """Frame the children ourselves (exact offsets), then let asn1crypto assign them."""
        raw = children(self.data, self.element, self.path)
        try:
            len(self.value)
        except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed input
            self.fail(_reason(exc))
        return raw

    def fields(self) -> Fields:
        """The fields of a SEQUENCE that are present, each with its own element.

        A field is present when the next element carries its tag, which is how asn1crypto
        itself assigns elements to OPTIONAL and DEFAULT fields.
        """
        raw = self._parse()
        present: dict[str, Node] = {}
        index = 0
        for name, *_ in self.value._fields:
            element = raw[index] if index < len(raw) else None
            path = f"{self.path}.{name}"
            child = self._child(name, element, path)
            if element is None or isinstance(child, core.Void):
                continue
            if (element.tag_class, element.tag_number) == (child.class_, child.tag):
                present[name] = Node(self.data, element, child, path)
                index += 1
        if index < len(raw):
            extra = raw[index]
            message = f"unexpected element with tag {extra.tag:02X} after the last field"
            raise GbcsCodecError(message, field=self.path, offset=extra.offset)
        return Fields(self, present)

    def items(self) -> list[Node]:
        """The elements of a SEQUENCE OF, in order."""
        nodes = []
        for i, element in enumerate(self._parse()):
            path = f"{self.path}[{i}]"
            nodes.append(Node(self.data, element, self._child(i, element, path), path))
        return nodes

    def integer(self) -> int:
        value = self.native()
        if not isinstance(value, int):
            self.fail("not an integer")
        return value

    def octets(self, size: int | None = None) -> bytes:
        value = self.native()
        if not isinstance(value, bytes):
            self.fail("not an octet string")
        if size is not None and len(value) != size:
            self.fail(f"must be {size} octets, got {len(value)}")
        return value

    def eui(self) -> Eui64:
        """An 8-octet subjectUniqueID as an EUI-64."""
        return Eui64(self.octets(EUI_LENGTH))

    def null(self) -> None:
        if self.element.end != self.element.start:
            self.fail("NULL must be empty")
        self.native()

    def key_usage(self) -> KeyUsage:
        """The one key usage a trust anchor cell's BIT STRING names."""
        bits = self.native()
        if not isinstance(bits, set):
            self.fail("not a key usage BIT STRING")
        names = [_KEY_USAGES.get(bit) for bit in bits]
        if len(names) != 1 or names[0] is None:
            self.fail(f"must name exactly one known key usage, got {sorted(map(str, bits))}")
        return names[0]

    def time(self) -> datetime:
        """A GeneralizedTime as a timezone-aware UTC datetime."""
        value = self.native()
        if not isinstance(value, datetime) or value.tzinfo is None:
            self.fail("must be a GeneralizedTime in UTC (YYYYMMDDhhmmssZ)")
        return value.astimezone(UTC)

    def der(self) -> bytes:
        """The element exactly as received (certificates and requests stay undecoded)."""
        return self.data[self.element.offset : self.element.end]


@dataclass(frozen=True, slots=True)
class Fields:
    """The present fields of one SEQUENCE, by ASN.1 component name."""

    parent: Node
    present: dict[str, Node]

    def need(self, name: str) -> Node:
        """A mandatory field."""
        node = self.present.get(name)
        if node is None:
            self.parent.fail(f"{name} is missing")
        return node

    def get(self, name: str) -> Node | None:
        """An OPTIONAL or DEFAULT field, None when absent."""
        return self.present.get(name)
