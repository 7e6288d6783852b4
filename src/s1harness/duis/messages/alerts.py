"""DCC alerts and S1SP alerts (DUIS 5.4 ``sr:DCCAlert``, ``sr:S1SPAlert``).

``sr:S1SPAlert`` is produced and signed by an S1SP (its ``ds:Signature`` is mandatory in the
XSD) and the DSP relays it unchanged inside ``DCCAlert/S1SPAlertDSP``. A parsed alert therefore
keeps a copy of its element, and writing an alert that carries one re-emits that copy, so the
S1SP's signature still verifies; an alert without one is written unsigned for the signing
module to sign.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from lxml import etree

from s1harness.duis.messages import _xml as x
from s1harness.duis.messages.common import (
    MAX_FLOOR,
    MAX_SCHEDULE_ID,
    MAX_UNSIGNED_INT,
    CertificateType,
    DuisRemotePartyRole,
    GenericContent,
    RequestId,
    check_aware,
    check_decimal,
    check_range,
)
from s1harness.duis.messages.requests import read_request_id
from s1harness.duis.ns import NSMAP, SR, sr
from s1harness.spec import Eui64, InputError

_UTRN = re.compile(r"[0-9]{20}")
_DCC_ALERT_CODE = re.compile(r"AD1|N[1-9][0-9]*")


@dataclass(frozen=True, kw_only=True)
class S1SPAlert:
    """DUIS 5.4 ``sr:S1SPAlert``: an alert generated and signed by an S1SP.

    Attributes:
        schema_version: ``@schemaVersion``.
        request_id: The User's request the alert relates to.
        device_id: The SMETS1 device.
        alert_code: ``S1SPAlertCode``, an opaque string such as ``S1VE4``.
        additional_information: Free text.
        utrn: A 20-digit UTRN (failed SMETS1 top-ups).
        date_time: When the alert was raised.
        element: The element as parsed (signed by the S1SP) or as signed by the caller; when
            set it is written instead of the fields, which must describe it.
    """

    schema_version: str = "5.4"
    request_id: RequestId | None = None
    device_id: Eui64 | None = None
    alert_code: str
    additional_information: str | None = None
    utrn: str | None = None
    date_time: datetime
    element: etree._Element | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_decimal("schemaVersion", self.schema_version)
        if self.device_id is not None:
            object.__setattr__(self, "device_id", Eui64(self.device_id))
        if self.utrn is not None and not _UTRN.fullmatch(self.utrn):
            raise InputError(f"UTRN must be 20 digits, got {self.utrn!r}")
        check_aware("DateTime", self.date_time)

    @property
    def signed(self) -> bool:
        """Whether the kept element carries a ``ds:Signature``."""
        return self.element is not None and x.has_signature(self.element)


@dataclass(frozen=True)
class S1SPAlertDSP:
    """DUIS 5.4 ``DCCAlert/S1SPAlertDSP``: an S1SP alert as the DSP relays it."""

    alert: S1SPAlert
    dsp_schedule_id: int | None = None

    def __post_init__(self) -> None:
        check_range("DSPScheduleID", self.dsp_schedule_id, 0, MAX_SCHEDULE_ID)


class CertificateHash(NamedTuple):
    """One ``Certificates`` entry of ``SecurityCredentialsUpdated``."""

    certificate_type: CertificateType
    sha1: bytes


@dataclass(frozen=True)
class SecurityCredentialsUpdated:
    """DUIS 5.4 ``DCCAlert/SecurityCredentialsUpdated``.

    Attributes:
        device_id: The device whose credentials changed.
        remote_party_role: Whose trust anchor was replaced.
        floor: ``RemotePartySeqNumberChange/RemotePartyFloorSeqNumber``.
        prepayment_top_up_floor: ``…/RemotePartyPrepaymentTopUpFloorSeqNumber`` (needs ``floor``).
        certificates: 1 to 3 (certificate type, SHA-1 of the new certificate).
    """

    device_id: Eui64
    remote_party_role: DuisRemotePartyRole
    floor: int | None
    prepayment_top_up_floor: int | None
    certificates: tuple[CertificateHash, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "device_id", Eui64(self.device_id))
        object.__setattr__(self, "remote_party_role", DuisRemotePartyRole(self.remote_party_role))
        hashes = tuple(CertificateHash(CertificateType(t), h) for t, h in self.certificates)
        object.__setattr__(self, "certificates", hashes)
        if not 1 <= len(hashes) <= 3 or CertificateType.KEY_CERT_SIGN in (t for t, _ in hashes):
            raise InputError("SecurityCredentialsUpdated holds 1 to 3 DS/KA/KA-top-up hashes")
        check_range("RemotePartyFloorSeqNumber", self.floor, 0, MAX_FLOOR)
        check_range(
            "RemotePartyPrepaymentTopUpFloorSeqNumber", self.prepayment_top_up_floor, 0, MAX_FLOOR
        )
        if self.floor is None and self.prepayment_top_up_floor is not None:
            raise InputError("a prepayment top-up floor needs RemotePartyFloorSeqNumber as well")


DccAlert = SecurityCredentialsUpdated | S1SPAlertDSP | GenericContent
"""One choice of DUIS 5.4 ``sr:DCCAlert``; the choices not modelled pass through."""


@dataclass(frozen=True)
class DCCAlertMessage:
    """DUIS 5.4 ``sr:DCCAlertMessage``.

    Attributes:
        dcc_alert_code: ``AD1`` or ``N1``…``N65``, ``N999`` (there is no N32).
        alert: The ``DCCAlert`` content.
        throttled_alert_sequence_id: ``ThrottledAlertSequenceId``.
        throttled_alert_count: ``ThrottledAlertCount``.
    """

    dcc_alert_code: str
    alert: DccAlert
    throttled_alert_sequence_id: int | None = None
    throttled_alert_count: int | None = None

    def __post_init__(self) -> None:
        if not _DCC_ALERT_CODE.fullmatch(self.dcc_alert_code):
            raise InputError(f"not a DCC alert code: {self.dcc_alert_code!r}")
        check_throttling(self.throttled_alert_sequence_id, self.throttled_alert_count)


def check_throttling(sequence_id: int | None, count: int | None) -> None:
    """The unsignedInt range of ``ThrottledAlertSequenceId`` and ``ThrottledAlertCount``."""
    check_range("ThrottledAlertSequenceId", sequence_id, 0, MAX_UNSIGNED_INT)
    check_range("ThrottledAlertCount", count, 0, MAX_UNSIGNED_INT)


def write_throttling(parent: etree._Element, sequence_id: int | None, count: int | None) -> None:
    """Append the optional throttling elements."""
    x.add_optional(parent, sr("ThrottledAlertSequenceId"), x.optional_str(sequence_id))
    x.add_optional(parent, sr("ThrottledAlertCount"), x.optional_str(count))


def read_throttling(children: x.Children) -> tuple[int | None, int | None]:
    """Read the optional throttling elements."""
    sequence_id = children.maybe(sr("ThrottledAlertSequenceId"), x.integer, 0, MAX_UNSIGNED_INT)
    return sequence_id, children.maybe(sr("ThrottledAlertCount"), x.integer, 0, MAX_UNSIGNED_INT)


def write_s1sp_alert(alert: S1SPAlert) -> etree._Element:
    """A standalone ``sr:S1SPAlert``: a copy of the kept element, or built unsigned."""
    if alert.element is not None:
        if read_s1sp_alert(alert.element) != alert:
            raise InputError("S1SPAlert.element does not match the alert's fields")
        return copy.deepcopy(alert.element)
    root = etree.Element(sr("S1SPAlert"), nsmap=NSMAP)
    root.set("schemaVersion", alert.schema_version)
    x.add_optional(root, sr("RequestID"), x.optional_str(alert.request_id))
    x.add_optional(root, sr("DeviceID"), None if alert.device_id is None else alert.device_id.duis)
    x.add(root, sr("S1SPAlertCode"), alert.alert_code)
    x.add_optional(root, sr("AdditionalInformation"), alert.additional_information)
    x.add_optional(root, sr("UTRN"), alert.utrn)
    x.add(root, sr("DateTime"), x.format_date_time(alert.date_time))
    return root


def read_s1sp_alert(element: etree._Element) -> S1SPAlert:
    """Read an ``sr:S1SPAlert`` (root or nested), keeping a copy of the element."""
    version = x.required_attribute(element, "schemaVersion")
    children = x.Children(element)
    request_id = children.maybe(sr("RequestID"), read_request_id)
    device_id = children.maybe(sr("DeviceID"), x.eui)
    code = x.text(children.required(sr("S1SPAlertCode")))
    information = children.maybe(sr("AdditionalInformation"), x.text)
    utrn = children.maybe(sr("UTRN"), x.token)
    when = x.date_time(children.required(sr("DateTime")))
    children.signature()
    children.end()
    with x.located(element):
        return S1SPAlert(
            schema_version=version,
            request_id=request_id,
            device_id=device_id,
            alert_code=code,
            additional_information=information,
            utrn=utrn,
            date_time=when,
            element=copy.deepcopy(element),
        )


def write_dcc_alert_message(parent: etree._Element, message: DCCAlertMessage) -> None:
    """Append ``sr:DCCAlertMessage``."""
    element = x.add(parent, sr("DCCAlertMessage"))
    x.add(element, sr("DCCAlertCode"), message.dcc_alert_code)
    write_throttling(element, message.throttled_alert_sequence_id, message.throttled_alert_count)
    choice = x.add(element, sr("DCCAlert"))
    alert = message.alert
    if isinstance(alert, SecurityCredentialsUpdated):
        _write_credentials_updated(x.add(choice, sr("SecurityCredentialsUpdated")), alert)
    elif isinstance(alert, S1SPAlertDSP):
        relay = x.add(choice, sr("S1SPAlertDSP"))
        relay.append(write_s1sp_alert(alert.alert))
        x.add_optional(relay, sr("DSPScheduleID"), x.optional_str(alert.dsp_schedule_id))
    else:
        choice.append(alert.element)


def read_dcc_alert_message(element: etree._Element) -> DCCAlertMessage:
    """Read ``sr:DCCAlertMessage``."""
    children = x.Children(element)
    code = x.token(children.required(sr("DCCAlertCode")))
    throttled = read_throttling(children)
    choice = x.Children(children.required(sr("DCCAlert")))
    alert = _read_dcc_alert(choice.choice("DCC alert"))
    choice.end()
    children.end()
    with x.located(element):
        return DCCAlertMessage(code, alert, *throttled)


def _read_dcc_alert(element: etree._Element) -> DccAlert:
    if element.tag == sr("SecurityCredentialsUpdated"):
        return _read_credentials_updated(element)
    if etree.QName(element).namespace != SR:
        raise x.fail(element, f"unexpected element {x.qname(str(element.tag))} in sr:DCCAlert")
    if element.tag != sr("S1SPAlertDSP"):
        return GenericContent.of(element)
    children = x.Children(element)
    alert = read_s1sp_alert(children.required(sr("S1SPAlert")))
    schedule = children.maybe(sr("DSPScheduleID"), x.integer, 0, MAX_SCHEDULE_ID)
    children.end()
    return S1SPAlertDSP(alert, schedule)


def _write_credentials_updated(element: etree._Element, alert: SecurityCredentialsUpdated) -> None:
    x.add(element, sr("DeviceID"), alert.device_id.duis)
    x.add(element, sr("RemotePartyRole"), alert.remote_party_role.value)
    if alert.floor is not None:
        change = x.add(element, sr("RemotePartySeqNumberChange"))
        x.add(change, sr("RemotePartyFloorSeqNumber"), str(alert.floor))
        top_up = x.optional_str(alert.prepayment_top_up_floor)
        x.add_optional(change, sr("RemotePartyPrepaymentTopUpFloorSeqNumber"), top_up)
    for certificate_type, sha1 in alert.certificates:
        entry = x.add(element, sr("Certificates"))
        x.add(entry, sr("CertificateType"), certificate_type.value)
        x.add(entry, sr("CertificateHash"), x.format_binary(sha1))


def _read_credentials_updated(element: etree._Element) -> SecurityCredentialsUpdated:
    children = x.Children(element)
    device = x.eui(children.required(sr("DeviceID")))
    role = x.member(children.required(sr("RemotePartyRole")), DuisRemotePartyRole)
    floors: tuple[int | None, int | None] = (None, None)
    change = children.optional(sr("RemotePartySeqNumberChange"))
    if change is not None:
        floors = _read_floors(change)
    hashes = tuple(_read_hash(e) for e in children.repeated(sr("Certificates"), 1, 3))
    children.end()
    with x.located(element):
        return SecurityCredentialsUpdated(device, role, floors[0], floors[1], hashes)


def _read_floors(element: etree._Element) -> tuple[int | None, int | None]:
    children = x.Children(element)
    floor = x.integer(children.required(sr("RemotePartyFloorSeqNumber")), 0, MAX_FLOOR)
    top_up = children.maybe(sr("RemotePartyPrepaymentTopUpFloorSeqNumber"), x.integer, 0, MAX_FLOOR)
    children.end()
    return floor, top_up


def _read_hash(element: etree._Element) -> CertificateHash:
    children = x.Children(element)
    kind = x.member(children.required(sr("CertificateType")), CertificateType)
    if kind is CertificateType.KEY_CERT_SIGN:
        raise x.fail(element, "KeyCertSign is not a SecurityCredentialsUpdated certificate type")
    sha1 = x.binary(children.required(sr("CertificateHash")))
    children.end()
    return CertificateHash(kind, sha1)
