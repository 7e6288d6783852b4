"""The DCC Boxed DUIS web service in front of the emulated DSP, over real HTTP on 127.0.0.1.

A User posts signed DUIS requests to ``/api/v1/service{S,T,D}`` and gets the DSP's synchronous
answer as the HTTP response; everything later arrives at its Receive Response Service URL — here
a small aiohttp receiver. The DSP and the devices are the ``boxed`` estate's, on the Harness's
in-memory bus, with the ZAZ1 keys and the real DUIS template
``CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML``.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.messages import (
    GbcsPayload,
    PreCommand,
    Request,
    RequestBody,
    RequestHeader,
    RequestId,
    Response,
    ResponseHeader,
    ResponseMessage,
    SignedPreCommand,
    UpdateSecurityCredentialsKRP,
    parse_message,
    parse_request,
    to_element,
)
from s1harness.duis.signature import sign
from s1harness.duis.verifying import verify_message
from s1harness.estate.presets import BOXED_ESME, NETWORK_OPERATOR
from s1harness.gbcs.crypto import sign_precommand, verify_signature
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.gbcs.payloads import decode_update_security_credentials_response
from s1harness.roles.smets2 import cells as c
from s1harness.roles.smets2.rejection import RejectionReason
from s1harness.services.duis_delivery import RetryPolicy
from s1harness.services.duis_http import MAX_BODY, DuisEndpoint
from s1harness.services.inmemory import InMemoryBus
from s1harness.smki import Keystore, KeystoreEntry, SmkiCertificate, parse_certificate
from s1harness.smki.keys import PrivateKey
from s1harness.spec import checks
from s1harness.spec.bus import Envelope, Kind, dsp_requests, user_inbox
from s1harness.suite.audit import DuisAudit
from s1harness.testing import Harness, is_final

pytestmark = pytest.mark.vectors
NO_BY_NO = "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML"
WAIT = 5.0
FAST = RetryPolicy(attempts=3, first_backoff=0.01, max_backoff=0.05)


# -- the parties' side: a User's receive URL, its keys, its requests --------------------------


class Receiver:
    """A User's Receive Response Service: answers each POST with the next scripted status
    (then 204, as the DCC Boxed Node-RED receiver does) and keeps what it took."""

    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self.statuses = deque(statuses)
        self.posts: list[tuple[str, int, bytes]] = []
        """(content type, status answered, body) for every POST, in order."""
        self._taken: asyncio.Queue[bytes] = asyncio.Queue()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.statuses.popleft() if self.statuses else 204
        self.posts.append((request.content_type, status, body))
        if status < 300:
            self._taken.put_nowait(body)
        return web.Response(status=status)

    async def response(self, wanted: Callable[[Response], bool]) -> Response:
        """The next message taken that ``wanted`` accepts (earlier ones are passed over)."""
        async with asyncio.timeout(WAIT):
            while True:
                message = parse_message(xml.parse(await self._taken.get()))
                assert isinstance(message, Response)
                if wanted(message):
                    return message

    def taken(self) -> list[Response]:
        out = []
        for _, status, body in self.posts:
            message = parse_message(xml.parse(body))
            if status < 300 and isinstance(message, Response):
                out.append(message)
        return out


@asynccontextmanager
async def receiving(statuses: Iterable[int] = ()) -> AsyncIterator[Receiver]:
    receiver = Receiver(statuses)
    app = web.Application()
    app.router.add_post("/duis/receive", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    receiver.url = f"http://{host}:{port}/duis/receive"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@asynccontextmanager
async def _boxed_service() -> AsyncIterator[tuple[Harness, Receiver, DuisEndpoint]]:
    """The boxed estate, its DUIS web service, and the Network Operator's receive URL."""
    async with (
        Harness.start("boxed") as h,
        receiving() as receiver,
        DuisEndpoint(
            h.bus, dsp=h.dsp_trust(), receive_urls={NETWORK_OPERATOR: receiver.url}
        ) as endpoint,
    ):
        yield h, receiver, endpoint


@pytest.fixture(scope="module")
def zaz1(vectors: Path) -> Keystore:
    return Keystore.load(vectors / "smki" / "zaz1-keystore.json")


def _named(keystore: Keystore, name: str) -> KeystoreEntry:
    return next(e for e in keystore if e.name == name)


@pytest.fixture
def xml_signer(zaz1: Keystore) -> KeystoreEntry:
    """The ZAZ1 XML-signing key of the network operator 90B3D51F30020000."""
    return _named(zaz1, "xml-sign-90B3D51F30020000-ds")


def _key(entry: KeystoreEntry) -> PrivateKey:
    assert entry.private_key is not None
    return entry.private_key


def _template(vectors: Path) -> etree._Element:
    return xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())


def _signed(request: etree._Element | Request, signer: KeystoreEntry) -> bytes:
    root = to_element(request) if isinstance(request, Request) else request
    return xml.serialise(sign(root, _key(signer), signer.certificate))


def _cv5(request_id: RequestId, precommand: GeneralSigningApdu, ds_key: PrivateKey) -> Request:
    """DUIS §1.3 step 3: the same RequestID, CV 5, the GBCS-signed pre-command."""
    signed = sign_precommand(precommand, ds_key).raw
    return Request(RequestHeader(request_id, 5, "6.15", "6.15.1"), SignedPreCommand(signed))


# -- the HTTP side ----------------------------------------------------------------------------


async def _post(
    endpoint: DuisEndpoint,
    path: str,
    body: bytes,
    content_type: str = "application/xml",
) -> tuple[int, str, bytes]:
    """POST with a real client: (status, content type, body)."""
    data = io.BytesIO(body) if len(body) > 2**20 else body  # aiohttp's advice for big bodies
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{endpoint.url}{path}", data=data, headers={"Content-Type": content_type}
        ) as r,
    ):
        return r.status, r.content_type, await r.read()


async def _ask(h: Harness, endpoint: DuisEndpoint, service: str, body: bytes) -> Response:
    """POST to ``/api/v1/service<service>``: the DSP's answer, XSD-valid and DSP-signed."""
    status, content_type, answer = await _post(endpoint, f"/api/v1/service{service}", body)
    assert (status, content_type) == (200, "application/xml"), answer
    return _from_dsp(h, answer)


def _from_dsp(h: Harness, payload: bytes) -> Response:
    assert DuisAudit.problem(payload) is None
    root = xml.parse(payload)
    dsp = Keystore([KeystoreEntry(h.system.dsp.credentials.xml_certificate)])
    verification = verify_message(root, dsp, at=h.clock())
    assert verification.valid, verification.reason
    message = parse_message(root)
    assert isinstance(message, Response)
    return message


def _precommand(response: Response) -> GeneralSigningApdu:
    assert response.header.response_code == "I0"
    assert isinstance(response.body, ResponseMessage)
    assert isinstance(response.body.content, PreCommand)
    apdu = decode(response.body.content.payload)
    assert isinstance(apdu, GeneralSigningApdu)
    return apdu


def _device_response(response: Response, device: SmkiCertificate) -> None:
    """The device's CS02b response: signed with the device's own DS key, every cell replaced."""
    assert response.header.response_code == "I0"
    assert isinstance(response.body, ResponseMessage)
    assert isinstance(response.body.content, GbcsPayload)
    apdu = decode(response.body.content.payload)
    assert isinstance(apdu, GeneralSigningApdu)
    assert verify_signature(apdu, device.public_key())
    payload = decode_update_security_credentials_response(apdu.content)
    assert payload.outcome is not None
    assert [int(o.status) for o in payload.outcome.replacement_outcomes] == [0, 0]


async def _critical(
    h: Harness,
    endpoint: DuisEndpoint,
    request_id: RequestId,
    body: RequestBody,
    xml_signer: KeystoreEntry,
    ds_key: PrivateKey,
) -> None:
    """CV 4 to Transform → I0 with the pre-command; CV 5 to Send Command → I99."""
    header = RequestHeader(request_id, 4, "6.15", "6.15.1")
    i0 = await _ask(h, endpoint, "T", _signed(Request(header, body), xml_signer))
    assert i0.header.request_id == request_id
    cv5 = _signed(_cv5(request_id, _precommand(i0), ds_key), xml_signer)
    i99 = await _ask(h, endpoint, "S", cv5)
    assert (i99.header.response_code, i99.header.request_id) == ("I99", request_id)


def _outcome_of(request_id: RequestId) -> Callable[[Response], bool]:
    return lambda r: r.header.request_id == request_id


# -- the tests --------------------------------------------------------------------------------


async def test_the_boxed_no_by_no_flow_end_to_end_over_http(
    vectors: Path, zaz1: Keystore, xml_signer: KeystoreEntry
) -> None:
    old, new = _named(zaz1, "Z1-networkOperator-ds"), _named(zaz1, "Z1b-networkOperator-ds")
    template = _template(vectors)
    request = parse_request(template)
    assert isinstance(request.body, UpdateSecurityCredentialsKRP)
    placed = request.body.replacement_certificates
    assert placed.digital_signing is not None
    replacement = parse_certificate(placed.digital_signing)
    request_id = request.header.request_id
    async with _boxed_service() as (h, receiver, endpoint):
        assert endpoint.url.startswith("http://127.0.0.1:") and not endpoint.url.endswith(":0")
        device = h.system.smets2[BOXED_ESME]
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == old.certificate

        # The template as published, signed with the NO's ZAZ1 XML key, CV 4 to Transform.
        i0 = await _ask(h, endpoint, "T", _signed(template, xml_signer))
        assert i0.header.request_id == request_id
        cv5 = _signed(_cv5(request_id, _precommand(i0), _key(old)), xml_signer)
        i99 = await _ask(h, endpoint, "S", cv5)
        assert i99.header.response_code == "I99"

        # The device's response comes to the receive URL, relayed as the device signed it.
        outcome = await receiver.response(_outcome_of(request_id))
        assert outcome.header.response_id == request_id.swapped()
        _device_response(outcome, device.ds_certificate)
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == replacement

        # The old key no longer authorises: the device refuses, and in the end the DSP says E21.
        body = h.bodies.update_credentials(NETWORK_OPERATOR)
        refused = RequestId(NETWORK_OPERATOR, BOXED_ESME, 1201)
        await _critical(h, endpoint, refused, body, xml_signer, _key(old))
        await h.settle()
        assert device.last_rejection is not None
        assert device.last_rejection.reason is RejectionReason.SIGNATURE_FAILURE
        await h.advance(timedelta(seconds=61))
        e21 = await receiver.response(_outcome_of(refused))
        assert e21.header.response_code == "E21"
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == replacement

        # The replacement's key (Z1b) does.
        accepted = RequestId(NETWORK_OPERATOR, BOXED_ESME, 1202)
        await _critical(h, endpoint, accepted, body, xml_signer, _key(new))
        _device_response(await receiver.response(_outcome_of(accepted)), device.ds_certificate)
        assert h.cells(BOXED_ESME).certificate(c.NETWORK_OPERATOR_DS) == old.certificate

        # Synchronous answers went back over HTTP only; everything else, DSP-signed and
        # XSD-valid, went to the receiver.
        for content_type, _, payload in receiver.posts:
            message = _from_dsp(h, payload)
            assert content_type == "application/xml"
            assert message.header.response_code != "I99"
            content = message.body.content if isinstance(message.body, ResponseMessage) else None
            assert not isinstance(content, PreCommand)
        await endpoint.delivery.drain(WAIT)
        assert endpoint.received["serviceT"] == endpoint.received["serviceS"] == 3
        assert endpoint.received["answered"] == endpoint.received["http 200"] == 6
        assert endpoint.received["delivered"] == len(receiver.taken()) >= 3


async def test_a_request_on_the_wrong_url_is_e13_and_changes_nothing(
    vectors: Path, zaz1: Keystore, xml_signer: KeystoreEntry
) -> None:
    """CV 4 belongs to Transform and CV 5 to Send Command (DUIS §1.3); posted elsewhere, the DSP
    answers E13, signed, and the same request then succeeds on its own URL."""
    template = _template(vectors)
    request_id = parse_request(template).header.request_id
    cv4 = _signed(template, xml_signer)
    async with _boxed_service() as (h, receiver, endpoint):

        async def e13(service: str, request: bytes, variant: int) -> None:
            before = h.snapshot()
            answer = await _ask(h, endpoint, service, request)
            assert (answer.header.response_code, answer.header.request_id) == ("E13", request_id)
            decision = h.system.dsp.decisions[-1]
            assert (decision.check, decision.outcome) == (checks.WEB_SERVICE, "rejected")
            assert f"command variant {variant} was posted" in decision.detail
            assert h.snapshot() == before

        await e13("S", cv4, 4)
        await e13("D", cv4, 4)
        i0 = await _ask(h, endpoint, "T", cv4)
        old = _key(_named(zaz1, "Z1-networkOperator-ds"))
        cv5 = _signed(_cv5(request_id, _precommand(i0), old), xml_signer)
        await e13("T", cv5, 5)
        await e13("D", cv5, 5)
        assert receiver.posts == []
        assert (await _ask(h, endpoint, "S", cv5)).header.response_code == "I99"
        await receiver.response(_outcome_of(request_id))


async def test_a_changed_byte_after_signing_is_refused_for_its_signature(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    signed = _signed(_template(vectors), xml_signer)
    tampered = signed.replace(
        b"<sr:RemotePartyFloorSeqNumber>0<", b"<sr:RemotePartyFloorSeqNumber>1<"
    )
    assert tampered != signed and len(tampered) == len(signed)
    async with Harness.start("boxed") as h, DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint:
        before = h.snapshot()
        for service in ("T", "S"):  # the signature check comes before the URL check
            refusal = await _ask(h, endpoint, service, tampered)
            assert refusal.header.response_code == "E41"
            decision = h.system.dsp.decisions[-1]
            assert (decision.check, decision.outcome) == (checks.DUIS_SIGNATURE, "rejected")
        assert h.snapshot() == before
        assert (await _ask(h, endpoint, "T", signed)).header.response_code == "I0"


async def test_a_broken_body_with_a_readable_request_id_is_answered_by_the_dsp(
    vectors: Path, duis_audit: DuisAudit
) -> None:
    """Not XML, but the DSP can address a reply: its schema-failure code, DSP-signed."""
    raw = (vectors / "duis" / "requests" / NO_BY_NO).read_bytes()
    truncated = raw[: raw.index(b"</sr:Header>") + 40]
    async with Harness.start("boxed") as h, DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint:
        with duis_audit.exempt():  # the request is broken on purpose
            answer = await _ask(h, endpoint, "T", truncated)
        assert answer.header.response_code == "E40"
        assert str(answer.header.request_id) == str(
            parse_request(_template(vectors)).header.request_id
        )
        assert [e.kind for e in h.bus.published] == [Kind.DUIS_REQUEST, Kind.DUIS_RESPONSE]


def _with_request_id(vectors: Path) -> bytes:
    return (vectors / "duis" / "requests" / NO_BY_NO).read_bytes()


@pytest.mark.parametrize(
    ("path", "content_type", "body", "status"),
    [
        ("/api/v1/serviceT", "text/plain", "template", 415),
        ("/api/v1/serviceT", "application/octet-stream", "template", 415),
        ("/api/v1/serviceX", "application/xml", "template", 404),
        ("/api/v2/serviceT", "application/xml", "template", 404),
        ("/api/v1/serviceT", "application/xml", "oversized", 413),
        ("/api/v1/serviceS", "application/xml", "chunked", 413),
        ("/api/v1/serviceT", "application/xml", "not xml at all", 400),
        ("/api/v1/serviceT", "application/xml", "", 400),
        ("/api/v1/serviceD", "application/xml", "<Request><Header/></Request>", 400),
        (
            "/api/v1/serviceT",
            "application/xml",
            "<a><Header><RequestID>1:2:3</RequestID></Header></a>",
            400,
        ),
    ],
)
async def test_bad_http_input_is_an_http_error_and_touches_no_bus(
    vectors: Path, path: str, content_type: str, body: str, status: int
) -> None:
    template = _with_request_id(vectors)
    if body == "template":
        data = template
    elif body == "oversized":
        data = template + b" " * (MAX_BODY + 1 - len(template))
    else:
        data = body.encode()
    async with Harness.start("boxed") as h, DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint:
        if body == "chunked":  # no Content-Length: the limit holds while reading
            async with aiohttp.ClientSession() as client:

                async def chunks() -> AsyncIterator[bytes]:
                    yield template
                    for _ in range(MAX_BODY // 65536 + 1):
                        yield b" " * 65536

                async with client.post(
                    f"{endpoint.url}{path}", data=chunks(), headers={"Content-Type": content_type}
                ) as r:
                    answered, text = r.status, await r.text()
        else:
            answered, _, raw = await _post(endpoint, path, data, content_type)
            text = raw.decode()
        assert answered == status, text
        assert text and "\n" not in text.strip() and "Traceback" not in text
        assert h.bus.published == []
        assert endpoint.received[f"http {status}"] == 1
        assert endpoint.received["published"] == 0


@pytest.mark.mqtt
async def test_a_body_at_the_limit_is_read_and_reaches_the_dsp_over_mqtt(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    """The one limit holds end to end: a request padded to exactly the limit is read, fits the
    bus once wrapped in its envelope (base64), and is transformed (whitespace after the root
    element is outside the signed document); one octet more is 413 before the bus."""
    signed = _signed(_template(vectors), xml_signer)
    padded = signed + b" " * (MAX_BODY - len(signed))
    assert len(padded) == MAX_BODY
    async with (
        Harness.start("boxed", bus="mqtt", timeout=30) as h,
        DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint,
    ):
        answer = await _ask(h, endpoint, "T", padded)
        assert answer.header.response_code == "I0"
        assert endpoint.received["published"] == 1


async def test_no_answer_from_the_dsp_is_504_and_the_late_answer_is_not_lost(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    """A DSP that does not answer (here: none listens on the endpoint's bus) is 504; its answer,
    when it comes, goes to the receive URL."""
    signed = _signed(_template(vectors), xml_signer)
    silent = InMemoryBus()
    async with (
        Harness.start("boxed") as h,
        receiving() as receiver,
        DuisEndpoint(
            silent,
            receive_urls={NETWORK_OPERATOR: receiver.url},
            timeout=0.2,
            dsp=h.dsp_trust(),
        ) as endpoint,
    ):
        status, content_type, text = await _post(endpoint, "/api/v1/serviceT", signed)
        assert (status, content_type) == (504, "text/plain")
        assert b"did not answer" in text and b"\n" not in text.strip()
        assert h.bus.published == []
        (request,) = silent.published
        assert (request.kind, request.header("service")) == (Kind.DUIS_REQUEST, "T")
        assert request.payload == signed
        (late,) = h.system.dsp.handle(request)  # the DSP answers, too late for the HTTP request
        await silent.publish(late)
        delivered = await receiver.response(lambda r: True)
        assert delivered.header.response_code == "I0"
        assert receiver.posts[0][2] == late.payload
        await endpoint.delivery.drain(WAIT)
        assert endpoint.received["http 504"] == endpoint.received["delivered"] == 1


async def _run_the_template(
    h: Harness, endpoint: DuisEndpoint, vectors: Path, zaz1: Keystore, signer: KeystoreEntry
) -> RequestId:
    template = _template(vectors)
    request_id = parse_request(template).header.request_id
    i0 = await _ask(h, endpoint, "T", _signed(template, signer))
    old = _key(_named(zaz1, "Z1-networkOperator-ds"))
    await _ask(h, endpoint, "S", _signed(_cv5(request_id, _precommand(i0), old), signer))
    return request_id


async def test_a_receiver_failing_twice_gets_the_message_once(
    vectors: Path, zaz1: Keystore, xml_signer: KeystoreEntry
) -> None:
    async with (
        Harness.start("boxed") as h,
        receiving([503, 503]) as receiver,
        DuisEndpoint(
            h.bus, dsp=h.dsp_trust(), receive_urls={NETWORK_OPERATOR: receiver.url}, retry=FAST
        ) as endpoint,
    ):
        request_id = await _run_the_template(h, endpoint, vectors, zaz1, xml_signer)
        outcome = await receiver.response(_outcome_of(request_id))
        _device_response(outcome, h.system.smets2[BOXED_ESME].ds_certificate)
        first = receiver.posts[0][2]
        assert [(s, b == first) for _, s, b in receiver.posts[:3]] == [(503, True)] * 2 + [
            (204, True)
        ]
        assert [b for _, s, b in receiver.posts if s < 300].count(first) == 1
        assert endpoint.received["retries"] == 2
        assert endpoint.received["undeliverable"] == 0


@pytest.mark.parametrize(
    ("statuses", "reason", "posts"),
    [
        ([400], "the receiver answered HTTP 400", 1),  # refused: trying again cannot help
        ([500, 502, 503], "the receiver answered HTTP 503 after 3 attempt(s)", 3),
    ],
)
async def test_what_cannot_be_delivered_is_kept_and_logged_once(
    vectors: Path,
    zaz1: Keystore,
    xml_signer: KeystoreEntry,
    caplog: pytest.LogCaptureFixture,
    statuses: list[int],
    reason: str,
    posts: int,
) -> None:
    caplog.set_level(logging.INFO, logger="s1harness.duis_http")
    async with (
        Harness.start("boxed") as h,
        receiving(statuses) as receiver,
        DuisEndpoint(
            h.bus, dsp=h.dsp_trust(), receive_urls={NETWORK_OPERATOR: receiver.url}, retry=FAST
        ) as endpoint,
    ):
        request_id = await _run_the_template(h, endpoint, vectors, zaz1, xml_signer)
        await receiver.response(lambda r: True)  # the next message gets through
        given_up = endpoint.delivery.undeliverable
        assert [(u.user, u.reason) for u in given_up] == [(NETWORK_OPERATOR, reason)]
        assert given_up[0].envelope.correlation_id == str(request_id)
        assert len([p for p in receiver.posts if p[2] == given_up[0].envelope.payload]) == posts
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and reason in errors[0].getMessage()


async def test_messages_for_a_user_without_a_receive_url_are_held_and_counted(
    vectors: Path, zaz1: Keystore, xml_signer: KeystoreEntry, caplog: pytest.LogCaptureFixture
) -> None:
    async with Harness.start("boxed") as h, DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint:
        request_id = await _run_the_template(h, endpoint, vectors, zaz1, xml_signer)
        await h.wait(
            lambda: next(
                (
                    r
                    for r in h.inbox(NETWORK_OPERATOR)
                    if _outcome_of(request_id)(r) and is_final(r)
                ),
                None,
            ),
            "the device's response",
        )
        await h.settle()
        held = endpoint.delivery.held[NETWORK_OPERATOR]
        assert str(request_id) in [e.correlation_id for e in held]
        assert endpoint.received["held"] == len(held) == endpoint.received["inbox"]
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "s1harness.duis_http"
    ]
    assert warnings == [f"no receive URL for {NETWORK_OPERATOR}: its messages are held"]


async def test_an_asynchronous_response_is_never_taken_for_the_synchronous_answer(
    vectors: Path, zaz1: Keystore, xml_signer: KeystoreEntry
) -> None:
    """A device response to RequestID X (it carries a ResponseID, DUIS §3.1) arriving while a
    repost of X waits for its answer goes to the receive URL; the answer is the DSP's reply."""
    template = _template(vectors)
    key = str(parse_request(template).header.request_id)
    async with Harness.start("boxed") as h, receiving() as receiver:
        cv4 = Envelope(dsp_requests(), Kind.DUIS_REQUEST, _signed(template, xml_signer), key)
        await h.publish(cv4)
        old = _key(_named(zaz1, "Z1-networkOperator-ds"))
        i0 = await h.wait(lambda: next(iter(h.inbox(NETWORK_OPERATOR)), None), "the I0")
        cv5 = _signed(_cv5(RequestId.parse(key), _precommand(i0), old), xml_signer)
        await h.publish(Envelope(dsp_requests(), Kind.DUIS_REQUEST, cv5, key))
        await h.settle()
        await h.publish(Envelope(dsp_requests(), Kind.DUIS_REQUEST, cv5, key))  # a replay
        await h.settle()
        replies = [
            e for e in h.bus.published if e.kind is Kind.DUIS_RESPONSE and e.correlation_id == key
        ]
        headers = [_from_dsp(h, e.payload).header for e in replies]
        pairs = zip(replies, headers, strict=True)
        device_response = next(e for e, header in pairs if header.response_id is not None)
        replay_refused = replies[-1]
        assert headers[-1].response_code == "E42" and headers[-1].response_id is None

        silent = InMemoryBus()
        requests = silent.subscribe(dsp_requests())
        urls = {NETWORK_OPERATOR: receiver.url}
        async with DuisEndpoint(silent, receive_urls=urls, dsp=h.dsp_trust()) as endpoint:
            posted = asyncio.create_task(_post(endpoint, "/api/v1/serviceS", cv5))
            assert (await requests.get(WAIT)).correlation_id == key
            await silent.publish(device_response)
            await silent.publish(replay_refused)
            status, _, answer = await posted
            assert (status, answer) == (200, replay_refused.payload)
            await receiver.response(lambda r: r.header.response_id is not None)
            assert [p[2] for p in receiver.posts] == [device_response.payload]


async def test_only_what_the_dsp_signed_reaches_a_receive_url(
    xml_signer: KeystoreEntry, duis_audit: DuisAudit
) -> None:
    """Anything else on a User's inbox topic — not XML, or DUIS signed by a User rather than the
    DSP — is dropped and counted, never POSTed to the User."""
    async with _boxed_service() as (h, receiver, endpoint):
        inbox = user_inbox(NETWORK_OPERATOR)
        answer = Response(ResponseHeader("I0", h.clock()), ResponseMessage("6.15", "6.15.1"))
        key = xml_signer.private_key
        assert key is not None
        forged = sign(to_element(answer), key, xml_signer.certificate)  # a User's, not the DSP's
        with duis_audit.exempt():  # not XML, on purpose
            garbage = Envelope(inbox, Kind.DUIS_RESPONSE, b"not xml at all", "forged-1")
            await h.publish(garbage)
            await h.settle()
        await h.publish(Envelope(inbox, Kind.DUIS_RESPONSE, xml.serialise(forged), "forged-2"))
        await h.settle()
        await asyncio.sleep(0.2)
        assert receiver.posts == []
        assert endpoint.received["refused"] == 2


async def test_a_body_that_is_not_its_content_encoding_is_400(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    signed = _signed(_template(vectors), xml_signer)
    async with Harness.start("boxed") as h, DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint:
        headers = {"Content-Type": "application/xml", "Content-Encoding": "gzip"}
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{endpoint.url}/api/v1/serviceT", data=signed, headers=headers) as r,
        ):
            text = await r.text()
        assert r.status == 400, text
        assert "Content-Encoding gzip" in text
        assert endpoint.received["published"] == 0


async def test_a_document_in_another_encoding_is_refused_e40_not_parsed() -> None:
    """A DOCTYPE in UTF-16 does not step round the byte-level refusal: E40, answered."""
    body = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]>'
        '<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">'
        "<sr:Header><sr:RequestID>90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1"
        "</sr:RequestID></sr:Header></sr:Request>"
    ).encode("utf-16")
    async with Harness.start("boxed") as h, DuisEndpoint(h.bus, dsp=h.dsp_trust()) as endpoint:
        status, _, answer = await _post(endpoint, "/api/v1/serviceT", body)
    assert status == 400, answer  # no RequestID can be read from it: refused at the door
    assert b"UTF-8" in answer


# -- clients that hold connections ------------------------------------------------------------

_PARTIAL_HEADERS = b"POST /api/v1/serviceT HTTP/1.1\r\nHost: 127.0.0.1\r\n"


async def _closed_by_the_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (bounded: 60 s)."""
    async with asyncio.timeout(60):
        return await reader.read()


async def test_a_client_that_never_finishes_its_headers_is_cut_off_and_others_served(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    signed = _signed(_template(vectors), xml_signer)
    async with (
        Harness.start("boxed") as h,
        DuisEndpoint(h.bus, dsp=h.dsp_trust(), header_timeout=0.5) as endpoint,
    ):
        host, port = endpoint.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(_PARTIAL_HEADERS)  # … and never the blank line
        await writer.drain()
        assert await _closed_by_the_server(reader) == b""
        writer.close()
        status, _, _ = await _post(endpoint, "/api/v1/serviceT", signed)
        assert status == 200
        assert endpoint.received["published"] == 1


async def test_a_body_that_never_arrives_is_408_and_reaches_no_bus(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    async with (
        Harness.start("boxed") as h,
        DuisEndpoint(h.bus, dsp=h.dsp_trust(), body_timeout=0.5, header_timeout=0.5) as endpoint,
    ):
        host, port = endpoint.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            _PARTIAL_HEADERS + b"Content-Type: application/xml\r\nContent-Length: 1000\r\n"
            b"Connection: close\r\n\r\n<sr:Request"
        )
        await writer.drain()
        answer = await _closed_by_the_server(reader)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
        assert h.bus.published == []
        assert endpoint.received["http 408"] == 1


async def test_connections_over_the_cap_are_turned_away_and_the_endpoint_recovers(
    vectors: Path, xml_signer: KeystoreEntry
) -> None:
    signed = _signed(_template(vectors), xml_signer)
    async with (
        Harness.start("boxed") as h,
        DuisEndpoint(h.bus, dsp=h.dsp_trust(), max_connections=5, header_timeout=300) as endpoint,
    ):
        host, port = endpoint.url.removeprefix("http://").split(":")
        # twenty at once: accepted in the same loop step, they must still be counted one by one
        opened = await asyncio.gather(
            *(asyncio.open_connection(host, int(port)) for _ in range(20))
        )
        reads = {asyncio.ensure_future(reader.read()): writer for reader, writer in opened}
        answered: set[asyncio.Future[bytes]] = set()
        async with asyncio.timeout(60):
            while len(answered) < 15:
                done, _ = await asyncio.wait(set(reads) - answered, timeout=0.2)
                answered |= done
        await asyncio.sleep(0.2)  # a sixteenth would be wrong: give it the chance to show
        answered = {read for read in reads if read.done()}
        assert len(answered) == 15
        assert all(read.result().startswith(b"HTTP/1.1 503") for read in answered)
        assert endpoint.received["busy"] == 15
        for read, writer in reads.items():
            read.cancel()  # the five still open and idle: let them go
            writer.close()
            await writer.wait_closed()
        async with asyncio.timeout(60):  # the server sees them go
            while True:
                status, _, _ = await _post(endpoint, "/api/v1/serviceT", signed)
                if status == 200:
                    break
                await asyncio.sleep(0.05)
        assert endpoint.received["published"] == 1
