"""The central DUIS audit: every DUIS message any test's roles put in an envelope is checked
against the DUIS 5.4 schema (every emitted message must validate), whichever test emits it.

The audit hears every envelope created (the ``s1harness.envelope`` audit event, forwarded by
the conftest's audit hook) and checks those of the DUIS kinds.
A document invalid under the plain schema passes only if the SECMP0058 overlay — which adds
nothing but response code E061510 — makes it valid. Tests that hand-make broken envelopes on
purpose do so inside :meth:`DuisAudit.exempt`; nothing else is exempt.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from s1harness.duis import xml
from s1harness.duis.errors import DuisError
from s1harness.duis.schema import load_schema
from s1harness.spec.bus import AUDIT_EVENT, DUIS_KINDS, Envelope


@dataclass
class DuisAudit:
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    _exempt: int = 0

    def __call__(self, envelope: Envelope) -> None:
        if envelope.kind not in DUIS_KINDS or self._exempt:
            return
        self.checked += 1
        problem = self.problem(envelope.payload)
        if problem:
            self.failures.append(f"{envelope.kind} on {envelope.topic}: {problem}")

    @staticmethod
    def problem(payload: bytes) -> str | None:
        """Why ``payload`` is not a valid DUIS document, or None."""
        try:
            root = xml.parse(payload)
            issues = load_schema().validate(root)
            if issues and load_schema(("SECMP0058",)).is_valid(root):
                return None
        except DuisError as exc:
            return exc.message
        return "; ".join(str(i) for i in issues[:3]) or None

    @contextmanager
    def exempt(self) -> Iterator[None]:
        """Envelopes created inside are broken on purpose and not audited."""
        self._exempt += 1
        try:
            yield
        finally:
            self._exempt -= 1


_LISTENING: list[DuisAudit] = []


def _forward(event: str, args: tuple[object, ...]) -> None:
    if event == AUDIT_EVENT and _LISTENING and isinstance(args[0], Envelope):
        _LISTENING[-1](args[0])


sys.addaudithook(_forward)  # once per process (hooks cannot be removed); _LISTENING decides


@contextmanager
def listening(audit: DuisAudit) -> Iterator[DuisAudit]:
    """``audit`` hears every envelope created inside (the innermost listener only)."""
    _LISTENING.append(audit)
    try:
        yield audit
    finally:
        _LISTENING.remove(audit)
