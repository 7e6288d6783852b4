"""The S1SP's checks on a countersigned request, in DESIGN §3.2 order; the first failure is
answered with an S1SP alert carrying its code (:mod:`s1harness.spec.codes`):

1. the DSP's countersignature (S1VE1);  2. **RDP, SRPD 16.1** (S1VE4) — lifted only for a
6.15.1 from a Network Operator targeting the NO credentials while *this* S1SP's MP107 flag is
on;  3. **owner, S1SR 4.2**: the Business Originator ID must be the owner of the certificate in
the slot for the sender's role (S1VE64);  4. the sender's signature over the pre-command with
that slot's (Notified Critical) certificate (S1VE2);  5. the originator counter above the
slot's floor (S1VE3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import Request, parse_request
from s1harness.duis.signature import verify
from s1harness.gbcs.crypto import verify_signature
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import Frame, GeneralSigningApdu, decode
from s1harness.gbcs.payloads import UpdateSecurityCredentials, decode_update_security_credentials
from s1harness.registry.store import Registry
from s1harness.roles import countersigned
from s1harness.roles.s1sp.store import SlotKind, SlotRole, SlotStore
from s1harness.smki.keystore import Keystore
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole
from s1harness.spec.users import UserRole

_NETWORK_ROLES = frozenset({UserRole.ED, UserRole.GT})


class Refused(Exception):  # noqa: N818 - a refusal is an outcome, reported as an S1SP alert
    def __init__(self, code: str, check: str, reason: str) -> None:
        super().__init__(f"{code} ({check}): {reason}")
        self.code, self.check, self.reason = code, check, reason


@dataclass(frozen=True, slots=True)
class Accepted:
    """A countersigned request past the checks: what execution needs."""

    countersigned: countersigned.CountersignedRequest
    request: Request
    user_role: UserRole
    sender_slot: SlotRole
    precommand: GeneralSigningApdu | None


def countersignature(
    root: etree._Element, keystore: Keystore, dsp_eui: Eui64
) -> countersigned.CountersignedRequest:
    """Check 1: the DSP signed it (role 137, the DCC's EUI)."""
    try:
        result = verify(
            root, keystore, expected_eui=dsp_eui, expected_role=RemotePartyRole.DSP_XML_SIGN
        )
        if not result.valid:
            raise Refused("S1VE1", "S1SP check 1", result.reason or "countersignature failed")
        return countersigned.parse(root)
    except DuisParseError as exc:
        raise Refused("S1VE1", "S1SP check 1", exc.message) from None


def inner_request(cs: countersigned.CountersignedRequest) -> Request:
    try:
        return parse_request(xml.parse(cs.service_request))
    except DuisParseError as exc:
        raise Refused(
            "S1VE1", "S1SP check 1", f"the carried service request: {exc.message}"
        ) from None


class SignedPrecommand:
    """The signed pre-command a countersigned request carries, decoded at most once.

    Check 2 reads the target role from its payload, check 4 verifies its signature and the
    execution takes the replacements from that payload: three readers of the same octets.
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
    return SlotRole.NETWORK_OPERATOR if user_role in _NETWORK_ROLES else SlotRole.SUPPLIER


def targets_network_operator(
    cs: countersigned.CountersignedRequest,
    request: Request,
    precommand: SignedPrecommand | None = None,
) -> bool:
    """Whether the request replaces Network Operator credentials: read from the body (6.21) or,
    for a critical 6.15.1 (whose CV 5 body is the signed pre-command), from the GBCS payload."""
    role = getattr(request.body, "remote_party_role", None)
    if role is not None:
        return str(role) == "NetworkOperator"
    precommand = precommand or SignedPrecommand(cs.signed_precommand)
    try:
        apdu = precommand.frame()
        if not isinstance(apdu, GeneralSigningApdu):
            return False
        payload = precommand.payload(apdu)
    except GbcsError:
        return False
    return any(int(r.target.role) == RemotePartyRole.NETWORK_OPERATOR for r in payload.replacements)


def rdp(
    registry: Registry,
    cs: countersigned.CountersignedRequest,
    request: Request,
    *,
    mp107: bool,
    at: datetime,
    precommand: SignedPrecommand | None = None,
) -> str | None:
    """Check 2, SRPD 16.1 (S1VE4). Returns the reason it was lifted, if it was."""
    role = UserRole(cs.user_role)
    targets_no = targets_network_operator(cs, request, precommand)
    if (
        mp107
        and role in _NETWORK_ROLES
        and targets_no
        and request.header.service_reference_variant == "6.15.1"
    ):
        return (
            "SRPD 6.2(d) at the S1SP: 6.15.1 from a Network Operator for the NO credentials (MP107)"
        )
    originator = request.header.request_id.originator
    if not registry.eligible(originator, cs.device_id, role, at):
        raise Refused(
            "S1VE4",
            "SRPD 16.1",
            f"{originator} is not the registered {role} for device {cs.device_id}",
        )
    return None


def owner(
    store: SlotStore, cs: countersigned.CountersignedRequest, request: Request, slot: SlotRole
) -> None:
    """Check 3, S1SR 4.2 (S1VE64): the sender owns the certificate in its role's slot."""
    held = store.slot(cs.device_id, slot, SlotKind.CRITICAL)
    originator = request.header.request_id.originator
    if held is None or held.owner != originator:
        holder = held.owner if held else "nobody"
        raise Refused(
            "S1VE64",
            "S1SR 4.2",
            f"the {slot.value} slot of {cs.device_id} holds {holder}'s certificate, "
            f"not {originator}'s",
        )


def authorisation(
    store: SlotStore,
    cs: countersigned.CountersignedRequest,
    slot: SlotRole,
    precommand: SignedPrecommand | None = None,
) -> GeneralSigningApdu:
    """Check 4 (S1VE2): the sender's GBCS signature over the pre-command verifies with the
    Notified Critical certificate of its role."""
    held = store.slot(cs.device_id, slot, SlotKind.CRITICAL)
    precommand = precommand or SignedPrecommand(cs.signed_precommand)
    try:
        apdu = precommand.frame()
    except GbcsError as exc:
        raise Refused("S1VE2", "S1SP check 4", f"signed pre-command: {exc.message}") from None
    if (
        not isinstance(apdu, GeneralSigningApdu)
        or held is None
        or not verify_signature(apdu, held.certificate.public_key())
    ):
        raise Refused(
            "S1VE2",
            "S1SP check 4",
            "the pre-command's signature does not verify with the notified critical certificate",
        )
    return apdu


def counter(
    store: SlotStore, cs: countersigned.CountersignedRequest, slot: SlotRole, value: int
) -> None:
    """Check 5 (S1VE3): the originator counter is above the execution counter floor — and above
    the counter of any of the role's instructions still awaiting the device."""
    floor = max(store.floor(cs.device_id, slot), store.pending_counter(cs.device_id, slot))
    if value <= floor:
        raise Refused("S1VE3", "S1SP check 5", f"counter {value} is not above the floor {floor}")
