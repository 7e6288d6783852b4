"""The message contract between parties: envelopes and topics (transport-independent).

Every hop of the emulated system is an :class:`Envelope` on a topic. Roles (sans-IO) consume
and produce envelopes; a transport (the in-memory bus, MQTT) only moves them.

A role names topics relative to its run (``dsp/requests``, ``users/<EUI>/inbox``). On a broker
every topic of a run sits under ``s1h/v3/<run>/`` (:func:`on_wire`): runs that share a broker
— two test runs, the workers of one, a build under test serving one of them — never hear each
other. The run ID is part of the contract (``docs/asyncapi.yaml``).
"""

from __future__ import annotations

import enum
import re
import secrets
import sys
from dataclasses import dataclass, field

from s1harness.spec.errors import InputError

ROOT = "s1h/v3"
"""The contract's topic root on a broker, with its major version."""
COHORTS = ("IOC", "MOC", "FOC")
"""The SMETS1 cohorts, each served by its own S1SP."""
DEFAULT_RUN = "default"
"""The run ID ``s1harness up`` serves, and a run with external roles uses, unless told."""
_RUN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Kind(enum.StrEnum):
    """What an envelope carries."""

    DUIS_REQUEST = "duis-request"
    """A signed DUIS ``sr:Request`` from a DCC User to the DSP."""
    DUIS_RESPONSE = "duis-response"
    """A DSP-signed ``sr:Response`` (reply, device response, device or DCC alert) to a User."""
    COUNTERSIGNED_REQUEST = "countersigned-request"
    """The DSP's countersigned service request to an S1SP."""
    S1SP_RESPONSE = "s1sp-response"
    """A SMETS1 response or S1SP alert from an S1SP to the DSP."""
    GBCS_COMMAND = "gbcs-command"
    """A GBCS command (MAC envelope) from the DSP/CSP to a SMETS2 device."""
    GBCS_DEVICE_FRAME = "gbcs-device-frame"
    """A GBCS response or alert from a SMETS2 device."""
    SMETS1_INSTRUCTION = "smets1-instruction"
    """An instruction frame from an S1SP to a SMETS1 device."""
    SMETS1_DEVICE_FRAME = "smets1-device-frame"
    """A response or alert frame from a SMETS1 device to its S1SP."""
    CONTROL_REQUEST = "control-request"
    """The harness to a build under test: load a provisioning document, set the clock…"""
    CONTROL_REPLY = "control-reply"
    """A build's answer to a control request."""


DUIS_KINDS = frozenset({Kind.DUIS_REQUEST, Kind.DUIS_RESPONSE, Kind.S1SP_RESPONSE})
CONTROL_KINDS = frozenset({Kind.CONTROL_REQUEST, Kind.CONTROL_REPLY})
"""The control channel's kinds: between the harness and the builds it tests, never a hop of
the emulated system."""
"""Kinds whose payload is a DUIS document (the countersigned request is harness-defined)."""

AUDIT_EVENT = "s1harness.envelope"
"""Raised (:func:`sys.audit`) with every envelope created, whichever role or transport creates
it: an auditor's view of all traffic through the standard audit-hook mechanism (the test suite
checks every DUIS message against the schema this way)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message on the bus.

    Attributes:
        topic: Where it goes (see the topic functions below).
        kind: What it carries.
        payload: The message octets (XML or binary frame), never re-encoded in transit.
        correlation_id: Ties replies to requests (the DUIS RequestID where there is one).
        headers: Small routing facts (device ID, cohort), as sorted pairs.
    """

    topic: str
    kind: Kind
    payload: bytes
    correlation_id: str
    headers: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        sys.audit(AUDIT_EVENT, self)

    def header(self, name: str) -> str | None:
        return dict(self.headers).get(name)


def dsp_requests() -> str:
    """DCC Users → DSP."""
    return "dsp/requests"


def user_inbox(user_id: str) -> str:
    """DSP → one DCC User (sync replies, async responses, alerts)."""
    return f"users/{user_id}/inbox"


def s1sp_requests(cohort: str) -> str:
    """DSP → the S1SP serving a cohort (IOC, MOC, FOC)."""
    return f"s1sp/{cohort}/requests"


def dsp_from_s1sp() -> str:
    """Every S1SP → DSP."""
    return "dsp/from-s1sp"


def device_inbox(device_id: str) -> str:
    """CSP (for the DSP) → a SMETS2 device, or an S1SP → a SMETS1 device."""
    return f"devices/{device_id}/inbox"


def dsp_from_devices() -> str:
    """SMETS2 devices → CSP/DSP."""
    return "dsp/from-devices"


def s1sp_from_devices(cohort: str) -> str:
    """SMETS1 devices → the S1SP serving their cohort."""
    return f"s1sp/{cohort}/from-devices"


def control(role: str) -> str:
    """The harness → the build playing ``role`` (``dsp``, ``s1sp:IOC``…): control requests."""
    return f"control/{role.replace(':', '/')}"


def control_replies() -> str:
    """Every build → the harness: answers to control requests."""
    return "control/replies"


def consumer(topic: str) -> str:
    """Who may acknowledge a message on ``topic`` (a run's own name): its consumer's login on a
    secured broker — ``dsp``, ``s1sp-<cohort>``, ``devices``, or ``harness`` for DCC Users'
    inboxes, control replies and any topic outside the roles'.

    An acknowledgement travels on ``<ack_to>/<consumer>``; a producer takes it only from the
    consumer of the message's topic, and a broker's access list lets each login publish
    acknowledgements under its own name only (``docs/contract.md`` §7).
    """
    match topic.split("/"):
        case ["dsp", _]:
            return "dsp"
        case ["s1sp", cohort, _] | ["control", "s1sp", cohort]:
            return f"s1sp-{cohort}"
        case ["devices", _, "inbox"] | ["control", "devices"]:
            return "devices"
        case ["users", _, "inbox"] | ["control", "replies"]:
            return "harness"
        case ["control", "dsp"]:
            return "dsp"
    return "harness"


def run_id(text: str) -> str:
    """A run ID as given (1-64 letters, digits, ``-`` and ``_``).

    Raises:
        InputError: for anything else.
    """
    if not _RUN.fullmatch(text):
        raise InputError(f"run ID {text!r}: use 1-64 letters, digits, '-' or '_'")
    return text


def new_run_id() -> str:
    """A fresh random run ID."""
    return f"run-{secrets.token_hex(6)}"


def on_wire(run: str, topic: str) -> str:
    """Where a run's topic (or topic filter) sits on a broker: ``s1h/v3/<run>/<topic>``."""
    return f"{ROOT}/{run}/{topic}"


def off_wire(run: str, topic: str) -> str | None:
    """The run's own name for a broker topic, or None for a topic outside the run."""
    prefix = f"{ROOT}/{run}/"
    return topic[len(prefix) :] if topic.startswith(prefix) else None


def matches(pattern: str, topic: str) -> bool:
    """MQTT topic-filter matching (``+`` one level, ``#`` the rest)."""
    want, have = pattern.split("/"), topic.split("/")
    for index, part in enumerate(want):
        if part == "#":
            return True
        if index >= len(have) or (part != "+" and part != have[index]):
            return False
    return len(want) == len(have)
