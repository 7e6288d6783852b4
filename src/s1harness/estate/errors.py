"""The estate's error: bad estate input, named by file, line and field where there is one."""

from __future__ import annotations

from s1harness.spec.errors import InputError


class EstateError(InputError):
    """An estate that cannot be used; the message names the entry (and line) at fault."""

    code = "ESTATE"


class EstateNotFoundError(EstateError):
    """The estate named is no file, folder, preset or example: nothing could be read (the
    command-line exit status 2, not the 1 of an estate read and found invalid)."""


__all__ = ["EstateError", "EstateNotFoundError"]
