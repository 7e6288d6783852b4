"""The DSP's checks on a DUIS request, in the order of :mod:`s1harness.spec.checks`.

Each function applies one check and returns what later steps need, or raises
:class:`~s1harness.spec.checks.Refusal` naming the check and its code; the first failure
answers. The pipeline: the DUIS XSD (E40), the XML signature (E41), the RequestID counter
(E42), the web service posted to (E13), the SRVs in the DSP's table (E44), the access matrix
(E1, E2), the device checks (E19, E5, E11, E12), the credentials body (E061501, E061505,
E061504), SRPD 6.1(f) with the SRPD 6.2 exemptions (E4), the optional SECMP0058 check
(E061510), and for a CV 5 the signed pre-command (E43).

The web-service check applies only to requests that say which DCC Boxed URL they were posted
to (the envelope header ``service``: ``S`` Send Command ``/api/v1/serviceS``, ``T`` Transform
``/api/v1/serviceT``, ``D`` Non-Device ``/api/v1/serviceD``); requests arriving over the bus
carry no URL and skip it. DUIS gives E13's meaning ("the request type is not valid for the
URL") but not its place in the order, so the harness puts it here:

* after the signature and counter checks, so a request that is unsigned, forged or replayed is
  refused for that whatever URL it came to — nobody learns how the DSP would treat a request
  they could not have sent;
* before the access matrix and device checks (E1, E2, E12), because it needs nothing but the
  request header and the web service invoked, and that web service decides what kind of
  exchange follows (a synchronous transform, an acknowledged send, a synchronous non-device
  answer): asking who the User is, or whether the CV suits the SRV and device, presupposes the
  right exchange. A CV 4 sent to the Send Command URL is therefore E13 even when the SRV would
  also have failed E12.

Like every refusal it changes nothing: the counter is not taken and a pending transform stays
pending, so the same signed request may be posted again to the right URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    Request,
    RequestHandoverOfDCCControlledDevice,
    SignedPreCommand,
    UpdateSecurityCredentialsKRP,
)
from s1harness.duis.schema import DuisSchema
from s1harness.duis.srv import Srv, lookup
from s1harness.duis.verifying import verify_message
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.registry.model import Device, Party, SmiStatus
from s1harness.registry.store import Registry
from s1harness.smki.certificate import SmkiCertificate, cached_certificate
from s1harness.smki.errors import CertificateParseError
from s1harness.smki.keystore import Keystore
from s1harness.smki.validation import TrustAnchor, validate_path
from s1harness.spec import checks, codes
from s1harness.spec.checks import Exemption, Refusal
from s1harness.spec.devices import DeviceType, Smets
from s1harness.spec.mpxn import Mpan
from s1harness.spec.roles import KeyUsage, RemotePartyRole
from s1harness.spec.users import UserRole, acting_role

CredentialsBody = UpdateSecurityCredentialsKRP | RequestHandoverOfDCCControlledDevice
ACTIVE_STATUSES = frozenset({SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED})
_CREDENTIAL_DEVICES = frozenset({DeviceType.ESME, DeviceType.GSME, DeviceType.GPF})
_CREDENTIAL_SRVS = frozenset({"6.15.1", "6.21"})

WEB_SERVICES = {"S": "Send Command", "T": "Transform", "D": "Non-Device"}
"""The DCC Boxed web services by the letter of their URL (``/api/v1/service<letter>``)."""
WEB_SERVICE_OF_VARIANT = {1: "S", 3: "S", 5: "S", 7: "S", 4: "T", 2: "D", 6: "D", 8: "D"}
"""The web service each CommandVariant is sent to (DUIS CommandVariant); CV 9 is the DCC's."""


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request past the access matrix and device checks: who acts in which role on which
    device."""

    party: Party
    acting_role: UserRole
    device: Device


def schema(payload: bytes, duis: DuisSchema) -> etree._Element:
    """DUIS XSD (E40): well-formed and valid; returns the parsed document."""
    try:
        root = xml.parse(payload)
    except DuisParseError as exc:
        raise Refusal(checks.DUIS_XSD, codes.E40, exc.message) from None
    issues = duis.validate(root)
    if issues:
        raise Refusal(checks.DUIS_XSD, codes.E40, str(issues[0]))
    return root


def signature(root: etree._Element, keystore: Keystore, at: datetime) -> None:
    """DUIS XML signature (E41): signed by an XML-signing certificate of the originator."""
    verification = verify_message(root, keystore, at=at)
    if not verification.valid:
        raise Refusal(checks.DUIS_SIGNATURE, codes.E41, verification.reason or "signature failed")


def counter(request: Request, last: int, *, continuing: bool) -> None:
    """DUIS RequestID counter (E42): above ``last``, the last accepted from the originator,
    unless the request ``continuing`` a transform (the CV 5 of a CV 4) reuses its RequestID."""
    request_id = request.header.request_id
    if request_id.counter <= last and not continuing:
        raise Refusal(
            checks.DUIS_REPLAY,
            codes.E42,
            f"counter {request_id.counter} is not above {last}, "
            f"the last accepted from {request_id.originator}",
        )


def web_service(request: Request, service: str) -> str:
    """DUIS web service (E13): the request was posted to the URL of its CommandVariant.

    Args:
        request: The request, past the signature and counter checks.
        service: The letter of the URL it was posted to (``S``, ``T`` or ``D``).

    Returns:
        The web service's name, for the record.
    """
    variant = request.header.command_variant
    expected = WEB_SERVICE_OF_VARIANT.get(variant)
    name = WEB_SERVICES.get(service)
    if name is None:
        raise Refusal(checks.WEB_SERVICE, codes.E13, f"{service!r} is not a DUIS web service URL")
    if expected != service:
        wanted = f"the {WEB_SERVICES[expected]} URL" if expected else "no User URL"
        raise Refusal(
            checks.WEB_SERVICE,
            codes.E13,
            f"command variant {variant} was posted to the {name} URL; it belongs to {wanted}",
        )
    return name


def srv_supported(request: Request) -> Srv:
    """DSP SRV support (E44): the SRV is one this DSP models."""
    variant = request.header.service_reference_variant
    srv = lookup(variant)
    if srv is None:
        raise Refusal(checks.SRV_SUPPORTED, codes.E44, f"SRV {variant} is not modelled by this DSP")
    return srv


def user_and_role(registry: Registry, request: Request, srv: Srv) -> Party:
    """DUIS access matrix: the User is known (E1) and holds a role permitted for the SRV (E2)."""
    party = registry.party(request.header.request_id.originator)
    if party is None:
        raise Refusal(
            checks.ACCESS_MATRIX,
            codes.E1,
            f"{request.header.request_id.originator} is not a known DCC User",
        )
    if not party.roles & srv.eligible:
        roles = ", ".join(sorted(party.roles))
        raise Refusal(
            checks.ACCESS_MATRIX, codes.E2, f"user roles {roles} may not send SRV {srv.variant}"
        )
    return party


def device_and_variant(registry: Registry, request: Request, srv: Srv) -> Device:
    """DUIS device checks: E19, E5, E11, E12."""
    device = registry.device(request.header.request_id.target)
    if device is None:
        raise Refusal(
            checks.DEVICE,
            codes.E19,
            f"device {request.header.request_id.target} is not in the inventory",
        )
    if device.status not in ACTIVE_STATUSES:
        raise Refusal(
            checks.DEVICE,
            codes.E5,
            f"device SMI status {device.status} does not permit SRV {srv.variant}",
        )
    if srv.variant in _CREDENTIAL_SRVS and device.device_type not in _CREDENTIAL_DEVICES:
        raise Refusal(
            checks.DEVICE,
            codes.E11,
            f"SRV {srv.variant} does not apply to a {device.device_type}",
        )
    if request.header.command_variant not in srv.command_variants - {6, 7}:
        raise Refusal(
            checks.DEVICE,
            codes.E12,
            f"command variant {request.header.command_variant} does not apply to SRV {srv.variant}",
        )
    return device


def unhandled_variant(variant: int, srv: Srv) -> Refusal:
    """DUIS device checks (E12): a command variant and body this DSP has no handler for."""
    return Refusal(
        checks.DEVICE,
        codes.E12,
        f"command variant {variant} with this body is not handled for SRV {srv.variant}",
    )


def placing_role(party: Party, device: Device, body: CredentialsBody) -> UserRole:
    """DUIS credentials body (E061501): the user role that may place the body's
    RemotePartyRole on this device type (the role-mapping table), held by the party."""
    remote = body.remote_party_role
    role = acting_role(remote.gbcs, device.device_type)
    if role is None or role not in party.roles:
        raise Refusal(
            checks.CREDENTIALS_BODY,
            codes.E061501,
            f"user roles {', '.join(sorted(party.roles))} may not place {remote} "
            f"credentials on a {device.device_type}",
        )
    return role


def supplier_role(party: Party, device: Device) -> UserRole:
    """DUIS credentials body (E061501): 6.21 is a Supplier's SRV — the supplier role for the
    device's fuel, held by the party."""
    role = acting_role(RemotePartyRole.SUPPLIER, device.device_type)
    if role is None or role not in party.roles:
        raise Refusal(
            checks.CREDENTIALS_BODY,
            codes.E061501,
            f"a 6.21 on a {device.device_type} needs the {role} role",
        )
    return role


def replacement_certificates(
    body: CredentialsBody, anchors: tuple[TrustAnchor | SmkiCertificate, ...], at: datetime
) -> list[SmkiCertificate]:
    """DUIS credentials body (E061505, E061504): at least one certificate; each parses, has
    the role and key usage of its slot, and chains through the carried path certificates to
    an anchor."""
    slots = _slots(body)
    if not slots:
        raise Refusal(checks.CREDENTIALS_BODY, codes.E061505, "no replacement certificate given")
    path = [
        _certificate(der, "CertificationPathCertificates")
        for der in body.certification_path_certificates
    ]
    role = body.remote_party_role.gbcs
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


def _unusable(detail: str) -> Refusal:
    return Refusal(checks.CREDENTIALS_BODY, codes.E061504, detail)


def _certificate(der: bytes, where: str) -> SmkiCertificate:
    try:
        return cached_certificate(der)
    except CertificateParseError as exc:
        raise _unusable(f"{where}: {exc.message}") from None


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
        raise _unusable(f"certificate {cert.serial_hex} is not a {usage.value} certificate")
    if cert.role is not role:
        raise _unusable(
            f"certificate {cert.serial_hex} has role {cert.role_name}, not {role.spec_name}"
        )
    result = validate_path(
        cert,
        anchors=anchors,
        intermediates=path,
        at=at if time_checks else None,
        time_checks=time_checks,
    )
    if not result.valid:
        raise _unusable(f"certificate {cert.serial_hex}: {result.reason}")
    return cert


def rdp_exemption(
    admitted: Admitted, body: CredentialsBody, srv: Srv, *, mp107: bool, critical: bool
) -> Exemption | None:
    """The SRPD 6.2 exemption (or the SMETS2 critical rule) that lifts SRPD 6.1(f), if any."""
    device, role = admitted.device, admitted.acting_role
    if device.generation is Smets.SMETS2 and critical:
        return checks.SMETS2_CRITICAL
    if role is UserRole.OU:
        return checks.SRPD_6_2_C
    if checks.mp107_exempt(
        sender=role,
        generation=device.generation,
        target=body.remote_party_role.gbcs,
        srv=srv.variant,
        switch=mp107,
    ):
        return checks.SRPD_6_2_D
    return None


def eligibility(registry: Registry, admitted: Admitted, at: datetime) -> None:
    """SRPD 6.1(f) (E4): the user is the eligible user for the device's MPxN at ``at``."""
    party, device, role = admitted.party, admitted.device, admitted.acting_role
    if not registry.eligible(party.user_id, device.device_id, role, at):
        raise Refusal(
            checks.RDP,
            codes.E4,
            f"{party.user_id} is not the registered {role} for device {device.device_id} "
            f"at {at.isoformat()}",
        )


def mp058(registry: Registry, admitted: Admitted, certificates: list[SmkiCertificate]) -> None:
    """SECMP0058 (switchable, E061510): a Supplier placing NO certificates on an ESME whose
    MPAN is known must place the certificates of the NO for the MPAN's distributor ID."""
    device = admitted.device
    if (
        admitted.acting_role is not UserRole.IS
        or device.device_type is not DeviceType.ESME
        or device.mpan is None
    ):
        return
    distributor = Mpan(device.mpan).distributor_id
    owners = {p.user_id for p in registry.parties_for_distributor(distributor)}
    for cert in certificates:
        if cert.role is RemotePartyRole.NETWORK_OPERATOR and cert.eui not in owners:
            raise Refusal(
                checks.MP058,
                codes.E061510,
                f"certificate owner {cert.eui} is not the network operator "
                f"for distributor {distributor:02d}",
            )


def signed_precommand(request: Request, issued: GeneralSigningApdu | None) -> GeneralSigningApdu:
    """DUIS signed pre-command (E43): a CV 5 carries, signed, the pre-command ``issued``."""
    if issued is None:
        raise Refusal(checks.PRECOMMAND, codes.E43, "no pre-command was issued for this RequestID")
    body = request.body
    if not isinstance(body, SignedPreCommand):
        raise Refusal(
            checks.PRECOMMAND, codes.E43, "command variant 5 needs a SignedPreCommand body"
        )
    try:
        signed = decode(body.gbcs_payload)
    except GbcsError as exc:
        raise Refusal(
            checks.PRECOMMAND, codes.E43, f"signed pre-command does not decode: {exc.message}"
        ) from None
    if (
        not isinstance(signed, GeneralSigningApdu)
        or signed.signature is None
        or signed.unsigned != issued.raw
    ):
        raise Refusal(
            checks.PRECOMMAND, codes.E43, "the signed pre-command is not the pre-command issued"
        )
    return signed
