"""The estate's error: bad estate input, named by file, line and field where there is one."""

from __future__ import annotations

from s1harness.spec.errors import InputError


class EstateError(InputError):
    """An estate that cannot be used; the message names the entry (and line) at fault."""

    code = "ESTATE"


__all__ = ["EstateError"]
