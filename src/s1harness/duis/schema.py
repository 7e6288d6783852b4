"""Validation against the DUIS 5.4 XSD, with overlays for proposed modifications.

The XSD is the DCC's, read from where it is kept — never copied or edited. The folder is
``$S1HARNESS_DUIS_XSD`` when set, else ``duis/xsd`` found as :mod:`s1harness.locations`
describes (``$S1HARNESS_VECTORS``, then ``shared/vectors`` beside the checkout the harness runs
from; never the folders above an installed package). It must hold ``DUIS Schema V5.4.xsd``,
``MMC Schema V5.4.xsd`` and ``xmldsig-core-schema.xsd``.
libxml2 silently skips an import whose file name contains a space, so the MMC import is
percent-encoded in memory before compiling.

**Overlays.** A proposed modification that adds values to a DUIS enumeration (SECMP0058 adds a
response code for "Certificate Party / MPAN mismatch") is declared as a :class:`SchemaOverlay`.
Validating with an overlay compiles an in-memory copy of the XSD with the extra
``xs:enumeration`` values added to the named simple type; the shipped file is untouched and
validation without the overlay still refuses the value. Every overlay the harness uses is in
:data:`OVERLAYS`, with its source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from s1harness import locations
from s1harness.duis.errors import DuisSchemaError
from s1harness.duis.xml import line_of, path_of
from s1harness.spec import codes

XSD_VARIABLE = "S1HARNESS_DUIS_XSD"
DUIS_XSD = "DUIS Schema V5.4.xsd"
MMC_XSD = "MMC Schema V5.4.xsd"
_XS = "http://www.w3.org/2001/XMLSchema"


@dataclass(frozen=True, slots=True)
class SchemaOverlay:
    """Extra enumeration values a proposed modification adds to a DUIS simple type."""

    name: str
    simple_type: str
    values: tuple[str, ...]
    description: str
    source: str


OVERLAYS: dict[str, SchemaOverlay] = {
    "SECMP0058": SchemaOverlay(
        name="SECMP0058",
        simple_type="ResponseCode",
        values=(codes.E061510.code,),
        description="6.15.1: Certificate Party / MPAN mismatch (NO certificate placed by a "
        "Supplier does not belong to the MPAN's distributor)",
        source="harness-defined: SECMP0058 proposes the error but no DUIS code exists; "
        "E061510 is the next free 6.15 code after E061509",
    ),
}


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One schema violation: what, at which element, on which line."""

    message: str
    path: str | None
    line: int | None

    def __str__(self) -> str:
        where = " ".join(
            p for p in (self.path or "", f"line {self.line}" if self.line else "") if p
        )
        return f"{where}: {self.message}" if where else self.message


def find_xsd_dir() -> Path:
    """The folder holding the DUIS 5.4 XSDs (see the module docstring for the search order).

    Raises:
        DuisSchemaError: when no candidate folder holds the DUIS XSD.
    """
    configured = os.environ.get(XSD_VARIABLE)
    found = Path(configured) if configured else locations.find("duis/xsd", DUIS_XSD)
    if found is not None and (found / DUIS_XSD).is_file():
        return found
    looked = (
        f"{XSD_VARIABLE}={configured}"
        if configured
        else ", ".join(str(c) for c in locations.candidates("duis/xsd")) or "nowhere"
    )
    raise DuisSchemaError(
        f"DUIS 5.4 XSD not found (looked in: {looked}). Download the DUIS 5.4 schema files "
        f"published by the SEC ('{DUIS_XSD}', '{MMC_XSD}') and the W3C "
        f"'xmldsig-core-schema.xsd' into one folder and set {XSD_VARIABLE} to it "
        f"(or {locations.VECTORS_VARIABLE} to a folder holding duis/xsd/)"
    )


class DuisSchema:
    """A compiled DUIS 5.4 schema, optionally with overlays; compile once, validate often."""

    def __init__(self, xsd_dir: Path, overlays: Iterable[SchemaOverlay] = ()) -> None:
        self.xsd_dir = xsd_dir
        self.overlays = tuple(overlays)
        self._schema = etree.XMLSchema(self._document())

    def _document(self) -> etree._ElementTree:
        path = self.xsd_dir / DUIS_XSD
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise DuisSchemaError(f"{path}: cannot read ({exc.strerror})") from None
        text = text.replace(
            f'schemaLocation="{MMC_XSD}"'.encode(),
            f'schemaLocation="{MMC_XSD.replace(" ", "%20")}"'.encode(),
        )
        parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
        root = etree.fromstring(text, parser, base_url=str(path))
        for overlay in self.overlays:
            _apply(root, overlay)
        return root.getroottree()

    def validate(self, root: etree._Element) -> list[SchemaIssue]:
        """Every violation of the schema by the document ``root``; empty when valid."""
        if self._schema.validate(root):
            return []
        return [_issue(entry, root) for entry in list(self._schema.error_log)]  # type: ignore[call-overload]

    def is_valid(self, root: etree._Element) -> bool:
        """Whether ``root`` is valid (cheaper than :meth:`validate` when invalid)."""
        return bool(self._schema.validate(root))


def _apply(root: etree._Element, overlay: SchemaOverlay) -> None:
    found = root.xpath(
        f"xs:simpleType[@name='{overlay.simple_type}']/xs:restriction", namespaces={"xs": _XS}
    )
    if not isinstance(found, list) or not found:
        raise DuisSchemaError(f"overlay {overlay.name}: no simple type {overlay.simple_type!r}")
    restriction = found[0]
    assert isinstance(restriction, etree._Element)
    existing = {e.get("value") for e in restriction.iterchildren(f"{{{_XS}}}enumeration")}
    for value in overlay.values:
        if value not in existing:
            etree.SubElement(restriction, f"{{{_XS}}}enumeration", value=value)


def _issue(entry: etree._LogEntry, root: etree._Element) -> SchemaIssue:
    path = entry.path if isinstance(entry.path, str) and entry.path else None
    return SchemaIssue(_shorten(entry.message), path, entry.line if entry.line else None)


def _shorten(message: str) -> str:
    """libxml2 lists every allowed value of an enumeration (194 response codes): keep a few."""
    return _LONG_SET.sub(lambda m: "{" + ", ".join(m.group(1).split(", ")[:6]) + ", …}", message)


_LONG_SET = re.compile(r"\{([^{}]{160,})\}")


@cache
def load_schema(overlays: tuple[str, ...] = (), xsd_dir: Path | None = None) -> DuisSchema:
    """The schema with the named overlays, compiled once per process.

    Raises:
        DuisSchemaError: for an unknown overlay name or a missing XSD.
    """
    unknown = [name for name in overlays if name not in OVERLAYS]
    if unknown:
        known = ", ".join(sorted(OVERLAYS))
        raise DuisSchemaError(f"unknown schema overlay {unknown[0]!r} (known: {known})")
    return DuisSchema(xsd_dir or find_xsd_dir(), (OVERLAYS[name] for name in overlays))


__all__ = [
    "OVERLAYS",
    "DuisSchema",
    "SchemaIssue",
    "SchemaOverlay",
    "find_xsd_dir",
    "line_of",
    "load_schema",
    "path_of",
]
