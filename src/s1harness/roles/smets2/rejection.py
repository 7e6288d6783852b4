"""Why a device refused a command: returned as data, never raised to the caller.

A refused command changes no state and gets no response on the wire (GBCS devices drop
commands that fail authentication or anti-replay checks); the device keeps a
:class:`Rejection` the test can read. The reason values are harness-defined and stable (GBCS
gives silent discards no code).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RejectionReason(enum.StrEnum):
    """The check a refused command failed, in the order the device applies them."""

    MALFORMED = "malformed"
    """The frame or payload does not decode."""
    NOT_ADDRESSED_TO_DEVICE = "not-addressed-to-device"
    """Not a command, or its Business Target ID is another device."""
    UNSUPPORTED = "unsupported"
    """A message code or replacement mode the emulator does not implement."""
    MODE_MISMATCH = "mode-mismatch"
    """The message code, ARPC authorising cell or target cells do not fit the mode."""
    MAC_FAILURE = "mac-failure"
    """The ACB MAC is missing where required, or does not verify."""
    UNKNOWN_AUTHORISER = "unknown-authoriser"
    """No certificate in the authorising cell, or the originator is not its subject."""
    SIGNATURE_FAILURE = "signature-failure"
    """The signature is missing or does not verify with the authorising cell's certificate."""
    SEQUENCE_MISMATCH = "sequence-mismatch"
    """ARPC authorisingRemotePartySeqNumber differs from the header's originator counter."""
    REPLAY = "replay"
    """The counter does not exceed the authorising role's floor sequence number."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused command: the reason, a one-line detail, and the header fields if decoded.

    Attributes:
        reason: The failed check.
        detail: What exactly failed (names the cell, counter or field).
        counter: The command's originator counter, when the header decoded.
        message_code: The command's message code, when the header decoded.
    """

    reason: RejectionReason
    detail: str
    counter: int | None = None
    message_code: int | None = None

    @property
    def code(self) -> str:
        """The stable harness code (``SMETS2-REPLAY``) for reports."""
        return f"SMETS2-{self.reason.name.replace('_', '-')}"


class RefusalError(Exception):
    """Internal: unwinds command processing to the device, which turns it into data."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
