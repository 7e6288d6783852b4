"""Who must have signed a DUIS document, by its kind.

* ``sr:Request``: the DCC User in the RequestID originator, with an XML-signing certificate
  (role 135).
* ``sr:Response``: the DSP, with a DSP XML-signing certificate (role 137) whose EUI is the
  DCC's (``90-B3-D5-1F-30-00-00-02`` by default).
* ``sr:S1SPAlert`` and ``sr:SMETS1SignedResponse``: the S1SP, signed as standalone elements
  (see :mod:`s1harness.duis.signature`); no role is imposed unless asked for.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from s1harness.duis.errors import DuisParseError
from s1harness.duis.ns import SR, sr
from s1harness.duis.signature import Verification, verify
from s1harness.smki.keystore import Keystore
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.roles import RemotePartyRole

_REQUEST_ID = re.compile(r"\s*([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}):")
_REQUEST_ID_PATH = f"{{{SR}}}Header/{{{SR}}}RequestID"
_HEADER, _REQUEST_ID_TAG = sr("Header"), sr("RequestID")
EMBEDDED_ROOTS = frozenset({sr("S1SPAlert"), sr("SMETS1SignedResponse")})


def originator(root: etree._Element) -> Eui64:
    """The RequestID originator of a request.

    Raises:
        DuisParseError: when the header has no well-formed RequestID.
    """
    element = _request_id(root)
    match = _REQUEST_ID.match(element.text or "") if element is not None else None
    if match is None:
        raise DuisParseError("no well-formed sr:Header/sr:RequestID", path="/sr:Request/sr:Header")
    return Eui64(match.group(1))


def _request_id(root: etree._Element) -> etree._Element | None:
    """``sr:Header/sr:RequestID``: in a request of the DUIS shape, the first child of the
    first child, so it is looked at there before the tree is searched."""
    if len(root) and root[0].tag == _HEADER and len(root[0]) and root[0][0].tag == _REQUEST_ID_TAG:
        return root[0][0]
    return root.find(_REQUEST_ID_PATH)


def verify_message(
    root: etree._Element,
    keystore: Keystore,
    *,
    dsp_eui: Eui64 = DCC_EUI,
    at: datetime | None = None,
    s1sp_role: RemotePartyRole | None = None,
) -> Verification:
    """Verify a DUIS document against the signer its kind requires."""
    if root.tag == sr("Request"):
        return verify(
            root,
            keystore,
            expected_eui=originator(root),
            expected_role=RemotePartyRole.XML_SIGN,
            at=at,
        )
    if root.tag == sr("Response"):
        return verify(
            root, keystore, expected_eui=dsp_eui, expected_role=RemotePartyRole.DSP_XML_SIGN, at=at
        )
    if root.tag in EMBEDDED_ROOTS:
        return verify(
            root, keystore, expected_eui=None, expected_role=s1sp_role, at=at, embedded=True
        )
    raise DuisParseError(f"not a signed DUIS document: root {etree.QName(root).text}")
