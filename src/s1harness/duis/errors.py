"""DUIS errors: one family, each carrying where in the document it arose."""

from __future__ import annotations

from s1harness.spec.errors import HarnessError, InputError


class DuisError(HarnessError):
    """Base of DUIS errors."""

    code = "DUIS"


class DuisParseError(DuisError, InputError):
    """A document that is not usable DUIS XML: not XML, forbidden constructs, over a limit,
    or a structure the typed model cannot read.

    Attributes:
        path: The element path (``/sr:Request/sr:Header/sr:RequestID``), when known.
        line: The source line, when known.
    """

    code = "DUIS-PARSE"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = " ".join(p for p in (path or "", f"line {line}" if line else "") if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line


class DuisSchemaError(DuisError):
    """The DUIS XSD could not be found or loaded (not a document problem)."""

    code = "DUIS-SCHEMA"
