"""Delivery of a DCC User's asynchronous DUIS messages to its Receive Response Service URL.

DUIS delivers everything that is not the synchronous answer to a request — device responses,
future-dated outcomes, SMETS1 responses, device alerts and DCC alerts, all ``sr:Response``
documents — by POSTing them as ``application/xml`` to the URL the User registered with the DSP
(in DCC Boxed, the "Receive Response Service address"). A DCC Boxed client
answers 2xx once it has taken a message (the Node-RED receiver answers 204) and 400 when it
refuses one.

Nothing is lost silently:

* each User's messages go out one at a time, in arrival order, from that User's own queue, so a
  slow or failing receiver holds up only its own User;
* a connection failure, a timeout, or an answer of 408, 429 or 5xx is tried again after a
  backoff that doubles up to a bound; any other 4xx is the receiver refusing the message, and
  sending the same octets again cannot change that;
* a message that cannot be delivered (attempts used up, refused, or the service stopped first)
  is kept in :attr:`ResponseDelivery.undeliverable` and logged once, with the reason;
* a message for a User with no receive URL is kept in :attr:`ResponseDelivery.held`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from s1harness.spec.bus import Envelope
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

log = logging.getLogger("s1harness.duis_http")
_RETRY_STATUSES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try a receive URL.

    Attributes:
        attempts: POSTs per message before it is given up (at least 1).
        first_backoff: Seconds before the second attempt; doubled for each later one.
        max_backoff: The bound on a backoff.
        request_timeout: Seconds one POST may take, connection included.
    """

    attempts: int = 5
    first_backoff: float = 0.2
    max_backoff: float = 10.0
    request_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_backoff < 0 or self.request_timeout <= 0:
            raise InputError(f"retry policy out of range: {self}")


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """A message given up: for whom (the User ID, as the inbox topic gave it), what, and why
    (the last failure)."""

    user: str
    envelope: Envelope
    reason: str


def checked_urls(urls: Mapping[Eui64, str]) -> dict[Eui64, str]:
    """Each User's receive URL, checked to be ``http(s)://host...``.

    Raises:
        InputError: for a malformed User ID or URL.
    """
    out: dict[Eui64, str] = {}
    for user, url in urls.items():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"receive URL for {user}: {url!r} is not an http(s) URL")
        out[Eui64(user)] = url
    return out


class ResponseDelivery:
    """POSTs each User's messages to its receive URL (see the module docstring).

    Args:
        urls: Receive URL by User ID.
        counters: Where ``delivered``, ``retries``, ``held`` and ``undeliverable`` are counted.
        policy: Attempts, backoff and timeout.
    """

    def __init__(
        self, urls: Mapping[Eui64, str], counters: Counter[str], policy: RetryPolicy
    ) -> None:
        self._urls, self._counters, self._policy = dict(urls), counters, policy
        self._queues: dict[Eui64, asyncio.Queue[Envelope]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self.held: dict[Eui64, list[Envelope]] = {}
        """Messages for Users without a receive URL, in arrival order."""
        self.undeliverable: list[Undeliverable] = []

    async def start(self) -> None:
        """Open the HTTP client session (inside the running event loop)."""
        timeout = aiohttp.ClientTimeout(total=self._policy.request_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)

    def offer(self, user: Eui64, envelope: Envelope) -> None:
        """Queue ``envelope`` for ``user``'s receive URL, or hold it if there is none."""
        url = self._urls.get(user)
        if url is None:
            if user not in self.held:
                log.warning("no receive URL for %s: its messages are held", user)
            self.held.setdefault(user, []).append(envelope)
            self._counters["held"] += 1
            return
        queue = self._queues.get(user)
        if queue is None:
            queue = self._queues[user] = asyncio.Queue()
            worker = self._deliver_all(user, url, queue)
            self._workers.append(asyncio.create_task(worker, name=f"deliver to {user}"))
        queue.put_nowait(envelope)

    async def drain(self, timeout: float) -> None:
        """Return once every message offered so far is delivered or given up.

        Raises:
            TimeoutError: if some are still being tried after ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    async def close(self) -> None:
        """Stop delivering; whatever is still queued or being tried is given up and logged."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for user, queue in self._queues.items():
            while not queue.empty():
                self.give_up(user, queue.get_nowait(), "the endpoint stopped before delivery")
        if self._session is not None:
            await self._session.close()

    async def _deliver_all(self, user: Eui64, url: str, queue: asyncio.Queue[Envelope]) -> None:
        while True:
            envelope = await queue.get()
            try:
                reason = await self._deliver(url, envelope)
            except asyncio.CancelledError:
                self.give_up(user, envelope, "the endpoint stopped during delivery")
                raise
            if reason is None:
                self._counters["delivered"] += 1
            else:
                self.give_up(user, envelope, reason)
            queue.task_done()

    async def _deliver(self, url: str, envelope: Envelope) -> str | None:
        """POST until delivered (None) or given up (the reason)."""
        policy, backoff = self._policy, self._policy.first_backoff
        for attempt in range(1, policy.attempts + 1):
            reason, again = await self._post(url, envelope.payload)
            if reason is None:
                return None
            if not again:
                return reason
            if attempt < policy.attempts:
                log.info(
                    "receive URL %s: %s; attempt %d in %.2g s", url, reason, attempt + 1, backoff
                )
                self._counters["retries"] += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, policy.max_backoff)
        return f"{reason} after {policy.attempts} attempt(s)"

    async def _post(self, url: str, payload: bytes) -> tuple[str | None, bool]:
        """One POST: (None, _) when taken, else (why, whether trying again may help)."""
        assert self._session is not None, "start() first"
        headers = {"Content-Type": "application/xml"}
        try:
            async with self._session.post(url, data=payload, headers=headers) as answer:
                await answer.read()
                if 200 <= answer.status < 300:
                    return None, False
                again = answer.status >= 500 or answer.status in _RETRY_STATUSES
                return f"the receiver answered HTTP {answer.status}", again
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}".rstrip(": "), True

    def give_up(self, user: str, envelope: Envelope, reason: str) -> None:
        """Keep ``envelope`` as undeliverable and log it, once, with ``reason``."""
        self.undeliverable.append(Undeliverable(user, envelope, reason))
        self._counters["undeliverable"] += 1
        log.error(
            "undeliverable to %s (%s, RequestID %s): %s",
            user,
            envelope.kind,
            envelope.correlation_id,
            reason,
        )


__all__ = ["ResponseDelivery", "RetryPolicy", "Undeliverable", "checked_urls"]
