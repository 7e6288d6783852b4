"""Provisioning documents: everything one role needs to play its part in an estate, as JSON
(docs/contract.md, "Provisioning"; the control channel of docs/asyncapi.yaml carries them).

Before each scenario the harness sends each build it tests — a Service Provider's S1SP or DSP
in place of an emulator — the document for its role, and the build loads it: its keys, the
certificates it trusts, the parties, registration data and inventory, and (an S1SP) the
virtual anchor slots and floors of the devices it serves, with each SMETS1 device's integrity
key. ``s1harness estate export --role ROLE`` writes the same document.

Certificates travel as base64 DER, private keys as PKCS#8 PEM (test keys of the estate's key
source only: never a production key). :func:`export` writes a document from a built
:class:`~s1harness.estate.build.System`; :func:`loads` reads one back, naming the field of
anything wrong; :func:`build_s1sp` and :func:`build_dsp` make the emulator a document
describes — ``s1harness up`` loads what its control channel receives this way, through the
same documented fields a build of another vendor reads.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from s1harness.estate.build import System
from s1harness.estate.document import party_entry
from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Smets,
    SmiStatus,
    utc,
)
from s1harness.roles.s1sp.store import SlotKind, SlotRole
from s1harness.smki.certificate import SmkiCertificate, parse_certificate
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.keys import PrivateKey, load_private_key, private_key_pem
from s1harness.smki.validation import TrustAnchor
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.mpxn import Mpan, Mprn
from s1harness.spec.users import UserRole

FORMAT = "s1harness-provisioning"
VERSION = 1
S1SP_ROLES = tuple(f"s1sp:{c}" for c in Cohort)
ROLES = ("dsp", *S1SP_ROLES)
_T = TypeVar("_T")
Clock = Callable[[], datetime]


class ProvisioningError(InputError):
    """A provisioning document that cannot be used; the message names the field."""

    code = "PROVISIONING"


@dataclass(frozen=True)
class Credentials:
    """A private key (PKCS#8) and its certificate."""

    key: PrivateKey
    certificate: SmkiCertificate


@dataclass(frozen=True)
class Provisioning:
    """One role's document, read (see the module docstring).

    Attributes:
        role: ``dsp`` or ``s1sp:IOC`` / ``s1sp:MOC`` / ``s1sp:FOC``.
        clock: Where the role's clock stands.
        mp107: The role's MP107 switch (the DSP's single switch, or this S1SP's own flag).
        mp058: The DSP's SECMP0058 switch (False for an S1SP).
        parties / registrations / devices: The parties, registration data and inventory.
        identity: The role's signing credentials (the DSP's XML signing, role 137; an S1SP's).
        trusted: Certificates it trusts by issuer and serial (an S1SP: the DSP's).
        dsp_eui: The DCC's EUI, whose XML signature an S1SP requires on a countersignature.
        acb_ds / acb_ka: The DSP's ACB credentials (a DSP).
        anchors: Roots a replacement certificate must chain to (a DSP).
        integrity_keys: SMETS1 device → its 32-octet integrity key (an S1SP).
        slots: (device, slot role, kind) → certificate (an S1SP).
        floors: (device, slot role) → execution counter floor (an S1SP).
        s1sps: Each cohort's S1SP signing EUI, whose signature the DSP requires.
    """

    role: str
    clock: datetime
    mp107: bool
    identity: Credentials
    parties: tuple[Party, ...] = ()
    registrations: tuple[RegistrationPeriod, ...] = ()
    devices: tuple[Device, ...] = ()
    trusted: tuple[SmkiCertificate, ...] = ()
    dsp_eui: Eui64 | None = None
    mp058: bool = False
    acb_ds: Credentials | None = None
    acb_ka: Credentials | None = None
    anchors: tuple[SmkiCertificate, ...] = ()
    integrity_keys: Mapping[Eui64, bytes] = field(default_factory=dict)
    slots: Mapping[tuple[Eui64, SlotRole, SlotKind], SmkiCertificate] = field(default_factory=dict)
    floors: Mapping[tuple[Eui64, SlotRole], int] = field(default_factory=dict)
    s1sps: Mapping[str, Eui64] = field(default_factory=dict)

    @property
    def cohort(self) -> Cohort:
        return Cohort(self.role.removeprefix("s1sp:"))


# -- writing ---------------------------------------------------------------------------------------


def require_role(role: str) -> None:
    """Refuse a role no provisioning document is made for.

    Raises:
        InputError: naming the roles there are.
    """
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} to provision (roles: {', '.join(ROLES)})")


def export(system: System, role: str) -> dict[str, Any]:
    """The provisioning document of ``role`` in a built estate.

    Raises:
        InputError: for a role the estate does not have.
    """
    require_role(role)
    estate = system.estate
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "role": role,
        "clock": _iso(system.clock()),
        "parties": [party_entry(p) for p in estate.parties],
        "registrations": [_registration(r) for r in estate.registrations],
    }
    if role == "dsp":
        return document | _dsp_part(system)
    cohort = Cohort(role.removeprefix("s1sp:"))
    if cohort not in system.s1sps:
        raise InputError(f"the estate {estate.name!r} has no S1SP for {cohort}")
    return document | _s1sp_part(system, cohort)


def _dsp_part(system: System) -> dict[str, Any]:
    dsp = system.dsp
    credentials = dsp.credentials
    anchors = [
        a.certificate if isinstance(a, TrustAnchor) else a for a in credentials.trust_anchors
    ]
    return {
        "mp107": dsp.settings.mp107,
        "mp058": dsp.settings.mp058,
        "devices": [_device(s.device) for s in system.estate.devices],
        "identity": _credentials(credentials.xml_key, credentials.xml_certificate),
        "acb": {
            "ds": _credentials(system.acb.ds.private_key, system.acb.ds.certificate),
            "ka": _credentials(system.acb.ka.private_key, system.acb.ka.certificate),
        },
        "trusted": [_b64(e.certificate.der) for e in credentials.keystore],
        "s1sps": {cohort: str(eui) for cohort, eui in credentials.s1sps.items()},
        "anchors": [_b64(a.der) for a in anchors if a is not None],
    }


def _s1sp_part(system: System, cohort: Cohort) -> dict[str, Any]:
    s1sp = system.s1sps[cohort]
    served = [s.device for s in system.estate.devices if s.device.cohort is cohort]
    snapshot = s1sp.store.snapshot()
    slots = []
    for device in served:
        for role in SlotRole:
            for kind in SlotKind:
                held = s1sp.store.slot(device.device_id, role, kind)
                if held is not None:
                    slots.append(
                        {"device": str(device.device_id), "role": role.value, "kind": kind.value,
                         "certificate": _b64(held.certificate.der)}
                    )  # fmt: skip
    dsp_certificate = system.dsp.credentials.xml_certificate
    return {
        "mp107": s1sp.mp107,
        "devices": [
            _device(d) | {"integrity_key": s1sp.device_key(d.device_id).hex()} for d in served
        ],
        "identity": _credentials(s1sp.signer.key, s1sp.signer.certificate),
        "dsp": {"eui": str(system.estate.dcc_id), "certificate": _b64(dsp_certificate.der)},
        "slots": slots,
        "floors": [
            {"device": str(device), "role": role, "value": value}
            for device, role, value in snapshot["floor"]
        ],
    }


def dumps(document: Mapping[str, Any]) -> str:
    """The document as JSON text (keys in the order written, two-space indent)."""
    return json.dumps(document, indent=2) + "\n"


def _credentials(key: PrivateKey, certificate: SmkiCertificate) -> dict[str, str]:
    return {"key": private_key_pem(key).decode("ascii"), "certificate": _b64(certificate.der)}


def _registration(period: RegistrationPeriod) -> dict[str, Any]:
    key = "mpan" if period.fuel is Fuel.ELECTRICITY else "mprn"
    return {
        key: str(period.mpxn),
        "supplier": str(period.supplier),
        "network_operator": str(period.network_operator),
        "from": _iso(period.effective_from),
        "to": _iso(period.effective_to) if period.effective_to else None,
    }


def _device(device: Device) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": str(device.device_id),
        "type": str(device.device_type),
        "smets": 1 if device.generation is Smets.SMETS1 else 2,
        "cohort": str(device.cohort) if device.cohort else None,
        "status": str(device.status),
    }
    for key in ("mpan", "mprn"):
        if getattr(device, key) is not None:
            entry[key] = str(getattr(device, key))
    return entry


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


# -- reading ---------------------------------------------------------------------------------------


def loads(text: str | bytes, source: str = "provisioning") -> Provisioning:
    """Read a document from JSON text.

    Raises:
        ProvisioningError: naming ``source`` and the field of anything wrong.
    """
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ProvisioningError(f"{source}: not a JSON document ({exc})") from None
    return read(data, source)


def read(data: object, source: str = "provisioning") -> Provisioning:
    """Read a document already parsed from JSON (what a control request carries).

    Raises:
        ProvisioningError: naming ``source`` and the field of anything wrong.
    """
    read = _Reader(source)
    top = read.mapping(data, "document")
    if top.get("format") != FORMAT or top.get("version") != VERSION:
        raise read.fail("document", f"expected format {FORMAT!r} version {VERSION}")
    role = read.text(top, "role", "document")
    if role not in ROLES:
        raise read.fail("document.role", f"{role!r} is not one of {', '.join(ROLES)}")
    base = Provisioning(
        role=role,
        clock=read.value(top, "clock", "document", _time),
        mp107=read.flag(top, "mp107", "document"),
        identity=read.credentials(top, "identity", "document"),
        parties=tuple(read.each(top, "parties", _read_party)),
        registrations=tuple(read.each(top, "registrations", _read_registration)),
        devices=tuple(read.each(top, "devices", _read_device)),
    )
    if role == "dsp":
        acb = read.mapping(top.get("acb"), "document.acb")
        return dataclasses.replace(
            base,
            mp058=read.flag(top, "mp058", "document"),
            acb_ds=read.credentials(acb, "ds", "document.acb"),
            acb_ka=read.credentials(acb, "ka", "document.acb"),
            trusted=tuple(read.each(top, "trusted", _read_certificate)),
            anchors=tuple(read.each(top, "anchors", _read_certificate)),
            s1sps=_s1sps(read, top),
        )
    dsp = read.mapping(top.get("dsp"), "document.dsp")
    return dataclasses.replace(
        base,
        dsp_eui=read.value(dsp, "eui", "document.dsp", Eui64),
        trusted=(read.value(dsp, "certificate", "document.dsp", _certificate),),
        integrity_keys=_integrity_keys(read, top),
        slots=dict(read.each(top, "slots", _read_slot)),
        floors=dict(read.each(top, "floors", _read_floor)),
    )


class _Reader:
    """Field conversion with the field's path in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, why: str) -> ProvisioningError:
        return ProvisioningError(f"{self.source}: {where}: {why}")

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object")
        return value

    def text(self, entry: dict[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", "expected text")
        return value

    def value(
        self, entry: dict[str, Any], key: str, where: str, convert: Callable[[str], _T]
    ) -> _T:
        text = self.text(entry, key, where)
        try:
            return convert(text)
        except (InputError, ValueError) as exc:
            why = exc.message if isinstance(exc, InputError) else str(exc)
            raise self.fail(f"{where}.{key}", why) from None

    def optional(
        self, entry: dict[str, Any], key: str, where: str, convert: Callable[[str], _T]
    ) -> _T | None:
        return None if entry.get(key) is None else self.value(entry, key, where, convert)

    def flag(self, entry: dict[str, Any], key: str, where: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "expected true or false")
        return value

    def number(self, entry: dict[str, Any], key: str, where: str) -> int:
        value = entry.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "expected a whole number")
        return value

    def credentials(self, entry: dict[str, Any], key: str, where: str) -> Credentials:
        inner = self.mapping(entry.get(key), f"{where}.{key}")
        return Credentials(
            self.value(inner, "key", f"{where}.{key}", _key),
            self.value(inner, "certificate", f"{where}.{key}", _certificate),
        )

    def each(
        self,
        top: dict[str, Any],
        key: str,
        read: Callable[[_Reader, Any, str], _T],
    ) -> list[_T]:
        items = top.get(key, [])
        if not isinstance(items, list):
            raise self.fail(f"document.{key}", "expected a list")
        return [read(self, item, f"document.{key}[{n}]") for n, item in enumerate(items)]


def _read_party(read: _Reader, value: object, where: str) -> Party:
    entry = read.mapping(value, where)
    roles = entry.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise read.fail(f"{where}.roles", "expected a list of user roles")
    try:
        return Party(
            read.value(entry, "id", where, Eui64),
            read.text(entry, "name", where),
            frozenset(UserRole(r) for r in roles),
            distributor_id=read.number(entry, "distributor_id", where)
            if entry.get("distributor_id") is not None
            else None,
            gas_transporter=read.optional(entry, "gas_transporter", where, str),
        )
    except (InputError, ValueError) as exc:
        raise read.fail(where, exc.message if isinstance(exc, InputError) else str(exc)) from None


def _read_registration(read: _Reader, value: object, where: str) -> RegistrationPeriod:
    entry = read.mapping(value, where)
    fuel = Fuel.ELECTRICITY if "mpan" in entry else Fuel.GAS
    try:
        return RegistrationPeriod(
            read.text(entry, "mpan" if fuel is Fuel.ELECTRICITY else "mprn", where),
            fuel,
            read.value(entry, "supplier", where, Eui64),
            read.value(entry, "network_operator", where, Eui64),
            read.value(entry, "from", where, _time),
            read.optional(entry, "to", where, _time),
        )
    except InputError as exc:
        raise read.fail(where, exc.message) from None


def _read_device(read: _Reader, value: object, where: str) -> Device:
    entry = read.mapping(value, where)
    smets = entry.get("smets")
    if smets not in (1, 2):
        raise read.fail(f"{where}.smets", "expected 1 or 2")
    try:
        return Device(
            read.value(entry, "id", where, Eui64),
            read.value(entry, "type", where, DeviceType),
            Smets.SMETS1 if smets == 1 else Smets.SMETS2,
            read.optional(entry, "cohort", where, Cohort),
            read.value(entry, "status", where, SmiStatus),
            mpan=read.optional(entry, "mpan", where, Mpan),
            mprn=read.optional(entry, "mprn", where, Mprn),
        )
    except InputError as exc:
        raise read.fail(where, exc.message) from None


def _read_certificate(read: _Reader, value: object, where: str) -> SmkiCertificate:
    if not isinstance(value, str):
        raise read.fail(where, "expected a base64 DER certificate")
    try:
        return _certificate(value)
    except InputError as exc:
        raise read.fail(where, exc.message) from None


def _read_slot(
    read: _Reader, value: object, where: str
) -> tuple[tuple[Eui64, SlotRole, SlotKind], SmkiCertificate]:
    entry = read.mapping(value, where)
    key = (
        read.value(entry, "device", where, Eui64),
        read.value(entry, "role", where, SlotRole),
        read.value(entry, "kind", where, SlotKind),
    )
    return key, read.value(entry, "certificate", where, _certificate)


def _read_floor(read: _Reader, value: object, where: str) -> tuple[tuple[Eui64, SlotRole], int]:
    entry = read.mapping(value, where)
    key = (read.value(entry, "device", where, Eui64), read.value(entry, "role", where, SlotRole))
    return key, read.number(entry, "value", where)


def _s1sps(read: _Reader, top: dict[str, Any]) -> dict[str, Eui64]:
    entry = read.mapping(top.get("s1sps", {}), "document.s1sps")
    out = {}
    for cohort in entry:
        if cohort not in {str(c) for c in Cohort}:
            raise read.fail(f"document.s1sps.{cohort}", "not a cohort (IOC, MOC, FOC)")
        out[cohort] = read.value(entry, cohort, "document.s1sps", Eui64)
    return out


def _integrity_keys(read: _Reader, top: dict[str, Any]) -> dict[Eui64, bytes]:
    keys = {}
    for n, item in enumerate(top.get("devices", [])):
        where = f"document.devices[{n}]"
        hex_key = read.text(read.mapping(item, where), "integrity_key", where)
        try:
            key = bytes.fromhex(hex_key)
        except ValueError:
            raise read.fail(f"{where}.integrity_key", "expected hex") from None
        keys[Eui64(item["id"])] = key
    return keys


def _time(text: str) -> datetime:
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")), "time")
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 time") from None


def _certificate(text: str) -> SmkiCertificate:
    try:
        return parse_certificate(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise InputError("not base64") from None
    except CertificateParseError as exc:
        raise InputError(exc.message) from None


def _key(text: str) -> PrivateKey:
    return load_private_key(text.encode("ascii"), source="key")


__all__ = [
    "FORMAT",
    "ROLES",
    "VERSION",
    "Provisioning",
    "ProvisioningError",
    "dumps",
    "export",
    "loads",
    "read",
    "require_role",
]
