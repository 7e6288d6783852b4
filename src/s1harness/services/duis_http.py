"""A DCC Boxed-compatible DUIS web service in front of the DSP, over any transport.

DCC Boxed takes a signed DUIS request as ``application/xml`` on one URL per web service,
chosen by the request's CommandVariant: ``/api/v1/serviceS`` Send Command
(CV 1, 3, 5, 7), ``/api/v1/serviceT`` Transform (CV 4), ``/api/v1/serviceD`` Non-Device (CV 2,
6, 8). The HTTP response is the DSP's synchronous answer — ``I0`` with a ``PreCommand`` for a
transform, ``I99`` for an accepted send, or an error code — and everything later (device
responses, SMETS1 responses, device and DCC alerts) is POSTed to the User's Receive Response
Service URL (§3.3, §6.1).

:class:`DuisEndpoint` puts each request on the bus as the DSP's ``duis-request`` with the
header ``service`` naming the URL (the DSP answers E13 when the CommandVariant belongs to
another URL), and returns the DSP's first answer to that RequestID from the User's inbox. What
it decides itself, without touching the bus: an unknown path is 404, a content type other than
``application/xml`` 415, a body over 4 MiB 413, a body in which no RequestID can be read 400
(nobody could be answered), and no answer from the DSP in time 504. A body that is not
well-formed XML or not valid DUIS, but has a readable RequestID, goes to the DSP, which answers
it with its schema-failure code in a DSP-signed response, as it would on the bus.

Against clients that hold connections rather than use them: a request's headers must arrive
within ``header_timeout`` seconds of the connection opening (or of the previous answer on it)
and its body within ``body_timeout`` (408), or the connection is closed; at most
``max_connections`` are open at once, and one over that is answered 503 and closed at once, so
a flood of idle sockets never takes the process's file descriptors from the bus.

Where the material is silent: DSP answers that are DUIS errors travel as HTTP 200 (the DCC
Boxed client reads the code from the document), and an answer that comes after a 504 is not
lost — it goes to the User's receive URL like any later message.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType, TracebackType

from aiohttp import web

from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import RequestId
from s1harness.duis.signature import verify
from s1harness.services.duis_delivery import ResponseDelivery, RetryPolicy, checked_urls
from s1harness.services.transport import Subscription, Transport
from s1harness.smki.keystore import Keystore
from s1harness.spec.bus import Envelope, Kind, dsp_requests, user_inbox
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole
from s1harness.spec.wire import MAX_MESSAGE

log = logging.getLogger("s1harness.duis_http")

WEB_SERVICES = {"/api/v1/serviceS": "S", "/api/v1/serviceT": "T", "/api/v1/serviceD": "D"}
"""DCC Boxed URL → the ``service`` header the DSP reads (its web-service check, E13)."""
MAX_BODY = min(xml.MAX_DOCUMENT_BYTES, (MAX_MESSAGE - 1024) // 4 * 3)
"""The largest request body taken (413 above it): a DUIS document, and one whose envelope — the
body in base64 with its JSON fields — still fits the bus (:data:`~s1harness.spec.wire.MAX_MESSAGE`),
so nothing the endpoint accepts is refused on its way to the DSP."""
"""4 MiB: the DUIS parser's own limit; the largest public template is about 30 KB."""
_HEADER_REQUEST_ID = "{*}Header/{*}RequestID"
_RAW_REQUEST_ID = re.compile(rb"<(?:[\w.-]+:)?RequestID>([^<]{1,200})</")
_RESPONSE_ID = re.compile(rb"<(?:[\w.-]+:)?ResponseID[\s>]")
_NO_DEFAULT_URLS: Mapping[Eui64, str] = MappingProxyType({})
HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send a request's headers (then it is closed)."""
BODY_TIMEOUT = 30.0
"""Seconds a request may take to send its body once its headers are in (then 408)."""
MAX_CONNECTIONS = 256
"""Connections open at once; well under the usual 1,024 descriptors a process may hold."""
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted open from the moment it is accepted
    until it is lost (aiohttp's own list of connections lags a loop step behind, so
    connections arriving together would all pass a check against it)."""

    def __init__(self, inner: asyncio.Protocol, lost: Callable[[], None]) -> None:
        self._inner, self._lost = inner, lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost()
        self._inner.connection_lost(exc)


class _Busy(asyncio.Protocol):
    """A connection over the cap: answered 503 and closed before anything is read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(_BUSY)
        transport.close()


class DuisEndpoint:
    """The DCC Boxed DUIS web service as an async context manager (see the module docstring).

    Args:
        transport: The bus the DSP listens on.
        host / port: Where to listen; port 0 takes a free port (see :attr:`url`).
        receive_urls: Each User's Receive Response Service URL.
        dsp: The DSP's XML-signing certificate (in a keystore) and the DCC's EUI: only a DUIS
            document the DSP signed (role 137) is ever answered or POSTed to a User — anything
            else on an inbox topic is dropped and counted (``refused``).
        timeout: Seconds to wait for the DSP's answer before answering 504.
        retry: How hard to try a receive URL.
        header_timeout / body_timeout / max_connections: The limits on slow and idle clients
            (the module docstring; defaults :data:`HEADER_TIMEOUT`, :data:`BODY_TIMEOUT`,
            :data:`MAX_CONNECTIONS`).

    Attributes:
        received: Counters for monitoring: requests per URL (``serviceS``…), requests put on
            the bus (``published``), DSP answers returned (``answered``), HTTP answers by status
            (``http 200``, ``http 415``…), later messages taken from inboxes (``inbox``), and
            their fate (``delivered``, ``retries``, ``held``, ``undeliverable``), and connections
            turned away over the cap (``busy``).
        delivery: The receive-URL deliveries, with what is held or was given up.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        receive_urls: Mapping[Eui64, str] = _NO_DEFAULT_URLS,
        dsp: tuple[Keystore, Eui64],
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self._transport, self._host, self._port, self._timeout = transport, host, port, timeout
        self._header_timeout, self._body_timeout = header_timeout, body_timeout
        self._max_connections = max_connections
        self._open = 0
        self._server: asyncio.Server | None = None
        self._dsp = dsp
        self.received: Counter[str] = Counter()
        urls = checked_urls(receive_urls)
        self.delivery = ResponseDelivery(urls, self.received, retry or RetryPolicy())
        self._waiting: dict[str, deque[asyncio.Future[Envelope]]] = {}
        self._inbox: Subscription | None = None
        self._pump: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` once started."""
        if self._url is None:
            raise RuntimeError("the DUIS endpoint is not started")
        return self._url

    async def __aenter__(self) -> DuisEndpoint:
        self._inbox = self._transport.subscribe(user_inbox("+"))
        await self._transport.subscribed()
        await self.delivery.start()
        self._pump = asyncio.create_task(self._take(self._inbox), name="duis-http inboxes")
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._count])
        for path, service in WEB_SERVICES.items():
            app.router.add_post(path, self._handler(service))
        # aiohttp closes a connection whose next request is not complete when its keep-alive
        # time runs out, counted from the connection opening or the last answer: the header
        # timeout. The unread rest of a refused body is drained for no longer than that.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            keepalive_timeout=self._header_timeout,
            lingering_time=self._header_timeout,
        )
        await self._runner.setup()
        self._server = await asyncio.get_running_loop().create_server(
            self._accept, self._host, self._port
        )
        host, port = self._server.sockets[0].getsockname()[:2]
        self._url = f"http://{host}:{port}"
        log.info("DUIS endpoint listening on %s", self._url)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        if self._inbox is not None:
            self._inbox.close()
        await self.delivery.close()
        self._url = None

    # -- requests ------------------------------------------------------------------------------

    def _closed(self) -> None:
        self._open -= 1

    def _accept(self) -> asyncio.BaseProtocol:
        """A new connection's protocol: aiohttp's, or :class:`_Busy` over the cap."""
        assert self._runner is not None
        server = self._runner.server
        assert server is not None
        if self._open < self._max_connections:
            self._open += 1
            return _Counted(server(), self._closed)
        self.received["busy"] += 1
        if self.received["busy"] % 1000 == 1:  # logged, not flooded
            log.warning("%d connections open: turned one away (503)", self._max_connections)
        return _Busy()

    def _handler(self, service: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return await self._serve(service, request)

        return handle

    async def _serve(self, service: str, request: web.Request) -> web.Response:
        self.received[f"service{service}"] += 1
        if request.content_type != "application/xml":
            raise web.HTTPUnsupportedMediaType(
                text=f"a DUIS request is application/xml, not {request.content_type}"
            )
        try:
            # Not refused on Content-Length alone: after answering, aiohttp drains whatever body
            # is left unread (for up to 10 s), which would hold the connection, and a graceful
            # stop, that long; read() stops at the limit.
            async with asyncio.timeout(self._body_timeout):
                body = await request.read()
        except TimeoutError:
            raise web.HTTPRequestTimeout(
                text=f"the body did not arrive within {self._body_timeout:g} s"
            ) from None
        except web.HTTPRequestEntityTooLarge:
            raise web.HTTPRequestEntityTooLarge(
                MAX_BODY, MAX_BODY + 1, text=f"a DUIS request is at most {MAX_BODY} bytes"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any decoding failure of the body is the client's
            coding = request.headers.get("Content-Encoding", "identity")
            raise web.HTTPBadRequest(
                text=f"the body cannot be read as Content-Encoding {coding}: {exc}"
            ) from None
        try:
            request_id = read_request_id(body)
        except InputError as exc:
            raise web.HTTPBadRequest(text=f"no readable RequestID: {exc}") from None
        answer = await self._ask_dsp(service, body, request_id)
        self.received["answered"] += 1
        return web.Response(body=answer.payload, content_type="application/xml")

    async def _ask_dsp(self, service: str, body: bytes, request_id: RequestId) -> Envelope:
        """Publish the request and wait for the DSP's first answer to it (504 on timeout)."""
        key = str(request_id)
        answer: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append(answer)
        try:
            envelope = Envelope(
                dsp_requests(), Kind.DUIS_REQUEST, body, key, (("service", service),)
            )
            await self._transport.publish(envelope)
            self.received["published"] += 1
            return await asyncio.wait_for(answer, self._timeout)
        except TimeoutError:
            log.warning("no answer from the DSP to %s within %g s", key, self._timeout)
            raise web.HTTPGatewayTimeout(
                text=f"the DSP did not answer RequestID {key} within {self._timeout:g} s"
            ) from None
        finally:
            waiting = self._waiting.get(key)
            if waiting is not None and answer in waiting:
                waiting.remove(answer)
            if not waiting:
                self._waiting.pop(key, None)

    @web.middleware
    async def _count(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as refused:
            self.received[f"http {refused.status}"] += 1
            if refused.status >= 400:
                log.info("%s %s: %s %s", request.method, request.path, refused.status, refused.text)
            raise
        self.received[f"http {response.status}"] += 1
        return response

    # -- the Users' inboxes --------------------------------------------------------------------

    async def _take(self, inbox: Subscription) -> None:
        """Answers the waiting HTTP requests; hands everything else to the receive URLs."""
        while True:
            envelope = await inbox.get()
            why = self._not_from_the_dsp(envelope)
            if why is not None:
                self.received["refused"] += 1
                log.warning("dropped a message on %s: %s", envelope.topic, why)
                continue
            if self._answers(envelope):
                continue
            self.received["inbox"] += 1
            user = envelope.topic.split("/")[-2]
            try:
                self.delivery.offer(Eui64(user), envelope)
            except InputError:
                self.delivery.give_up(user, envelope, "the inbox topic names no User ID")

    def _not_from_the_dsp(self, envelope: Envelope) -> str | None:
        """Why ``envelope`` is not a DUIS document the DSP signed, or None when it is."""
        if envelope.kind is not Kind.DUIS_RESPONSE:
            return f"a {envelope.kind}, not a DUIS response"
        try:
            root = xml.parse(envelope.payload)
        except DuisParseError as exc:
            return exc.message
        keystore, dcc = self._dsp
        role = RemotePartyRole.DSP_XML_SIGN
        checked = verify(root, keystore, expected_eui=dcc, expected_role=role)
        return None if checked.valid else f"not signed by the DSP: {checked.reason}"

    def _answers(self, envelope: Envelope) -> bool:
        """Whether ``envelope`` is the answer a waiting request wants. Only synchronous answers
        qualify: an asynchronous response to the same RequestID carries a ResponseID (§3.1)."""
        waiting = self._waiting.get(envelope.correlation_id)
        if not waiting or _RESPONSE_ID.search(envelope.payload):
            return False
        while waiting:
            answer = waiting.popleft()
            if not answer.done():
                answer.set_result(envelope)
                return True
        return False


def read_request_id(body: bytes) -> RequestId:
    """The RequestID of a request, read from its header if it parses as XML, else from the
    first ``RequestID`` element in the octets (so a broken request can still be answered).

    Raises:
        InputError: when none can be read.
    """
    why = "the body has no sr:Header/sr:RequestID"
    try:
        found = xml.parse(body).find(_HEADER_REQUEST_ID)
        texts = [] if found is None else [found.text or ""]
    except DuisParseError as exc:
        texts = [m.group(1).decode("ascii", "replace") for m in _RAW_REQUEST_ID.finditer(body)]
        why = f"{why} ({exc.message})"
    if not texts:
        raise InputError(why)
    return RequestId.parse(texts[0])


__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "MAX_BODY",
    "MAX_CONNECTIONS",
    "WEB_SERVICES",
    "DuisEndpoint",
    "read_request_id",
]
