"""Entity identifiers (GBCS §4.3.3: EUI-64).

Device IDs, User IDs and certificate Entity Identifiers are EUI-64s. DUIS writes them as
``90-B3-D5-1F-30-01-00-00``, certificates carry the 8 raw octets, and the DCC Boxed keystore
keys them as 16 lower-case hex digits. :class:`Eui64` accepts all three and normalises to 16
upper-case hex digits.
"""

from __future__ import annotations

import functools
import re

from s1harness.spec.errors import InputError

_HEX16 = re.compile(r"[0-9A-F]{16}")


class Eui64(str):
    """An EUI-64 as 16 upper-case hex digits; a ``str`` so it serialises as itself.

    Raises:
        InputError: if the text is not 8 octets of hex (dashes, colons and spaces allowed).
    """

    __slots__ = ()

    def __new__(cls, value: str | bytes | Eui64) -> Eui64:
        if isinstance(value, Eui64):
            return value
        if isinstance(value, bytes | bytearray):
            if len(value) != 8:
                raise InputError(f"an EUI-64 is 8 octets, got {len(value)}")
            return super().__new__(cls, bytes(value).hex().upper())
        return _from_text(cls, value)

    @property
    def octets(self) -> bytes:
        """The 8 octets, big-endian as written."""
        return bytes.fromhex(self)

    @property
    def duis(self) -> str:
        """The DUIS form, octets joined by dashes (``90-B3-D5-1F-30-01-00-00``)."""
        return bytes.fromhex(self).hex("-").upper()


@functools.lru_cache(maxsize=4096)
def _from_text(cls: type[Eui64], value: str) -> Eui64:
    """Remembered per text: a round trip names the same few parties and devices again and
    again (over a hundred times a device in a campaign). Refusals raise every time."""
    text = value.replace("-", "").replace(":", "").replace(" ", "").upper()
    if not _HEX16.fullmatch(text):
        raise InputError(f"not an EUI-64 (16 hex digits): {value!r}")
    return str.__new__(cls, text)


DCC_EUI = Eui64("90B3D51F30000002")
"""The DCC's Entity Identifier in the DCC's test estates (DSP XML signing, ACB)."""
