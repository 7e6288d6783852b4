"""Who may read and write which topics on a secured broker: one access list per login.

A login is a role's name on the broker (:data:`LOGINS`). The embedded broker enforces these
lists for the logins it generates; ``emulators/mosquitto/acl`` is the same lists for Mosquitto
(:func:`mosquitto_acl` writes it, and a test keeps the file equal to it).

Each list keeps a role to the topics its part of the contract uses, and a role acknowledges
under its own name only (``acks/<producer>/<login>``): together with a producer taking an
acknowledgement only from the consumer of the message's topic (:func:`s1harness.spec.bus.consumer`),
no role can acknowledge a message in another's place.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from s1harness.spec.bus import COHORTS, ROOT, matches

ANY_RUN = f"{ROOT}/+"
"""Every list holds for every run (``s1h/v3/<run>/…``)."""


@dataclass(frozen=True)
class Access:
    """What one login may do: topic filters it may subscribe within, and publish to."""

    why: str
    read: tuple[str, ...]
    write: tuple[str, ...]

    def may_publish(self, topic: str) -> bool:
        return any(matches(allowed, topic) for allowed in self.write)

    def may_subscribe(self, topic_filter: str) -> bool:
        return any(_covers(allowed, topic_filter) for allowed in self.read)


def _role(login: str, why: str, read: list[str], write: list[str]) -> Access:
    acks = f"{ANY_RUN}/acks"
    return Access(
        why,
        (*(f"{ANY_RUN}/{t}" for t in read), f"{acks}/#"),
        (*(f"{ANY_RUN}/{t}" for t in write), f"{acks}/+/{login}"),
    )


def _s1sp(cohort: str) -> Access:
    why = (
        "An S1SP build, one per cohort: its requests and its devices' frames in; DSP messages "
        "and its SMETS1 devices' inboxes out."
    )
    return _role(
        f"s1sp-{cohort}",
        why,
        [f"s1sp/{cohort}/#", f"control/s1sp/{cohort}"],
        ["dsp/from-s1sp", "devices/+/inbox", "control/replies"],
    )


ACCESS: dict[str, Access] = {
    "harness": Access(
        "The test suite, s1harness conform, and `s1harness up` playing every role: all of a run.",
        (f"{ROOT}/#",),
        (f"{ROOT}/#",),
    ),
    "dsp": _role(
        "dsp",
        "A DSP build: DUIS requests, S1SP messages and SMETS2 device frames in; S1SP requests, "
        "User inboxes and SMETS2 device inboxes (as the CSP) out.",
        ["dsp/#", "control/dsp"],
        ["s1sp/+/requests", "users/+/inbox", "devices/+/inbox", "control/replies"],
    ),
    **{f"s1sp-{cohort}": _s1sp(cohort) for cohort in COHORTS},
    "devices": _role(
        "devices",
        "The device emulators: their inboxes in; frames to the S1SPs (SMETS1) and the DSP "
        "(SMETS2) out.",
        ["devices/+/inbox", "control/devices"],
        ["s1sp/+/from-devices", "dsp/from-devices", "control/replies"],
    ),
}
LOGINS = tuple(ACCESS)


def _covers(allowed: str, requested: str) -> bool:
    """Whether every topic the filter ``requested`` matches is matched by ``allowed``."""
    want, have = allowed.split("/"), requested.split("/")
    for index, part in enumerate(want):
        if part == "#":
            return True
        if index >= len(have) or have[index] == "#":
            return False
        if part != "+" and (have[index] == "+" or part != have[index]):
            return False
    return len(want) == len(have)


_HEADER = """\
# Who may read and write which topics (Mosquitto acl_file): the access lists the embedded broker
# enforces, written out by s1harness.spec.access.mosquitto_acl (a test keeps this file equal to
# it). Every topic of a run sits under s1h/v3/<run>/ (docs/contract.md §8); "+" stands for the
# run. Each bus hears acknowledgements and its own heartbeat on acks/<random>/<login>, so every
# role may read acks/#; a role acknowledges under its own name only (acks/+/<role>), and a
# producer takes an acknowledgement only from the consumer of the message's topic: no role can
# acknowledge a message in another's place (docs/contract.md §7). A client with no entry here
# may do nothing.
"""


def mosquitto_acl() -> str:
    """The access lists as a Mosquitto ``acl_file``."""
    parts = [_HEADER]
    for login, access in ACCESS.items():
        lines = [*textwrap.wrap(access.why, 97, initial_indent="# ", subsequent_indent="# ")]
        lines.append(f"user {login}")
        both = [t for t in access.read if t in access.write]
        lines += [f"topic readwrite {t}" for t in both]
        lines += [f"topic read {t}" for t in access.read if t not in both]
        lines += [f"topic write {t}" for t in access.write if t not in both]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


__all__ = ["ACCESS", "LOGINS", "Access", "mosquitto_acl"]
