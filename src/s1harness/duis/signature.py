"""XML signatures in the DUIS profile, made and checked as the DCC's signing tool does.

Profile: an enveloped ``ds:Signature``, last child of the signed element; SignedInfo
canonicalised with exclusive C14N 1.0; one Reference ``URI=""`` with the single enveloped-
signature transform, so the referenced octets are the **inclusive** C14N 1.0 (no comments) of
the document without its signature, digested with SHA-256; ECDSA P-256/SHA-256 with the value
as raw r‖s; KeyInfo carrying only ``X509IssuerSerial`` — the issuer as an RFC 4514 string
(``CN=Z1,OU=07``) and the serial in decimal.

Documents are compacted (whitespace-only text between elements removed) before digesting, on
both sides: the DCC's tool parses with its XSD and drops that whitespace before it digests, so
a document is signed and checked as the DCC sees it.

**Embedded signed elements.** An S1SP signs an ``S1SPAlert`` or ``SMETS1SignedResponse`` that
the DSP later embeds in its own response, which changes the element's in-scope namespaces and
so its inclusive canonical form. The harness therefore signs and checks these as standalone
documents that declare exactly the namespaces they use (``embedded=True``). Public material
does not say how a real S1SP canonicalises them; this convention is the harness's.

Verification resolves the certificate by issuer and serial in a keystore, checks the
algorithms, the digest and the signature, then the certificate: key usage digitalSignature,
the expected role (135 for a DCC User, 137 for the DSP) and the expected EUI (the RequestID
originator), and its validity at a given time. Every failure says which check failed.
"""

from __future__ import annotations

import base64
import binascii
import copy
import enum
import hashlib
import operator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from lxml import etree

from s1harness.duis.ns import DS, ds
from s1harness.duis.xml import compact
from s1harness.smki.certificate import SmkiCertificate
from s1harness.smki.keys import PrivateKey
from s1harness.smki.keystore import Keystore
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_ECDSA = ec.ECDSA(hashes.SHA256())
_ECDSA_DETERMINISTIC = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_SIGNATURE = ds("Signature")


class SignatureFailure(enum.StrEnum):
    """Why a signature was refused; values are stable for JSON output."""

    MISSING = "missing-signature"
    MISPLACED = "signature-not-last-child"
    MALFORMED = "malformed-signature"
    ALGORITHM = "unsupported-algorithm"
    UNKNOWN_CERTIFICATE = "unknown-certificate"
    DIGEST = "digest-mismatch"
    SIGNATURE = "bad-signature"
    KEY_USAGE = "wrong-key-usage"
    ROLE = "wrong-role"
    EUI = "signer-is-not-originator"
    VALIDITY = "certificate-not-valid"


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of :func:`verify`; true when valid."""

    valid: bool
    signer_eui: Eui64 | None
    failure: SignatureFailure | None
    reason: str | None
    certificate: SmkiCertificate | None = None

    def __bool__(self) -> bool:
        return self.valid


class _RefusedError(Exception):
    def __init__(self, failure: SignatureFailure, reason: str) -> None:
        super().__init__(reason)
        self.failure, self.reason = failure, reason


def sign(
    root: etree._Element,
    key: PrivateKey,
    certificate: SmkiCertificate,
    *,
    embedded: bool = False,
) -> etree._Element:
    """Sign the document ``root`` in place (any existing signature is removed first).

    Returns ``root``, compacted, with its ``ds:Signature`` appended as the last child.
    """
    for old in root.findall(_SIGNATURE):
        root.remove(old)
    compact(root)
    digest = base64.b64encode(hashlib.sha256(_reference_octets(root, embedded)).digest())
    signature = _signature_skeleton(root, digest.decode(), certificate)
    signed_info = signature[0]
    der = key.sign(_signed_info_octets(signed_info), _ECDSA_DETERMINISTIC)
    r, s = decode_dss_signature(der)
    signature[1].text = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    return root


def _signature_skeleton(root: etree._Element, digest: str, cert: SmkiCertificate) -> etree._Element:
    """Append the ``ds:Signature`` (value still empty) to ``root``: a copy of a template built
    once, which costs a fifth of building its thirteen elements one by one. Appended to a root
    that declares no ``ds`` prefix, or binds ``ds`` to the XML-DSig namespace, the copy comes
    out as building it in place would (lxml drops the copy's declaration where the root's
    already applies); a root binding the namespace to another prefix gets it built in place."""
    bound = [prefix for prefix, uri in root.nsmap.items() if uri == DS]
    if bound not in ([], ["ds"]):
        return _built_skeleton(root, digest, cert)
    signature = copy.deepcopy(_SKELETON)
    signature[0][2][2].text = digest  # SignedInfo / Reference / DigestValue
    issuer_serial = signature[2][0][0]  # KeyInfo / X509Data / X509IssuerSerial
    issuer_serial[0].text = cert.issuer.rfc4514()
    issuer_serial[1].text = str(cert.serial)
    root.append(signature)
    return signature


def _built_skeleton(root: etree._Element, digest: str, cert: SmkiCertificate) -> etree._Element:
    nsmap = None if root.nsmap.get("ds") == DS else {"ds": DS}
    signature = etree.SubElement(root, ds("Signature"), nsmap=nsmap)
    _fill(signature, digest, cert)
    return signature


def _fill(signature: etree._Element, digest: str | None, cert: SmkiCertificate | None) -> None:
    signed_info = etree.SubElement(signature, ds("SignedInfo"))
    etree.SubElement(signed_info, ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    etree.SubElement(signed_info, ds("SignatureMethod"), Algorithm=ECDSA_SHA256)
    reference = etree.SubElement(signed_info, ds("Reference"), URI="")
    transforms = etree.SubElement(reference, ds("Transforms"))
    etree.SubElement(transforms, ds("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(reference, ds("DigestMethod"), Algorithm=SHA256)
    etree.SubElement(reference, ds("DigestValue")).text = digest
    etree.SubElement(signature, ds("SignatureValue"))
    serial = etree.SubElement(
        etree.SubElement(etree.SubElement(signature, ds("KeyInfo")), ds("X509Data")),
        ds("X509IssuerSerial"),
    )
    issuer = etree.SubElement(serial, ds("X509IssuerName"))
    number = etree.SubElement(serial, ds("X509SerialNumber"))
    if cert is not None:
        issuer.text, number.text = cert.issuer.rfc4514(), str(cert.serial)


_SKELETON = etree.Element(ds("Signature"), nsmap={"ds": DS})
_fill(_SKELETON, None, None)


def _reference_octets(root: etree._Element, embedded: bool) -> bytes:
    """Inclusive C14N 1.0 of the document without its signature (the enveloped transform).

    Works on a copy: detaching and re-inserting the signature would let lxml rename its
    namespace prefix to another one bound to the same URI, changing the SignedInfo octets.
    A document root that carries no signature (one about to be signed) needs no copy: a copy
    of it canonicalises to the same octets. Documents from :func:`s1harness.duis.xml.parse`
    are already compact. An embedded element is taken standalone, and declares only the
    namespaces its content uses once the signature is gone (see the module docstring).
    """
    if embedded:
        document = etree.fromstring(etree.tostring(root))
    elif root.getparent() is None and root.find(_SIGNATURE) is None:
        document = root
    else:
        cut = _without_last_signature(root)
        if cut is not None:
            return cut
        document = copy.deepcopy(root)
    for signature in document.findall(_SIGNATURE):
        document.remove(signature)
    if embedded:
        etree.cleanup_namespaces(document)
    return etree.tostring(document, method="c14n", exclusive=False, with_comments=False)


def _without_last_signature(root: etree._Element) -> bytes | None:
    """The enveloped transform without a copy, for a document root whose one ``ds:Signature``
    child is its last element child (as verification requires): canonicalise the whole
    document and cut the signature's octets out. The signature holds no ``ds:Signature`` of its
    own and is followed only by its tail text and the root's end tag, so its octets run from
    the last start tag of its name to the last end tag of its name. Inclusive C14N renders the
    rest exactly as it renders the document with the signature removed (the root declares
    every namespace in scope either way). None when the document is not of that shape."""
    if root.getparent() is not None:
        return None
    children = [c for c in root if isinstance(c.tag, str)]
    signatures = [c for c in children if c.tag == _SIGNATURE]
    if len(signatures) != 1 or children[-1] is not signatures[0]:
        return None
    signature = signatures[0]
    name = (f"{signature.prefix}:Signature" if signature.prefix else "Signature").encode()
    octets = etree.tostring(root, method="c14n", exclusive=False, with_comments=False)
    start = max(octets.rfind(b"<" + name + b" "), octets.rfind(b"<" + name + b">"))
    end_tag = b"</" + name + b">"
    end = octets.rfind(end_tag)
    if start < 0 or end < start:
        return None
    return octets[:start] + octets[end + len(end_tag) :]


def _signed_info_octets(signed_info: etree._Element) -> bytes:
    return etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)


class _Parts(NamedTuple):
    """What verification needs from a ``ds:Signature`` of the DUIS shape."""

    signed_info: etree._Element
    digest_value: str
    signature_value: str
    issuer: str
    serial: str


def verify(
    root: etree._Element,
    keystore: Keystore,
    *,
    expected_eui: Eui64 | str | None,
    expected_role: RemotePartyRole | None,
    at: datetime | None = None,
    embedded: bool = False,
) -> Verification:
    """Check the signature of the document (or embedded element) ``root``.

    Args:
        root: The signed element.
        keystore: Where certificates are looked up by issuer and serial.
        expected_eui: The EUI the signer must have (the RequestID originator); None skips it.
        expected_role: 135 (User) or 137 (DSP) for DUIS messages; None skips it.
        at: Check the certificate's validity at this time; None skips it.
        embedded: The element was signed standalone (see the module docstring).
    """
    certificate: SmkiCertificate | None = None
    try:
        parts = _parts(_the_signature(root))
        certificate = _resolve(parts, keystore)
        _check_digest(root, parts, embedded)
        _check_value(parts, certificate)
        _check_certificate(certificate, expected_eui, expected_role, at)
    except etree.C14NError as exc:
        reason = f"the document cannot be canonicalised ({exc})"
        return Verification(False, None, SignatureFailure.MALFORMED, reason, certificate)
    except _RefusedError as refused:
        eui = certificate.eui if certificate is not None else None
        return Verification(False, eui, refused.failure, refused.reason, certificate)
    return Verification(True, certificate.eui, None, None, certificate)


def _the_signature(root: etree._Element) -> etree._Element:
    elements = _elements(root)
    signatures = [e for e in elements if e.tag == _SIGNATURE]
    if not signatures:
        raise _RefusedError(SignatureFailure.MISSING, "the document carries no ds:Signature")
    if len(signatures) > 1:
        raise _RefusedError(
            SignatureFailure.MALFORMED, "the document carries more than one ds:Signature"
        )
    if elements[-1] is not signatures[0]:
        raise _RefusedError(
            SignatureFailure.MISPLACED, "ds:Signature is not the last child of the root"
        )
    return signatures[0]


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _shape(parent: etree._Element, names: tuple[str, ...]) -> list[etree._Element]:
    """The element children of ``parent``, required to be exactly ``names`` in ``ds`` (the
    signatures of another shape than :data:`_SHAPE` only: comments and all)."""
    children = _elements(parent)
    if tuple(c.tag for c in children) != tuple(ds(n) for n in names):
        found = ", ".join(etree.QName(c).localname for c in children)
        local = etree.QName(parent).localname
        reason = f"ds:{local} holds ({found}), expected ({', '.join(names)})"
        raise _RefusedError(SignatureFailure.MALFORMED, reason)
    return children


_TAG = operator.attrgetter("tag")


_SHAPE = (
    ("Signature", 3), ("SignedInfo", 3), ("CanonicalizationMethod", 0), ("SignatureMethod", 0),
    ("Reference", 3), ("Transforms", 1), ("Transform", 0), ("DigestMethod", 0),
    ("DigestValue", 0), ("SignatureValue", 0), ("KeyInfo", 1), ("X509Data", 1),
    ("X509IssuerSerial", 2), ("X509IssuerName", 0), ("X509SerialNumber", 0),
)  # fmt: skip
"""The DUIS ``ds:Signature`` in document order, each element with its number of children:
the two together fix the tree."""
_SHAPE_TAGS = tuple(ds(name) for name, _ in _SHAPE)
_SHAPE_SIZES = tuple(size for _, size in _SHAPE)
_PICKED = operator.itemgetter(1, 2, 3, 4, 6, 7, 8, 9, 13, 14)
"""SignedInfo, its two methods, Reference, Transform, DigestMethod, DigestValue,
SignatureValue, X509IssuerName and X509SerialNumber, by their place in ``_SHAPE``."""


def _usual_shape(signature: etree._Element) -> tuple[etree._Element, ...] | None:
    """The signature's parts in one walk, when it is exactly of the DUIS shape (no comments,
    nothing else); None sends it to :func:`_checked_shape`, which names what differs."""
    elements = list(signature.iter())
    if tuple(map(_TAG, elements)) != _SHAPE_TAGS or tuple(map(len, elements)) != _SHAPE_SIZES:
        return None
    return _PICKED(elements)  # type: ignore[no-any-return]


def _checked_shape(signature: etree._Element) -> tuple[etree._Element, ...]:
    signed_info, value, key_info = _shape(signature, ("SignedInfo", "SignatureValue", "KeyInfo"))
    c14n, method, reference = _shape(
        signed_info, ("CanonicalizationMethod", "SignatureMethod", "Reference")
    )
    transforms, digest_method, digest = _shape(
        reference, ("Transforms", "DigestMethod", "DigestValue")
    )
    (transform,) = _shape(transforms, ("Transform",))
    (data,) = _shape(key_info, ("X509Data",))
    (issuer_serial,) = _shape(data, ("X509IssuerSerial",))
    issuer, serial = _shape(issuer_serial, ("X509IssuerName", "X509SerialNumber"))
    return (
        signed_info, c14n, method, reference, transform, digest_method, digest, value, issuer,
        serial,
    )  # fmt: skip


def _parts(signature: etree._Element) -> _Parts:
    (
        signed_info, c14n, method, reference, transform, digest_method, digest, value, issuer,
        serial,
    ) = _usual_shape(signature) or _checked_shape(signature)  # fmt: skip
    for element, algorithm in (
        (c14n, EXC_C14N),
        (method, ECDSA_SHA256),
        (digest_method, SHA256),
        (transform, ENVELOPED),
    ):
        if element.get("Algorithm") != algorithm:
            name = etree.QName(element).localname
            raise _RefusedError(
                SignatureFailure.ALGORITHM,
                f"ds:{name} is {element.get('Algorithm')!r}, expected {algorithm}",
            )
    if reference.get("URI") != "":
        raise _RefusedError(SignatureFailure.MALFORMED, 'the Reference must have URI=""')
    return _Parts(
        signed_info, digest.text or "", value.text or "", issuer.text or "", serial.text or ""
    )


def _resolve(parts: _Parts, keystore: Keystore) -> SmkiCertificate:
    issuer, serial = parts.issuer.strip(), parts.serial.strip()
    if not issuer or not serial.isdigit():
        raise _RefusedError(
            SignatureFailure.MALFORMED, "KeyInfo lacks an issuer name and a decimal serial"
        )
    entry = keystore.by_issuer_serial(issuer, int(serial))
    if entry is None:
        raise _RefusedError(
            SignatureFailure.UNKNOWN_CERTIFICATE,
            f"no certificate {issuer} / {serial} in the keystore",
        )
    return entry.certificate


def _check_digest(root: etree._Element, parts: _Parts, embedded: bool) -> None:
    actual = hashlib.sha256(_reference_octets(root, embedded)).digest()
    if _b64(parts.digest_value, "DigestValue") != actual:
        raise _RefusedError(
            SignatureFailure.DIGEST,
            "the document digest does not match DigestValue (the document was changed)",
        )


def _check_value(parts: _Parts, certificate: SmkiCertificate) -> None:
    value = _b64(parts.signature_value, "SignatureValue")
    if len(value) != 64:
        raise _RefusedError(
            SignatureFailure.MALFORMED, f"SignatureValue is {len(value)} octets, expected r‖s (64)"
        )
    der = encode_dss_signature(int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big"))
    try:
        certificate.public_key().verify(der, _signed_info_octets(parts.signed_info), _ECDSA)
    except (InvalidSignature, ValueError):
        raise _RefusedError(
            SignatureFailure.SIGNATURE,
            f"SignatureValue does not verify with certificate {certificate.serial}",
        ) from None


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _RefusedError(SignatureFailure.MALFORMED, f"{what} is not base64") from None


def _check_certificate(
    cert: SmkiCertificate,
    eui: Eui64 | str | None,
    role: RemotePartyRole | None,
    at: datetime | None,
) -> None:
    if KeyUsage.DIGITAL_SIGNATURE not in cert.key_usages:
        raise _RefusedError(
            SignatureFailure.KEY_USAGE,
            "the signing certificate is not a digital-signing certificate",
        )
    if role is not None and cert.role is not role:
        raise _RefusedError(
            SignatureFailure.ROLE,
            f"the signing certificate has role {cert.role_name}, "
            f"expected {role.spec_name} ({role.value})",
        )
    if eui is not None and cert.eui != Eui64(eui):
        raise _RefusedError(
            SignatureFailure.EUI, f"signed by {cert.eui}, but the message is from {Eui64(eui)}"
        )
    if at is not None and not cert.not_before <= at <= cert.not_after:
        raise _RefusedError(
            SignatureFailure.VALIDITY, f"the signing certificate is not valid at {at.isoformat()}"
        )
