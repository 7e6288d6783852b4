"""Safe parsing and compact serialisation of DUIS documents.

Parsing never resolves entities, never loads a DTD, never touches the network, and refuses
any document with a DOCTYPE at all (DUIS has no use for one, and the DCC's own tool forbids it).
It drops ignorable whitespace between elements as it parses (in libxml2), which is what the
DCC's XSD-validating parser does before a signature is checked.
Size and depth are bounded before and after parsing. Serialisation is compact — no
whitespace-only text between elements — because the DCC signing tool drops that whitespace
before digesting, so only compact documents verify the same everywhere.
"""

from __future__ import annotations

import re

from lxml import etree

from s1harness.duis.errors import DuisParseError
from s1harness.duis.ns import DS, RA, SR, XSI

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
"""Larger documents are refused; the largest DUIS message in the public templates is ~30 KB."""
MAX_DEPTH = 48
"""Deeper documents are refused; DUIS nests about 12 levels."""
_PREFIXES = {SR: "sr", RA: "ra", DS: "ds", XSI: "xsi"}

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
    remove_pis=False,
    remove_blank_text=True,
)


def parse(data: bytes) -> etree._Element:
    """Parse a DUIS document and return its root element.

    Raises:
        DuisParseError: for input over the size or depth limit, with a DOCTYPE, or not
            well-formed XML (with the line where parsing failed).
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DuisParseError(f"document is {len(data)} bytes, over the {MAX_DOCUMENT_BYTES} limit")
    _check_utf8(data)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DuisParseError("DOCTYPE and entity declarations are not allowed in DUIS documents")
    _check_namespaces(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise DuisParseError(f"not well-formed XML: {exc.msg}", line=line) from None
    if root is None:
        raise DuisParseError("empty document")
    _check_depth(root)
    return root


_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*(["'])(.*?)\1""")


def _check_utf8(data: bytes) -> None:
    """A DUIS document is UTF-8: a document in another encoding (UTF-16 or UTF-32 by its byte
    order mark or its NUL octets, or by its XML declaration) is refused before it is parsed,
    so the checks made on its octets (no DOCTYPE) cannot be stepped round by re-encoding it."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise DuisParseError("not UTF-8: a DUIS document is UTF-8 (this looks like UTF-16 or -32)")
    declared = _ENCODING.match(data)
    if declared and declared.group(2).strip().lower() not in (b"utf-8", b"utf8"):
        name = declared.group(2).decode("ascii", "replace")
        raise DuisParseError(f"declared encoding {name!r}: a DUIS document is UTF-8")


_DECLARATION = re.compile(rb"""xmlns(?::[\w.-]+)?\s*=\s*(["'])(.*?)\1""", re.DOTALL)
_ABSOLUTE_URI = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*:")


def _check_namespaces(data: bytes) -> None:
    """Namespace names must be absolute URIs: canonicalisation fails on relative ones.

    Checked in the raw text: libxml2's namespace axis costs three times the parse itself.
    (The signature check also turns any canonicalisation failure into a refusal.)
    """
    for match in _DECLARATION.finditer(data):
        uri = match.group(2)
        if uri and not _ABSOLUTE_URI.match(uri):
            shown = uri.decode("utf-8", "replace")
            raise DuisParseError(f"namespace name {shown!r} is not an absolute URI")


_TOO_DEEP = etree.XPath("/*" * (MAX_DEPTH + 1))
"""Selects elements nested deeper than the limit (evaluated by libxml2, not in Python)."""


def _check_depth(root: etree._Element) -> None:
    deep = _TOO_DEEP(root)
    if isinstance(deep, list) and deep:
        element = deep[0]
        assert isinstance(element, etree._Element)
        message = f"nested deeper than {MAX_DEPTH} elements"
        raise DuisParseError(message, path=path_of(element), line=line_of(element))


def line_of(element: etree._Element) -> int | None:
    """The element's source line, when the parser recorded one."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def path_of(element: etree._Element) -> str:
    """``/sr:Request/sr:Body/…`` with conventional prefixes and 1-based positions for repeats."""
    steps = []
    node: etree._Element | None = element
    while node is not None:
        steps.append(_step(node))
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def _step(node: etree._Element) -> str:
    if not isinstance(node.tag, str):
        return "comment()"
    qname = etree.QName(node)
    prefix = _PREFIXES.get(qname.namespace or "")
    name = f"{prefix}:{qname.localname}" if prefix else qname.localname
    parent = node.getparent()
    if parent is None:
        return name
    same = [c for c in parent if c.tag == node.tag]
    return f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name


def compact(root: etree._Element) -> etree._Element:
    """Remove whitespace-only text between elements, in place; returns ``root``.

    That is the text of an element with children, and the tail of every node below ``root``
    (each node is some element's child, comments and processing instructions included), all
    visited in one walk of the tree.
    """
    nodes = root.iter()
    next(nodes)  # the root itself: its tail is outside the document
    _compact_text(root)
    for node in nodes:
        tail = node.tail
        if tail is not None and not tail.strip():
            node.tail = None
        if isinstance(node.tag, str):
            _compact_text(node)
    return root


def _compact_text(element: etree._Element) -> None:
    text = element.text
    if text is not None and len(element) and not text.strip():
        element.text = None


def serialise(root: etree._Element) -> bytes:
    """Compact UTF-8 with an XML declaration, as the DCC signing tool writes."""
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>' + body
