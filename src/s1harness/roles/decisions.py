"""A role's decision log: what each check made of each request, in the order taken — the
record tests and diagnostics read to see which check accepted, refused or was lifted at each
hop. The checks themselves are :mod:`s1harness.spec.checks` (docs/checks.md)."""

from __future__ import annotations

from s1harness.spec.checks import Check, Decision, Outcome, Refusal
from s1harness.spec.codes import Code

KEPT = 100_000
"""How many decisions a log keeps at least (at most twice as many): the newest."""


class DecisionLog(list[Decision]):
    """The decisions of one role, oldest first (the newest :data:`KEPT` at least)."""

    def record(
        self,
        request_id: str,
        check: Check,
        outcome: Outcome,
        detail: str = "",
        code: Code | None = None,
    ) -> None:
        """Append one decision.

        Raises:
            ValueError: for a code the check never answers with (a programming error).
        """
        if code is not None and code not in check.codes:
            raise ValueError(f"{check.name} does not answer with {code.code}")
        self.append(Decision(request_id, check, outcome, code, detail))
        if len(self) > 2 * KEPT:  # a long-running role forgets its oldest decisions
            del self[:KEPT]

    def refused(self, request_id: str, refusal: Refusal) -> None:
        """Append the decision a refusal stands for."""
        self.record(request_id, refusal.check, Outcome.REJECTED, refusal.detail, refusal.answer)

    def of(self, request_id: str) -> list[Decision]:
        """The decisions about one request."""
        return [d for d in self if d.request_id == request_id]


__all__ = ["KEPT", "DecisionLog"]
