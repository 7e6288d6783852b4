"""The DSP's access-control pipeline for a DUIS request (DESIGN §3.1), in order.

Each check returns nothing or raises :class:`Rejected` with the code of the one table
(:mod:`s1harness.spec.codes`) and the clause it enforces; the first failure answers:

1. XSD (E40);  2. XML signature, signer role 135, signer = RequestID originator (E41), and the
counter above the last accepted for the originator (E42);  2b. the web service the request was
posted to fits its CommandVariant (E13);  3. User known (E1) and holding a role permitted for
the SRV (E2);  4. device in the inventory (E19), SMI status (E5), SRV for the device type
(E11), command variant for the SRV (E12);  5. body rules (E061505 no certificate, E061501 user
role / remote party role / device type, E061504 an unusable certificate);  6. SRPD 6.1(f)
eligibility (E4) with the exceptions of SRPD 6.2;  7. the optional SECMP0058 check (E061510).

Check 2b applies only to requests that say which DCC Boxed URL they were posted to (the
envelope header ``service``: ``S`` Send Command ``/api/v1/serviceS``, ``T`` Transform
``/api/v1/serviceT``, ``D`` Non-Device ``/api/v1/serviceD``); requests arriving over the bus
carry no URL and skip it. DUIS gives E13's meaning ("the request type is not valid for the
URL", docs/duis.md §3.4) but not its place in the order, so the harness puts it here:

* after check 2, so a request that is unsigned, forged or replayed is refused for that whatever
  URL it came to — nobody learns how the DSP would treat a request they could not have sent;
* before checks 3 and 4 (E1, E2, E12), because it needs nothing but the request header and the
  web service invoked, and that web service decides what kind of exchange follows (a
  synchronous transform, an acknowledged send, a synchronous non-device answer): asking who the
  User is, or whether the CV suits the SRV and device, presupposes the right exchange. A CV 4
  sent to the Send Command URL is therefore E13 even when the SRV would also have failed E12.

Like every refusal it changes nothing: the counter is not taken and a pending transform stays
pending, so the same signed request may be posted again to the right URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from s1harness.duis.messages import (
    Request,
    RequestHandoverOfDCCControlledDevice,
    UpdateSecurityCredentialsKRP,
)
from s1harness.duis.srv import Srv
from s1harness.registry.model import Device, DeviceType, Party, Smets, SmiStatus
from s1harness.registry.store import Registry
from s1harness.smki.certificate import SmkiCertificate, cached_certificate
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.validation import TrustAnchor, validate_path
from s1harness.spec.mpxn import Mpan
from s1harness.spec.roles import KeyUsage, RemotePartyRole
from s1harness.spec.users import UserRole

CredentialsBody = UpdateSecurityCredentialsKRP | RequestHandoverOfDCCControlledDevice
ACTIVE_STATUSES = frozenset({SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED})
_CREDENTIAL_DEVICES = frozenset({DeviceType.ESME, DeviceType.GSME, DeviceType.GPF})
_SUPPLIER = {
    DeviceType.ESME: UserRole.IS,
    DeviceType.GSME: UserRole.GS,
    DeviceType.GPF: UserRole.GS,
}
_NETWORK = {DeviceType.ESME: UserRole.ED, DeviceType.GSME: UserRole.GT, DeviceType.GPF: UserRole.GT}
_CERTIFICATE_ROLE = {
    "Supplier": RemotePartyRole.SUPPLIER,
    "NetworkOperator": RemotePartyRole.NETWORK_OPERATOR,
    "LoadController": RemotePartyRole.LOAD_CONTROLLER,
}


WEB_SERVICES = {"S": "Send Command", "T": "Transform", "D": "Non-Device"}
"""The DCC Boxed web services by the letter of their URL (``/api/v1/service<letter>``)."""
WEB_SERVICE_OF_VARIANT = {1: "S", 3: "S", 5: "S", 7: "S", 4: "T", 2: "D", 6: "D", 8: "D"}
"""The web service each CommandVariant is sent to (docs/duis.md §1.3); CV 9 is the DCC's own."""


class Rejected(Exception):  # noqa: N818 - a rejection is an outcome, not an error
    """A request refused by a check: the response code, the clause, and why."""

    def __init__(self, code: str, check: str, reason: str) -> None:
        super().__init__(f"{code} ({check}): {reason}")
        self.code, self.check, self.reason = code, check, reason


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request past checks 3–4: who acts in which role on which device."""

    party: Party
    acting_role: UserRole
    device: Device


def web_service(request: Request, service: str) -> str:
    """Check 2b (E13): the request was posted to the URL of its CommandVariant (DUIS §1.3).

    Args:
        request: The request, past checks 1–2.
        service: The letter of the URL it was posted to (``S``, ``T`` or ``D``).

    Returns:
        The web service's name, for the record.

    Raises:
        Rejected: E13 when the CommandVariant belongs to another URL, or ``service`` names no
            DCC Boxed URL.
    """
    variant = request.header.command_variant
    expected = WEB_SERVICE_OF_VARIANT.get(variant)
    name = WEB_SERVICES.get(service)
    if name is None:
        raise Rejected("E13", "DSP check 2b", f"{service!r} is not a DUIS web service URL")
    if expected != service:
        wanted = f"the {WEB_SERVICES[expected]} URL" if expected else "no User URL"
        raise Rejected(
            "E13",
            "DSP check 2b",
            f"command variant {variant} was posted to the {name} URL; it belongs to {wanted}",
        )
    return name


def user_and_role(registry: Registry, request: Request, srv: Srv) -> Party:
    """Check 3: the User is known (E1) and holds a role permitted for the SRV (E2)."""
    party = registry.party(request.header.request_id.originator)
    if party is None:
        raise Rejected(
            "E1", "DSP check 3", f"{request.header.request_id.originator} is not a known DCC User"
        )
    if not party.roles & srv.eligible:
        roles = ", ".join(sorted(party.roles))
        raise Rejected("E2", "DSP check 3", f"user roles {roles} may not send SRV {srv.variant}")
    return party


def device_and_variant(registry: Registry, request: Request, srv: Srv) -> Device:
    """Check 4: E19, E5, E11, E12."""
    device = registry.device(request.header.request_id.target)
    if device is None:
        raise Rejected(
            "E19",
            "DSP check 4",
            f"device {request.header.request_id.target} is not in the inventory",
        )
    if device.status not in ACTIVE_STATUSES:
        raise Rejected(
            "E5",
            "DSP check 4",
            f"device SMI status {device.status} does not permit SRV {srv.variant}",
        )
    if srv.variant in ("6.15.1", "6.21") and device.device_type not in _CREDENTIAL_DEVICES:
        raise Rejected(
            "E11", "DSP check 4", f"SRV {srv.variant} does not apply to a {device.device_type}"
        )
    if request.header.command_variant not in srv.command_variants - {6, 7}:
        raise Rejected(
            "E12",
            "DSP check 4",
            f"command variant {request.header.command_variant} does not apply to SRV {srv.variant}",
        )
    return device


def acting_role(party: Party, device: Device, body: CredentialsBody) -> UserRole:
    """Check 5 (E061501): the user role that may place ``RemotePartyRole`` on this device type."""
    remote = str(body.remote_party_role)
    wanted = _NETWORK if remote == "NetworkOperator" else _SUPPLIER
    role = wanted.get(device.device_type)
    allowed = remote in ("Supplier", "NetworkOperator") or (
        remote == "LoadController" and device.device_type is DeviceType.ESME
    )
    if role is None or not allowed or role not in party.roles:
        raise Rejected(
            "E061501",
            "DSP check 5",
            f"user roles {', '.join(sorted(party.roles))} may not place {remote} "
            f"credentials on a {device.device_type}",
        )
    return role


def replacement_certificates(
    body: CredentialsBody, anchors: tuple[TrustAnchor | SmkiCertificate, ...], at: datetime
) -> list[SmkiCertificate]:
    """Check 5 (E061505, E061504): at least one certificate; each parses, has the role and
    key usage of its slot, and chains through the carried path certificates to an anchor."""
    slots = _slots(body)
    if not slots:
        raise Rejected("E061505", "DSP check 5", "no replacement certificate given")
    path = [
        _certificate(der, "CertificationPathCertificates")
        for der in body.certification_path_certificates
    ]
    role = _CERTIFICATE_ROLE[str(body.remote_party_role)]
    time_checks = body.apply_time_based_cpv_checks
    return [
        _check_slot(
            der, usage=u, role=role, path=path, anchors=anchors, at=at, time_checks=time_checks
        )
        for der, u in slots
    ]


def _slots(body: CredentialsBody) -> list[tuple[bytes, KeyUsage]]:
    certificates = body.replacement_certificates
    pairs = (
        (certificates.digital_signing, KeyUsage.DIGITAL_SIGNATURE),
        (certificates.key_agreement, KeyUsage.KEY_AGREEMENT),
        (certificates.key_agreement_top_up, KeyUsage.KEY_AGREEMENT),
    )
    return [(der, usage) for der, usage in pairs if der is not None]


def _certificate(der: bytes, where: str) -> SmkiCertificate:
    try:
        return cached_certificate(der)
    except CertificateParseError as exc:
        raise Rejected("E061504", "DSP check 5", f"{where}: {exc.message}") from None


def _check_slot(
    der: bytes,
    *,
    usage: KeyUsage,
    role: RemotePartyRole,
    path: list[SmkiCertificate],
    anchors: tuple[TrustAnchor | SmkiCertificate, ...],
    at: datetime,
    time_checks: bool,
) -> SmkiCertificate:
    cert = _certificate(der, "ReplacementCertificates")
    if cert.key_usage is not usage:
        raise Rejected(
            "E061504",
            "DSP check 5",
            f"certificate {cert.serial_hex} is not a {usage.value} certificate",
        )
    if cert.role is not role:
        raise Rejected(
            "E061504",
            "DSP check 5",
            f"certificate {cert.serial_hex} has role {cert.role_name}, not {role.spec_name}",
        )
    result = validate_path(
        cert,
        anchors=anchors,
        intermediates=path,
        at=at if time_checks else None,
        time_checks=time_checks,
    )
    if not result.valid:
        raise Rejected("E061504", "DSP check 5", f"certificate {cert.serial_hex}: {result.reason}")
    return cert


def rdp_exception(
    device: Device, role: UserRole, body: CredentialsBody | None, *, mp107: bool, critical: bool
) -> str | None:
    """Which SRPD 6.2 exception (or SMETS2 critical rule) lifts the RDP check, if any."""
    if device.generation is Smets.SMETS2 and critical:
        return "SMETS2 critical SR: no RDP check"
    if role is UserRole.OU:
        return "SRPD 6.2(c): user role Other User"
    network = role in (UserRole.ED, UserRole.GT)
    if (
        mp107
        and device.generation is Smets.SMETS1
        and network
        and body is not None
        and str(body.remote_party_role) == "NetworkOperator"
    ):
        return "SRPD 6.2(d): SMETS1 6.15.1 from a Network Operator for the NO credentials (MP107)"
    return None


def eligibility(
    registry: Registry, party: Party, device: Device, role: UserRole, at: datetime
) -> None:
    """Check 6, SRPD 6.1(f): the user is the eligible user for the device's MPxN at ``at`` (E4)."""
    if not registry.eligible(party.user_id, device.device_id, role, at):
        raise Rejected(
            "E4",
            "SRPD 6.1(f)",
            f"{party.user_id} is not the registered {role} for device {device.device_id} "
            f"at {at.isoformat()}",
        )


def mp058(
    registry: Registry, device: Device, role: UserRole, certificates: list[SmkiCertificate]
) -> None:
    """Check 7, SECMP0058 (switchable): a Supplier placing NO certificates on an ESME whose MPAN is
    known must place the certificates of the NO for the MPAN's distributor ID (E061510)."""
    if role is not UserRole.IS or device.device_type is not DeviceType.ESME or device.mpan is None:
        return
    distributor = Mpan(device.mpan).distributor_id
    owners = {p.user_id for p in registry.parties_for_distributor(distributor)}
    for cert in certificates:
        if cert.role is RemotePartyRole.NETWORK_OPERATOR and cert.eui not in owners:
            raise Rejected(
                "E061510",
                "SECMP0058",
                f"certificate owner {cert.eui} is not the network operator "
                f"for distributor {distributor:02d}",
            )


def supplier_role(party: Party, device: Device) -> UserRole:
    """6.21 is a Supplier's SRV: the supplier role for the device's fuel (E061501 without it)."""
    role = _SUPPLIER.get(device.device_type)
    if role is None or role not in party.roles:
        raise Rejected(
            "E061501", "DSP check 5", f"a 6.21 on a {device.device_type} needs the {role} role"
        )
    return role
