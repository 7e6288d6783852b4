"""A DCC User (Supplier, Network Operator, Other User) as a sans-IO client of the DSP.

It builds DUIS requests and signs them with its XML-signing key (role 135); runs the critical
flow of DUIS §1.3 — CV 4 to the DSP's transform, ``I0`` with a ``PreCommand``, the GBCS
signature with its Digital Signing key, then CV 5 with the ``SignedPreCommand`` under the same
RequestID — without being asked; and keeps every reply, device response and alert it receives,
correlated by RequestID.

The RequestID counter comes from an injected source, so runs are reproducible; it only ever
increases, as the DSP's replay check requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import (
    DCCAlertMessage,
    PreCommand,
    Request,
    RequestBody,
    RequestHeader,
    RequestId,
    Response,
    ResponseMessage,
    S1SPAlertDSP,
    SignedPreCommand,
    parse_message,
    to_element,
)
from s1harness.duis.signature import sign, verify
from s1harness.duis.srv import require
from s1harness.gbcs.crypto import sign_precommand
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.smki.certificate import SmkiCertificate
from s1harness.smki.keys import PrivateKey
from s1harness.smki.keystore import Keystore
from s1harness.spec import codes
from s1harness.spec.bus import Envelope, Kind, dsp_requests
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

CRITICAL_TRANSFORM = 4
CRITICAL_SEND = 5


@dataclass
class Exchange:
    """Everything about one RequestID: what was sent and what came back, in order."""

    request_id: RequestId
    srv: str
    sent: list[bytes] = field(default_factory=list)
    received: list[Response] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The response codes received, in order (``["I0", "I99", "I0"]``)."""
        return [r.header.response_code for r in self.received]


class DccUser:
    """A DCC User with its XML-signing and GBCS Digital Signing credentials.

    Args:
        user_id: The User ID (EUI-64), the originator of every RequestID.
        xml_key / xml_certificate: The XML-signing credentials (role 135).
        ds_key: The Digital Signing key that signs pre-commands (the certificate in the
            device's anchor cell or the S1SP's Notified Critical slot must match it).
        counters: RequestID counters, strictly increasing.
        dsp: The keystore holding the DSP's XML-signing certificate and the DCC's EUI: every
            message received is then checked to be signed by the DSP (role 137) first.
    """

    def __init__(
        self,
        user_id: Eui64 | str,
        *,
        xml_key: PrivateKey,
        xml_certificate: SmkiCertificate,
        ds_key: PrivateKey | None,
        counters: Iterator[int] | None = None,
        dsp: tuple[Keystore, Eui64] | None = None,
    ) -> None:
        self.user_id = Eui64(user_id)
        self._xml_key, self._xml_certificate, self._ds_key = xml_key, xml_certificate, ds_key
        self._counters = counters or count(1000)
        self._dsp = dsp
        self.exchanges: dict[str, Exchange] = {}
        self.unsolicited: list[Response] = []
        """Alerts and responses that no RequestID of this user explains."""
        self.refused: list[tuple[Envelope, str]] = []
        """Messages whose DSP signature did not verify, with why (never acted on)."""

    @property
    def signing_key(self) -> PrivateKey | None:
        """The Digital Signing key pre-commands are signed with now."""
        return self._ds_key

    def use_signing_key(self, ds_key: PrivateKey | None) -> None:
        """Sign pre-commands with ``ds_key`` from now on (after the User's Digital Signing
        certificate was replaced on the devices, e.g. by its own 6.15.1)."""
        self._ds_key = ds_key

    def request(
        self,
        device: Eui64 | str,
        srv: str,
        body: RequestBody,
        *,
        command_variant: int | None = None,
    ) -> Envelope:
        """Build, sign and address a request; critical SRVs start with CV 4."""
        entry = require(srv)
        variant = command_variant or (
            CRITICAL_TRANSFORM if entry.critical else min(entry.command_variants)
        )
        request_id = self.next_request_id(device)
        header = RequestHeader(request_id, variant, entry.service_reference, entry.variant)
        self.exchanges[str(request_id)] = Exchange(request_id, srv)
        return self._send(Request(header, body))

    def next_request_id(self, device: Eui64 | str) -> RequestId:
        """A fresh RequestID of this User for ``device`` (its counter taken)."""
        return RequestId(self.user_id, Eui64(device), next(self._counters))

    def _send(self, request: Request) -> Envelope:
        signed = xml.serialise(sign(to_element(request), self._xml_key, self._xml_certificate))
        request_id = str(request.header.request_id)
        self.exchanges[request_id].sent.append(signed)
        return Envelope(dsp_requests(), Kind.DUIS_REQUEST, signed, request_id)

    def receive(self, envelope: Envelope) -> list[Envelope]:
        """Take a DSP message; returns the next request when one is due (CV 5). What is not a
        DUIS document is kept in :attr:`refused`, never acted on."""
        try:
            root = xml.parse(envelope.payload)
        except DuisParseError as exc:
            self.refused.append((envelope, exc.message))
            return []
        if self._dsp is not None:
            keystore, dcc = self._dsp
            checked = verify(
                root, keystore, expected_eui=dcc, expected_role=RemotePartyRole.DSP_XML_SIGN
            )
            if not checked.valid:
                self.refused.append((envelope, checked.reason or "DSP signature did not verify"))
                return []
        message = parse_message(root)
        if not isinstance(message, Response):
            return []
        request_id = message.header.request_id
        exchange = self.exchanges.get(str(request_id)) if request_id else None
        if exchange is None:
            self.unsolicited.append(message)
            return []
        exchange.received.append(message)
        return self._continue(exchange, message)

    def _continue(self, exchange: Exchange, response: Response) -> list[Envelope]:
        body = response.body
        if not (isinstance(body, ResponseMessage) and isinstance(body.content, PreCommand)):
            return []
        if self._ds_key is None or response.header.response_code != codes.I0.code:
            return []
        precommand = decode(body.content.payload)
        if not isinstance(precommand, GeneralSigningApdu):
            return []
        signed = sign_precommand(precommand, self._ds_key).raw
        entry = require(exchange.srv)
        header = RequestHeader(
            exchange.request_id, CRITICAL_SEND, entry.service_reference, entry.variant
        )
        return [self._send(Request(header, SignedPreCommand(signed)))]

    def exchange(self, request_id: str) -> Exchange:
        return self.exchanges[request_id]


def is_final(response: Response) -> bool:
    """Whether a message ends a request: not the I0 transform reply, not the I99 ack."""
    if response.header.response_code == codes.I99.code:
        return False
    body = response.body
    return not (isinstance(body, ResponseMessage) and isinstance(body.content, PreCommand))


def refusal(response: Response) -> str | None:
    """Why a request was refused: the DSP's error code (``E4``…) or the S1SP's alert code
    (``S1VE64``…); None for anything that is not a refusal."""
    if response.header.response_code.startswith("E"):
        return response.header.response_code
    body = response.body
    if isinstance(body, DCCAlertMessage) and isinstance(body.alert, S1SPAlertDSP):
        return body.alert.alert.alert_code
    return None
