"""Types shared by DUIS requests, responses and alerts: RequestID, roles, pass-through content.

DUIS 5.4 ``RequestIDType`` / ``ResponseIDType``: two dashed EUI-64s and a decimal counter;
DUIS 5.4 ``sr:RemotePartyRole``; the certificate types of ``SecurityCredentialsUpdated`` and
the MMC ``ReplacementOutcome``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Final, Self

from lxml import etree

from s1harness.duis.errors import DuisParseError
from s1harness.duis.xml import line_of, parse, path_of
from s1harness.spec import Eui64, InputError, RemotePartyRole

MAX_COUNTER: Final = 2**64 - 1
"""The largest RequestID counter (DUIS 5.4 RequestIDType: 18446744073709551615)."""
MAX_FLOOR: Final = 2**63 - 1
"""The largest floor sequence number (DUIS 5.4 ``floorSequenceNumber``)."""
MAX_UNSIGNED_INT: Final = 2**32 - 1
MAX_SCHEDULE_ID: Final = 10**12
"""DUIS 5.4 ``scheduleID``: nonNegativeInteger ≤ 1000000000000."""

_REQUEST_ID = re.compile(
    r"(?P<originator>[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7})"
    r":(?P<target>[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7})"
    r":(?P<counter>0|[1-9][0-9]{0,19})"
)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_HEX = re.compile(r"(?:[0-9A-F]{2})+")


@dataclass(frozen=True)
class RequestId:
    """A DUIS RequestID or ResponseID: ``originator:target:counter`` (DUIS 5.4 RequestIDType).

    Attributes:
        originator: The sender's User ID (or, in a ResponseID, the device).
        target: The Device ID, or the DCC's EUI for non-device requests.
        counter: Unsigned 64-bit, strictly increasing per originator.

    Raises:
        InputError: if an EUI is malformed or the counter is outside 0..2^64-1.
    """

    originator: Eui64
    target: Eui64
    counter: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "originator", Eui64(self.originator))
        object.__setattr__(self, "target", Eui64(self.target))
        check_range("RequestID counter", self.counter, 0, MAX_COUNTER)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read the XSD form (``90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1200``).

        Hex may be upper or lower case; surrounding whitespace is collapsed (``xs:token``).

        Raises:
            DuisParseError: if the text does not match the DUIS 5.4 RequestIDType pattern.
        """
        match = _REQUEST_ID.fullmatch(text.strip())
        if match is None or int(match["counter"]) > MAX_COUNTER:
            raise DuisParseError(f"not a DUIS RequestID (EUI:EUI:counter): {text.strip()!r}")
        return cls(Eui64(match["originator"]), Eui64(match["target"]), int(match["counter"]))

    @classmethod
    def of_correlation(cls, correlation: str) -> Self | None:
        """The RequestID a bus correlation ID is, or None for one that is not (a device frame's,
        an unsolicited message's)."""
        try:
            return cls.parse(correlation)
        except (DuisParseError, InputError):
            return None

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        """The XSD form, built once: it keys every role's records of a request."""
        return f"{self.originator.duis}:{self.target.duis}:{self.counter}"

    def swapped(self) -> RequestId:
        """The matching ResponseID: originator and target swapped, same counter (§1.2)."""
        return RequestId(self.target, self.originator, self.counter)


class DuisRemotePartyRole(enum.StrEnum):
    """DUIS 5.4 ``sr:RemotePartyRole`` (also ``ra:RemotePartyRole`` in the MMC schema)."""

    ACB = "ACB"
    NETWORK_OPERATOR = "NetworkOperator"
    RECOVERY = "Recovery"
    ROOT = "Root"
    SUPPLIER = "Supplier"
    TRANS_COS = "TransCoS"
    LOAD_CONTROLLER = "LoadController"

    @property
    def gbcs(self) -> RemotePartyRole:
        """The GBCS / SMKI remote party role with the same meaning."""
        return _GBCS_ROLES[self]

    @classmethod
    def of(cls, role: RemotePartyRole) -> DuisRemotePartyRole:
        """The DUIS name of a GBCS / SMKI remote party role.

        Raises:
            KeyError: for a role DUIS has no ``RemotePartyRole`` value for.
        """
        return _DUIS_ROLES[role]


_GBCS_ROLES = {
    DuisRemotePartyRole.ACB: RemotePartyRole.ACCESS_CONTROL_BROKER,
    DuisRemotePartyRole.NETWORK_OPERATOR: RemotePartyRole.NETWORK_OPERATOR,
    DuisRemotePartyRole.RECOVERY: RemotePartyRole.RECOVERY,
    DuisRemotePartyRole.ROOT: RemotePartyRole.ROOT,
    DuisRemotePartyRole.SUPPLIER: RemotePartyRole.SUPPLIER,
    DuisRemotePartyRole.TRANS_COS: RemotePartyRole.TRANSITIONAL_COS,
    DuisRemotePartyRole.LOAD_CONTROLLER: RemotePartyRole.LOAD_CONTROLLER,
}
_DUIS_ROLES = {gbcs: duis for duis, gbcs in _GBCS_ROLES.items()}


class CertificateType(enum.StrEnum):
    """Certificate types of DUIS ``Certificates`` and MMC ``ReplacementOutcome``.

    ``KeyCertSign`` occurs only in the MMC ``ReplacementOutcome`` (device CA certificates).
    """

    DIGITAL_SIGNING = "DigitalSigning"
    KEY_AGREEMENT = "KeyAgreement"
    KEY_AGREEMENT_TOP_UP = "KeyAgreementTopUp"
    KEY_CERT_SIGN = "KeyCertSign"


@dataclass(frozen=True)
class GenericContent:
    """An element the typed model does not cover, kept and re-emitted as it was.

    The element is stored as its exclusive canonical form with comments (namespace
    declarations reduced to those it uses), so two copies of the same element compare equal
    wherever they came from.

    Attributes:
        name: The element's local name (``ReadInventory``, ``DSPInventory``…).
        xml: The element's exclusive C14N bytes.
    """

    name: str
    xml: bytes

    def __post_init__(self) -> None:
        local = etree.QName(parse(self.xml)).localname
        if local != self.name:
            raise InputError(f"content element is {local!r}, not {self.name!r}")

    @classmethod
    def of(cls, element: etree._Element) -> Self:
        """Keep ``element`` (and its subtree).

        Raises:
            DuisParseError: if the element cannot be canonicalised, which libxml2 refuses for
                relative namespace URIs anywhere in scope.
        """
        if not isinstance(element.tag, str):
            # lxml crashes canonicalising a lone comment; only elements are content.
            raise InputError("generic content must be an element, not a comment or PI")
        try:
            xml = etree.tostring(element, method="c14n", exclusive=True, with_comments=True)
        except etree.C14NError:
            message = "cannot be canonicalised (a relative namespace URI in scope?)"
            raise DuisParseError(message, path=path_of(element), line=line_of(element)) from None
        return cls(etree.QName(element).localname, xml)

    @property
    def element(self) -> etree._Element:
        """A fresh copy of the element."""
        return parse(self.xml)

    @property
    def tag(self) -> str:
        """The element's Clark name."""
        return str(self.element.tag)


def check_range(name: str, value: int | None, low: int, high: int) -> None:
    """Raise :class:`InputError` unless ``value`` is ``None`` or within ``low``..``high``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be an integer in {low}..{high}, got {value!r}")


def check_aware(name: str, value: datetime | None) -> None:
    """Raise :class:`InputError` if ``value`` is a naive datetime."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InputError(f"{name} must be time-zone aware (DUIS date-times are UTC)")


def check_decimal(name: str, value: str) -> None:
    """Raise :class:`InputError` unless ``value`` is an ``xs:decimal`` (``5.4``)."""
    if not _DECIMAL.fullmatch(value):
        raise InputError(f"{name} must be a decimal such as 5.4, got {value!r}")


def check_text(name: str, value: str) -> None:
    """Raise :class:`InputError` if ``value`` is empty or only whitespace."""
    if not value.strip():
        raise InputError(f"{name} must not be empty")


def normal_hex(name: str, value: str) -> str:
    """``value`` as upper-case hex digits, or :class:`InputError`."""
    upper = value.upper()
    if not _HEX.fullmatch(upper):
        raise InputError(f"{name} must be hex digits in pairs, got {value!r}")
    return upper
