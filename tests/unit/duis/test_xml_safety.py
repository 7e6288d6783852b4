"""Hostile and malformed input never gets past the DUIS parser (DUIS bad-input rules)."""

from __future__ import annotations

import pytest

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<r>&x;</r>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<l>&b;</l>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (b"<a><b></a>", "not well-formed"),
        (XXE, "DOCTYPE"),
        (LAUGHS, "DOCTYPE"),
        (b"<a>" * 60 + b"</a>" * 60, "nested deeper"),
        (b"<a>" + b" " * (xml.MAX_DOCUMENT_BYTES + 1) + b"</a>", "over the"),
    ],
)
def test_bad_documents_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(DuisParseError, match=message):
        xml.parse(data)


def test_syntax_errors_carry_the_line() -> None:
    with pytest.raises(DuisParseError) as raised:
        xml.parse(b"<a>\n<b>\n</a>")
    assert raised.value.line == 3


def test_deep_nesting_error_names_the_path() -> None:
    with pytest.raises(DuisParseError) as raised:
        xml.parse(b"<a>" * 50 + b"</a>" * 50)
    assert raised.value.path is not None and raised.value.path.count("/a") == xml.MAX_DEPTH + 1


def test_parsing_drops_ignorable_whitespace_and_serialising_is_compact() -> None:
    root = xml.parse(b"<a>\n  <b>text </b>\n  <c/>\n</a>")
    assert xml.serialise(root).endswith(b"<a><b>text </b><c/></a>")


def test_relative_namespace_names_are_refused() -> None:
    with pytest.raises(DuisParseError, match="not an absolute URI"):
        xml.parse(b'<a xmlns:x="http//example"><x:b/></a>')
    assert xml.parse(b'<a xmlns="urn:example"/>') is not None
