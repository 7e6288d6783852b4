"""DUIS XML namespaces and qualified names."""

from __future__ import annotations

from typing import Final

SR: Final = "http://www.dccinterface.co.uk/ServiceUserGateway"
"""DUIS Service User Gateway namespace (requests, responses, alerts)."""
RA: Final = "http://www.dccinterface.co.uk/ResponseAndAlert"
"""MMC (Message Mapping Catalogue) namespace: parsed responses and alerts, SMETS1 headers."""
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"

NSMAP: Final = {"sr": SR, "ds": DS, "xsi": XSI}
"""The declarations DUIS templates put on the root element."""


def sr(name: str) -> str:
    """``{SR}name``."""
    return f"{{{SR}}}{name}"


def ra(name: str) -> str:
    """``{RA}name``."""
    return f"{{{RA}}}{name}"


def ds(name: str) -> str:
    """``{DS}name``."""
    return f"{{{DS}}}{name}"
