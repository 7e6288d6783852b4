"""GBCS codec errors: one family, each carrying where decoding stopped."""

from __future__ import annotations

from s1harness.spec.errors import HarnessError, InputError


class GbcsError(HarnessError):
    """Base of GBCS errors."""

    code = "GBCS"


class GbcsCodecError(GbcsError, InputError):
    """Bytes that are not a well-formed GBCS frame or payload.

    Attributes:
        field: The path of the field being decoded (``general-signing.content-length``).
        offset: The byte offset at which decoding stopped, from the start of the decoded bytes.
    """

    code = "GBCS-CODEC"

    def __init__(self, message: str, *, field: str, offset: int) -> None:
        super().__init__(f"{field} at byte {offset}: {message}")
        self.field = field
        self.offset = offset
