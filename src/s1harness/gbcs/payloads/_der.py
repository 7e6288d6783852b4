"""Minimal DER for the CS02b/CS02g command, written directly (GBCS §4.1; X.690 §10).

The command is built once per critical request on the DSP's path, and asn1crypto's generic
encoder spent about half a millisecond on it — mostly walking the embedded certificates it
never changes. The structure is fixed and small, so it is written here field by field, in the
order and with the tags of :class:`~._asn1.UpdateSecurityCredentials`. What could differ from
asn1crypto's own output is left to asn1crypto:

* certificates are the embedded asn1crypto values' own ``dump()`` — exactly what asn1crypto's
  SEQUENCE writer inserts for them;
* a keyUsage BIT STRING and the GeneralizedTime are asn1crypto's encodings of those values
  (the one-bit key usages are encoded once, at import).

Integers are minimal two's complement, as asn1crypto writes them; a cellUsage equal to its
DEFAULT (management, 0) is left out, as DER requires and asn1crypto does. A unit test checks
the output against the asn1crypto model on generated commands and the RTDS vectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asn1crypto import core, x509

from s1harness.gbcs.payloads._node import KEY_USAGE_NAMES

SEQUENCE = 0x30
INTEGER = 0x02
_KEY_USAGE = {name: bytes(x509.KeyUsage({name}).dump()) for name in KEY_USAGE_NAMES.values()}


def length(size: int) -> bytes:
    """Definite-form length octets, short form below 128 (X.690 §8.1.3)."""
    if size < 0x80:
        return bytes((size,))
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, value: bytes) -> bytes:
    """One element with a single-octet identifier."""
    return bytes((tag,)) + length(len(value)) + value


def sequence(tag: int, parts: Iterable[bytes]) -> bytes:
    """A constructed element holding ``parts`` in order."""
    return tlv(tag, b"".join(parts))


def integer(tag: int, value: Any) -> bytes:
    """An INTEGER (or an implicitly tagged one): the fewest two's-complement octets.

    Raises:
        TypeError: for anything but an ``int``.
    """
    if not isinstance(value, int):
        raise TypeError(f"an integer is required, not {type(value).__name__}")
    magnitude = value if value >= 0 else -value - 1
    return tlv(tag, int(value).to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True))


def octets(tag: int, value: Any) -> bytes:
    """An OCTET STRING (or an implicitly tagged one).

    Raises:
        TypeError: for anything but ``bytes``.
    """
    if not isinstance(value, bytes):
        raise TypeError(f"bytes are required, not {type(value).__name__}")
    return tlv(tag, value)


def key_usage(value: Any) -> bytes:
    """A keyUsage BIT STRING from asn1crypto's set-of-names value."""
    if isinstance(value, set) and len(value) == 1:
        (name,) = value
        known = _KEY_USAGE.get(name)
        if known is not None:
            return known
    return bytes(x509.KeyUsage(value).dump())


def generalized_time(value: Any) -> bytes:
    """A GeneralizedTime, as asn1crypto encodes it."""
    return bytes(core.GeneralizedTime(value).dump())


def embedded(value: Any) -> bytes:
    """An embedded asn1crypto value (a certificate), as asn1crypto writes it inside a parent."""
    return bytes(value.dump())
