"""The S1SP's checks on a countersigned request (docs/checks.md), in the order of
:mod:`s1harness.spec.checks`; the first failure is answered with an S1SP alert carrying its
code:

the DSP's countersignature (S1VE1); SRPD 16.1, the registration data (S1VE4) — lifted for a
6.15.1 from a Network Operator targeting the NO credentials while *this* S1SP's MP107 flag is
on (:func:`s1harness.spec.checks.mp107_exempt`); S1SR 4.2, the owner: the Business Originator
ID must be the owner of the certificate in the slot for the sender's role (S1VE64); the
Authorising Remote Party Signature over the pre-command with that slot's (Notified Critical)
certificate (S1VE2); the originator counter above the role's Execution Counter (S1VE3).
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    Request,
    RequestHandoverOfDCCControlledDevice,
    UpdateSecurityCredentialsKRP,
    parse_request,
)
from s1harness.duis.signature import verify
from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import Frame, GeneralSigningApdu, decode
from s1harness.gbcs.payloads import UpdateSecurityCredentials, decode_update_security_credentials
from s1harness.registry.store import Registry
from s1harness.roles import countersigned
from s1harness.roles.s1sp.store import SlotKind, SlotRole, SlotStore
from s1harness.smki.keystore import Keystore
from s1harness.spec import checks, codes
from s1harness.spec.checks import Exemption, Refusal
from s1harness.spec.devices import Smets
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole
from s1harness.spec.users import UserRole


def countersignature(
    root: etree._Element, keystore: Keystore, dsp_eui: Eui64
) -> countersigned.CountersignedRequest:
    """S1SP countersignature (S1VE1): the DSP signed it (role 137, the DCC's EUI)."""
    try:
        result = verify(
            root, keystore, expected_eui=dsp_eui, expected_role=RemotePartyRole.DSP_XML_SIGN
        )
        if not result.valid:
            raise Refusal(
                checks.COUNTERSIGNATURE, codes.S1VE1, result.reason or "countersignature failed"
            )
        return countersigned.parse(root)
    except DuisParseError as exc:
        raise Refusal(checks.COUNTERSIGNATURE, codes.S1VE1, exc.message) from None


EXECUTED = frozenset({"6.15.1", "6.21"})
"""The SRVs an S1SP carries out (the credential SRVs of SECMP0107)."""


def inner_request(cs: countersigned.CountersignedRequest) -> Request:
    """S1SP countersignature (S1VE1): the service request it carries parses, is one an S1SP
    carries out, and comes as it must — a 6.21 with its handover body, a 6.15.1 with the
    signed pre-command beside it."""
    try:
        request = parse_request(xml.parse(cs.service_request))
    except DuisParseError as exc:
        raise Refusal(
            checks.COUNTERSIGNATURE, codes.S1VE1, f"the carried service request: {exc.message}"
        ) from None
    variant = request.header.service_reference_variant
    handover = isinstance(request.body, RequestHandoverOfDCCControlledDevice)
    if (
        variant not in EXECUTED
        or handover != (variant == "6.21")
        or (variant == "6.15.1" and cs.signed_precommand is None)
    ):
        raise Refusal(
            checks.COUNTERSIGNATURE,
            codes.S1VE1,
            f"the carried service request is not a {' or '.join(sorted(EXECUTED))} "
            "an S1SP carries out",
        )
    return request


class SignedPrecommand:
    """The signed pre-command a countersigned request carries, decoded at most once.

    SRPD 16.1 reads the target role from its payload, the authorising signature check verifies
    it and the execution takes the replacements from it: three readers of the same octets.
    Decoding is a pure function of the octets, so each reader gets the one result — or the
    same error, raised again — exactly as if it had decoded them itself.
    """

    def __init__(self, octets: bytes | None) -> None:
        self.octets = octets or b""
        self._frame: Frame | GbcsError | None = None
        self._payload: tuple[bytes, UpdateSecurityCredentials | GbcsError] | None = None

    def frame(self) -> Frame:
        """The decoded frame.

        Raises:
            GbcsError: when the octets are not a GBCS frame.
        """
        if self._frame is None:
            try:
                self._frame = decode(self.octets)
            except GbcsError as exc:
                self._frame = exc
        if isinstance(self._frame, GbcsError):
            raise self._frame
        return self._frame

    def payload(self, apdu: GeneralSigningApdu) -> UpdateSecurityCredentials:
        """The CS02b payload of ``apdu`` (the :meth:`frame`), decoded once per content.

        Raises:
            GbcsError: when the content is not an UpdateSecurityCredentials.
        """
        if self._payload is None or self._payload[0] != apdu.content:
            try:
                result: UpdateSecurityCredentials | GbcsError = decode_update_security_credentials(
                    apdu.content
                )
            except GbcsError as exc:
                result = exc
            self._payload = (apdu.content, result)
        if isinstance(self._payload[1], GbcsError):
            raise self._payload[1]
        return self._payload[1]


def sender_slot(user_role: UserRole) -> SlotRole:
    """The slot whose certificates authorise the sender: its role's (the role-mapping table)."""
    return SlotRole.of(user_role.remote_party_role)


def target_role(
    cs: countersigned.CountersignedRequest,
    request: Request,
    precommand: SignedPrecommand | None = None,
) -> RemotePartyRole | None:
    """The remote party role whose credentials the request replaces: read from the body (6.21)
    or, for a critical 6.15.1 (whose CV 5 body is the signed pre-command), from the GBCS
    payload — the Network Operator's if any replacement targets them. None when unreadable."""
    body = request.body
    if isinstance(body, RequestHandoverOfDCCControlledDevice | UpdateSecurityCredentialsKRP):
        return body.remote_party_role.gbcs
    precommand = precommand or SignedPrecommand(cs.signed_precommand)
    try:
        apdu = precommand.frame()
        if not isinstance(apdu, GeneralSigningApdu):
            return None
        payload = precommand.payload(apdu)
    except GbcsError:
        return None
    roles = [int(r.target.role) for r in payload.replacements]
    if RemotePartyRole.NETWORK_OPERATOR in roles:
        return RemotePartyRole.NETWORK_OPERATOR
    known = [RemotePartyRole(r) for r in roles if r in RemotePartyRole._value2member_map_]
    return known[0] if known else None


def rdp(
    registry: Registry,
    cs: countersigned.CountersignedRequest,
    request: Request,
    *,
    mp107: bool,
    at: datetime,
    precommand: SignedPrecommand | None = None,
) -> Exemption | None:
    """SRPD 16.1 (S1VE4): the originator is the registered user in its role for the device.
    Returns the exemption that lifted it, if one did (SECMP0107, with this S1SP's flag)."""
    role = UserRole(cs.user_role)
    if checks.mp107_exempt(
        sender=role,
        generation=Smets.SMETS1,
        target=target_role(cs, request, precommand),
        srv=request.header.service_reference_variant,
        switch=mp107,
    ):
        return checks.SRPD_6_2_D
    originator = request.header.request_id.originator
    if not registry.eligible(originator, cs.device_id, role, at):
        raise Refusal(
            checks.S1SP_RDP,
            codes.S1VE4,
            f"{originator} is not the registered {role} for device {cs.device_id}",
        )
    return None


def owner(
    store: SlotStore, cs: countersigned.CountersignedRequest, request: Request, slot: SlotRole
) -> None:
    """S1SR 4.2 (S1VE64): the sender owns the certificate in its role's slot."""
    held = store.slot(cs.device_id, slot, SlotKind.CRITICAL)
    originator = request.header.request_id.originator
    if held is None or held.owner != originator:
        holder = held.owner if held else "nobody"
        raise Refusal(
            checks.OWNER,
            codes.S1VE64,
            f"the {slot.value} slot of {cs.device_id} holds {holder}'s certificate, "
            f"not {originator}'s",
        )


def authorisation(
    store: SlotStore,
    cs: countersigned.CountersignedRequest,
    slot: SlotRole,
    precommand: SignedPrecommand | None = None,
) -> GeneralSigningApdu:
    """S1SP authorising signature (S1VE2): the sender's GBCS signature over the pre-command
    verifies with the Notified Critical certificate of its role."""
    held = store.slot(cs.device_id, slot, SlotKind.CRITICAL)
    precommand = precommand or SignedPrecommand(cs.signed_precommand)
    try:
        apdu = precommand.frame()
    except GbcsError as exc:
        raise Refusal(
            checks.AUTHORISATION, codes.S1VE2, f"signed pre-command: {exc.message}"
        ) from None
    if (
        not isinstance(apdu, GeneralSigningApdu)
        or held is None
        or not verify_signature(apdu, held.certificate.public_key())
    ):
        raise Refusal(
            checks.AUTHORISATION,
            codes.S1VE2,
            "the pre-command's signature does not verify with the notified critical certificate",
        )
    return apdu


def handover_floor(originator: Eui64) -> str:
    """The floor key of ``originator``'s DCC-controlled handovers (6.21) of a device."""
    return f"handover:{originator}"


def handover_counter(
    store: SlotStore, cs: countersigned.CountersignedRequest, request: Request
) -> None:
    """S1SP execution counter (S1VE3) for a 6.21: its RequestID counter is above that of the
    last handover its originator had carried out on the device — a countersigned 6.21 sent
    again changes nothing."""
    request_id = request.header.request_id
    floor = store.named_floor(cs.device_id, handover_floor(request_id.originator))
    if request_id.counter <= floor:
        raise Refusal(
            checks.EXECUTION_COUNTER,
            codes.S1VE3,
            f"6.21 counter {request_id.counter} is not above {floor}, the last carried out",
        )


def counter(
    store: SlotStore, cs: countersigned.CountersignedRequest, slot: SlotRole, value: int
) -> None:
    """S1SP execution counter (S1VE3): the originator counter is above the execution counter
    floor — and above the counter of any of the role's instructions still awaiting the device."""
    floor = max(store.floor(cs.device_id, slot), store.pending_counter(cs.device_id, slot))
    if value <= floor:
        raise Refusal(
            checks.EXECUTION_COUNTER, codes.S1VE3, f"counter {value} is not above the floor {floor}"
        )
