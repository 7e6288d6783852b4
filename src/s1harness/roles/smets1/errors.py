"""Errors of the SMETS1 device protocol: bad frames, bad bodies, failed integrity checks."""

from __future__ import annotations

from s1harness.spec.errors import InputError


class Smets1CodecError(InputError):
    """Bytes that are not a well-formed SMETS1 instruction or device frame, or a frame body
    that lacks or misstates a field.

    Attributes:
        field: The path of the field being decoded (``frame.body-length``, ``body.role``).
        offset: The byte offset at which decoding stopped, from the start of the frame.
    """

    code = "SMETS1-CODEC"

    def __init__(self, message: str, *, field: str, offset: int) -> None:
        super().__init__(f"{field} at byte {offset}: {message}")
        self.field = field
        self.offset = offset


class Smets1IntegrityError(InputError):
    """A frame whose integrity tag does not verify under the device key."""

    code = "SMETS1-INTEGRITY"
