"""Fixtures for the DUIS message tests: the XSD as a validator, placeholder signatures, and the
canonical form used to compare documents.

The validator is built here from the public XSD (not from the production schema module) so
that the message tests stand on their own. lxml resolves ``schemaLocation`` as a URI, so the
space in ``MMC Schema V5.4.xsd`` is percent-encoded first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from s1harness.duis.messages import _xml
from s1harness.duis.ns import DS, SR, ds
from s1harness.duis.xml import compact

_PLACEHOLDER_ALGORITHMS = {
    "CanonicalizationMethod": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "SignatureMethod": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "DigestMethod": "http://www.w3.org/2001/04/xmlenc#sha256",
}
_SIGNED_BY_THE_S1SP = (f"{{{SR}}}S1SPAlert", f"{{{SR}}}SMETS1SignedResponse")
_DATE_TIMES = {"ExecutionDateTime", "ResponseDateTime", "DateTime", "Timestamp"}


@pytest.fixture(scope="session")
def duis_schema(vectors: Path) -> etree.XMLSchema:
    """The DUIS 5.4 XSD (with MMC 5.4 and xmldsig), loaded without network access."""
    folder = vectors / "duis" / "xsd"
    text = (
        (folder / "DUIS Schema V5.4.xsd")
        .read_bytes()
        .replace(
            b'schemaLocation="MMC Schema V5.4.xsd"', b'schemaLocation="MMC%20Schema%20V5.4.xsd"'
        )
    )
    parser = etree.XMLParser(no_network=True, load_dtd=False)
    document = etree.fromstring(text, parser, base_url=folder.as_posix() + "/")
    return etree.XMLSchema(document)


def placeholder_signature() -> etree._Element:
    """A syntactically valid ``ds:Signature`` (SignedInfo, Reference, SignatureValue)."""
    signature = etree.Element(ds("Signature"), nsmap={"ds": DS})
    info = etree.SubElement(signature, ds("SignedInfo"))
    for name in ("CanonicalizationMethod", "SignatureMethod"):
        etree.SubElement(info, ds(name), Algorithm=_PLACEHOLDER_ALGORITHMS[name])
    reference = etree.SubElement(info, ds("Reference"), URI="")
    etree.SubElement(
        reference, ds("DigestMethod"), Algorithm=_PLACEHOLDER_ALGORITHMS["DigestMethod"]
    )
    etree.SubElement(reference, ds("DigestValue")).text = "ZGVmYXVsdA=="
    etree.SubElement(signature, ds("SignatureValue")).text = "ZGVmYXVsdA=="
    return signature


def add_placeholder_signatures(root: etree._Element) -> etree._Element:
    """Give every S1SP-signed object in ``root`` (or ``root`` itself) a placeholder signature
    where it has none, in place, as the XSD requires; returns ``root``."""
    for element in root.iter(*_SIGNED_BY_THE_S1SP):
        if element.find(ds("Signature")) is None:
            element.append(placeholder_signature())
    return root


def canonical(root: etree._Element) -> bytes:
    """Inclusive C14N of a compacted copy with the outer ``ds:Signature`` removed, unused
    namespace declarations dropped, and date-times in one lexical form."""
    copy = etree.fromstring(etree.tostring(root))
    for signature in copy.findall(ds("Signature")):
        copy.remove(signature)
    for element in copy.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname in _DATE_TIMES:
            element.text = _xml.format_date_time(_xml.date_time(element))
    etree.cleanup_namespaces(copy)
    return etree.tostring(compact(copy), method="c14n")


@pytest.fixture
def sign_placeholders() -> Callable[[etree._Element], etree._Element]:
    """:func:`add_placeholder_signatures`, as a fixture."""
    return add_placeholder_signatures


@pytest.fixture
def canonical_form() -> Callable[[etree._Element], bytes]:
    """:func:`canonical`, as a fixture."""
    return canonical
