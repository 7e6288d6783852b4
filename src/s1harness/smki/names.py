"""Distinguished names as plain values, independent of the parsing library.

Names compare by attribute type and value only, so ``OU=07, CN=Z1`` in PrintableString equals the
same name in UTF8String (the 2018 self-made certificates encode their issuer that way). String
types belong to the certificate profile, not to name matching.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from s1harness.smki.oids import SHORT_NAMES

_ESCAPE = {",", "+", '"', "\\", "<", ">", ";", "="}


@dataclass(frozen=True, slots=True)
class DistinguishedName:
    """An X.501 name: attributes in DER order, one per RDN in every SMKI certificate.

    Attributes:
        attributes: ``(oid, value)`` pairs; binary values (x500UniqueIdentifier) are written as
            ``#`` followed by the hex of the attribute's DER encoding, as RFC 4514 does.
    """

    attributes: tuple[tuple[str, str], ...]

    def get(self, oid: str) -> str | None:
        """The first value of attribute ``oid``, if present."""
        return next((value for key, value in self.attributes if key == oid), None)

    def rfc4514(self) -> str:
        """RFC 4514 string, last RDN first, no spaces (``CN=Z1,OU=07``), as XML-DSig uses."""
        return _rfc4514(self.attributes)

    def __str__(self) -> str:
        """DER order with spaces (``OU=07, CN=Z1``), the way the SMKI documents write names."""
        return ", ".join(_attribute(oid, value) for oid, value in self.attributes)


@functools.lru_cache(maxsize=1024)
def _rfc4514(attributes: tuple[tuple[str, str], ...]) -> str:
    """Remembered per name: every XML signature writes its signer's issuer this way, and every
    check looks the issuer up by it (a pure function of the attributes, which key it whole)."""
    return ",".join(_attribute(oid, value) for oid, value in reversed(attributes))


def _attribute(oid: str, value: str) -> str:
    key = SHORT_NAMES.get(oid, oid)
    if value.startswith("#"):
        return f"{key}={value}"
    escaped = "".join(f"\\{ch}" if ch in _ESCAPE else ch for ch in value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return f"{key}={escaped}"
