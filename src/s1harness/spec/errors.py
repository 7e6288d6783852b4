"""The one exception tree of the harness.

Every error carries a ``code``: the code a specification gives it where there is one (DUIS,
GBCS, S1SP alert codes), otherwise a harness-defined code. Rejections on the wire are data, not
exceptions: a role's check raises :class:`s1harness.spec.checks.Refusal` inside the role,
which turns it into its answer (a DUIS response code, an S1SP alert) and never lets it out.
The other exceptions are for bad input and broken invariants, and the CLI maps each of them to
a one-line message and a non-zero exit.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose.

    Args:
        message: One line saying what is wrong and where.
        code: The spec or harness-defined code; defaults to the class's ``code``.
    """

    code: str = "HARNESS"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The one-line message (no code prefix)."""
        return str(self.args[0]) if self.args else self.code


class InputError(HarnessError):
    """Input that cannot be used: a malformed identifier, an unknown name, a missing file."""

    code = "INPUT"
