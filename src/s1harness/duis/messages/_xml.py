"""Reading and writing the simple values of DUIS documents (private).

Readers walk an element's children in XSD sequence order (:class:`Children`) and turn each
simple value into a Python value, raising :class:`DuisParseError` with the element's path and
source line. Lexical forms follow XML Schema 1.0 Part 2 as DUIS 5.4 uses them: whitespace is
collapsed for every type except ``xs:string``, base64 tolerates whitespace, ``xs:hexBinary`` is
read case-insensitively. Writers produce the canonical form the DCC's own tools write: upper-case
hex, base64 without line breaks, date-times in UTC with milliseconds and ``Z``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

from lxml import etree

from s1harness.duis.errors import DuisParseError
from s1harness.duis.ns import DS, RA, SR, XSI, ds
from s1harness.duis.xml import line_of, path_of
from s1harness.spec import Eui64, InputError

_PREFIXES = {SR: "sr", RA: "ra", DS: "ds", XSI: "xsi"}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_EUI = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}")
_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_MAX_DIGITS = 48
"""Longer integers are refused before conversion; no DUIS integer needs more than 20 digits."""
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_Enum = TypeVar("_Enum", bound=enum.StrEnum)
_Value = TypeVar("_Value")
_Args = ParamSpec("_Args")


def qname(tag: str) -> str:
    """``sr:Name`` for a Clark name, with the conventional DUIS prefixes."""
    name = etree.QName(tag)
    prefix = _PREFIXES.get(name.namespace or "")
    return f"{prefix}:{name.localname}" if prefix else name.localname


def fail(element: etree._Element, message: str) -> DuisParseError:
    """A parse error located at ``element``."""
    return DuisParseError(message, path=path_of(element), line=line_of(element))


def located(element: etree._Element) -> _Located:
    """Re-raise value errors from the block as :class:`DuisParseError` located at ``element``.

    Errors that already carry a path pass through unchanged.
    """
    return _Located(element)


class _Located:
    """The context manager of :func:`located`: a class, as a generator-based one costs several
    times as much and readers enter one for almost every value."""

    __slots__ = ("element",)

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is None or (isinstance(exc, DuisParseError) and exc.path is not None):
            return
        if isinstance(exc, InputError):
            raise fail(self.element, exc.message) from None
        if isinstance(exc, ValueError | OverflowError):
            raise fail(self.element, str(exc)) from None


class Children:
    """The element children of ``parent``, consumed in XSD sequence order.

    Comments and processing instructions are skipped; anything left over at :meth:`end`, or
    out of order, is an error.
    """

    def __init__(self, parent: etree._Element) -> None:
        self.parent = parent
        self._items: list[etree._Element] = []
        self._tags: list[str] = []  # lxml builds a new string on every .tag: read each once
        for child in parent:
            tag = child.tag
            if isinstance(tag, str):
                self._items.append(child)
                self._tags.append(tag)
        self._at = 0

    def optional(self, tag: str) -> etree._Element | None:
        """The next child if it is ``tag``; otherwise ``None`` (nothing is consumed)."""
        at = self._at
        if at < len(self._tags) and self._tags[at] == tag:
            self._at = at + 1
            return self._items[at]
        return None

    def maybe(
        self,
        tag: str,
        read: Callable[Concatenate[etree._Element, _Args], _Value],
        *args: _Args.args,
        **kwargs: _Args.kwargs,
    ) -> _Value | None:
        """``read(child, *args)`` of the next child if it is ``tag``; otherwise ``None``."""
        element = self.optional(tag)
        return None if element is None else read(element, *args, **kwargs)

    def required(self, tag: str) -> etree._Element:
        """The next child, which must be ``tag``."""
        element = self.optional(tag)
        if element is None:
            raise self._missing(qname(tag), f"{path_of(self.parent)}/{qname(tag)}")
        return element

    def repeated(self, tag: str, low: int, high: int) -> list[etree._Element]:
        """``low`` to ``high`` consecutive ``tag`` children."""
        found: list[etree._Element] = []
        while (element := self.optional(tag)) is not None:
            if len(found) == high:
                raise fail(element, f"more than {high} {qname(tag)} elements")
            found.append(element)
        if len(found) < low:
            what = qname(tag) if not found else f"{low} {qname(tag)} elements"
            raise self._missing(what, f"{path_of(self.parent)}/{qname(tag)}")
        return found

    def optional_any(self) -> etree._Element | None:
        """The next child whatever its name, or ``None`` at the end."""
        if self._at == len(self._items):
            return None
        self._at += 1
        return self._items[self._at - 1]

    def choice(self, what: str) -> etree._Element:
        """The next child, whatever its name (the caller dispatches on it)."""
        element = self.optional_any()
        if element is None:
            raise self._missing(what, path_of(self.parent))
        return element

    def signature(self) -> etree._Element | None:
        """An optional ``ds:Signature``: skipped here, since signatures are verified elsewhere."""
        return self.optional(ds("Signature"))

    def end(self) -> None:
        """Fail on any child not consumed."""
        if self._at < len(self._items):
            extra = self._items[self._at]
            raise fail(extra, f"unexpected element {qname(str(extra.tag))}")

    def _missing(self, what: str, path: str) -> DuisParseError:
        """``what`` is missing; the line is that of the element found instead, if any."""
        found = self._items[self._at] if self._at < len(self._items) else None
        where = found if found is not None else self.parent
        detail = f" (found {qname(str(found.tag))})" if found is not None else ""
        message = f"missing mandatory {what} in {qname(str(self.parent.tag))}{detail}"
        return DuisParseError(message, path=path, line=line_of(where))


def single(element: etree._Element, what: str) -> etree._Element:
    """The one child of a wrapper whose content is an ``xs:choice`` (``what`` names it)."""
    children = Children(element)
    child = children.choice(what)
    children.end()
    return child


def has_signature(element: etree._Element) -> bool:
    """Whether ``element`` has a ``ds:Signature`` child."""
    return any(child.tag == ds("Signature") for child in element)


def text(element: etree._Element) -> str:
    """The character content of a simple-typed element, as written (``xs:string``)."""
    if not len(element):  # the usual case: no child at all, so no tails to join
        return element.text or ""
    for child in element:
        if isinstance(child.tag, str):
            raise fail(child, f"unexpected element {qname(child.tag)} in a simple value")
    return (element.text or "") + "".join(child.tail or "" for child in element)


def token(element: etree._Element) -> str:
    """The whitespace-collapsed, non-empty content (``xs:token`` and the other non-strings)."""
    value = " ".join(text(element).split())
    if not value:
        raise fail(element, "empty value")
    return value


def integer(element: etree._Element, low: int, high: int) -> int:
    """An integer within ``low``..``high`` inclusive."""
    with located(element):
        return parse_integer(token(element), low, high)


def parse_integer(value: str, low: int, high: int) -> int:
    """An ``xs:integer`` lexical value within ``low``..``high``, e.g. of an attribute.

    Raises:
        InputError: if it is not an integer or is out of range.
    """
    if not _INTEGER.fullmatch(value) or len(value) > _MAX_DIGITS:
        raise InputError(f"not an integer in {low}..{high}: {value[:_MAX_DIGITS]!r}")
    number = int(value)
    if not low <= number <= high:
        raise InputError(f"{number} is outside {low}..{high}")
    return number


def boolean(element: etree._Element) -> bool:
    """An ``xs:boolean`` element (``true``/``false``/``1``/``0``)."""
    with located(element):
        return parse_boolean(token(element))


def parse_boolean(value: str) -> bool:
    """An ``xs:boolean`` lexical value, e.g. of an attribute.

    Raises:
        InputError: for anything but ``true``/``false``/``1``/``0``.
    """
    if value not in _BOOLEANS:
        raise InputError(f"not a boolean: {value!r}")
    return _BOOLEANS[value]


def member(element: etree._Element, kind: type[_Enum]) -> _Enum:
    """A value of an XSD enumeration, as the StrEnum ``kind``."""
    value = token(element)
    try:
        return kind(value)
    except ValueError:
        raise fail(element, f"unknown {qname(str(element.tag))} value {value!r}") from None


def binary(element: etree._Element) -> bytes:
    """An ``xs:base64Binary`` value; whitespace inside it is ignored."""
    return decode_base64(element, "".join(text(element).split()))


def decode_base64(element: etree._Element, value: str) -> bytes:
    """Strictly decode ``value`` (whitespace already removed); errors located at ``element``."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise fail(element, "not valid base64") from None


def hex_code(element: etree._Element) -> str:
    """An ``xs:hexBinary`` value as upper-case hex digits (``8F66``)."""
    value = token(element)
    if not _HEX.fullmatch(value):
        raise fail(element, f"not hexBinary: {value!r}")
    return value.upper()


def eui(element: etree._Element) -> Eui64:
    """A DUIS ``EUI`` (``90-B3-D5-1F-30-01-00-00``, either case)."""
    value = token(element)
    if not _EUI.fullmatch(value):
        raise fail(element, f"not a dashed EUI-64: {value!r}")
    return Eui64(value)


def date_time(element: etree._Element) -> datetime:
    """An ``xs:dateTime`` as an aware UTC datetime (no zone is read as UTC, as DUIS intends)."""
    value = token(element)
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise fail(element, f"not an xs:dateTime: {value!r}")
    with located(element):
        return _to_datetime(match)


def _to_datetime(match: re.Match[str]) -> datetime:
    parts = {k: int(match[k]) for k in ("year", "month", "day", "hour", "minute", "second")}
    fraction = match["fraction"] or "0"
    end_of_day = parts["hour"] == 24 and parts["minute"] == parts["second"] == int(fraction) == 0
    if end_of_day:
        parts["hour"] = 0
    micro = int(fraction[:6].ljust(6, "0"))
    result = datetime(**parts, microsecond=micro, tzinfo=UTC)
    zone = match["zone"]
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        result -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return result + timedelta(days=1) if end_of_day else result


def attribute(element: etree._Element, name: str) -> str | None:
    """An attribute's whitespace-collapsed value, or ``None`` when absent."""
    value = element.get(name)
    return None if value is None else " ".join(value.split())


def required_attribute(element: etree._Element, name: str) -> str:
    """A mandatory attribute's collapsed value."""
    value = attribute(element, name)
    if not value:
        raise DuisParseError(
            f"missing mandatory attribute {name}",
            path=f"{path_of(element)}/@{name}",
            line=line_of(element),
        )
    return value


# --- writing -------------------------------------------------------------------------------


def add(parent: etree._Element, tag: str, value: str | None = None) -> etree._Element:
    """Append a child ``tag`` with text ``value``."""
    child = etree.SubElement(parent, tag)
    if value is not None:
        child.text = value
    return child


def add_optional(parent: etree._Element, tag: str, value: str | None) -> None:
    """Append a child ``tag`` only when ``value`` is not ``None``."""
    if value is not None:
        add(parent, tag, value)


def optional_str(value: object | None) -> str | None:
    """``str(value)`` or ``None``; for optional integers and identifiers."""
    return None if value is None else str(value)


def format_binary(data: bytes) -> str:
    """base64 without line breaks."""
    return base64.b64encode(data).decode("ascii")


def format_boolean(value: bool) -> str:
    """``true`` / ``false``."""
    return "true" if value else "false"


def format_date_time(value: datetime) -> str:
    """UTC with milliseconds and ``Z`` (``2030-01-01T00:00:00.000Z``).

    Sub-millisecond precision, which DUIS never carries, is written with six digits rather
    than lost.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"date-time {value.isoformat()} has no time zone; DUIS needs UTC")
    utc = value.astimezone(UTC)
    fraction = f"{utc.microsecond // 1000:03d}" if utc.microsecond % 1000 == 0 else f"{utc:%f}"
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{fraction}Z"
    )
