"""What a role decided about a request, check by check: the record the scenarios read to
assert which check accepted or refused a request at each hop (DESIGN §3.1, §3.2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    """One check's outcome for one request: ``accepted``, ``rejected`` or ``lifted``.

    Attributes:
        request_id: The DUIS RequestID (or another correlation for device frames).
        check: The check, named as the spec names it (``SRPD 6.1(f)``, ``S1SR 4.2``…).
        outcome: ``accepted``, ``rejected``, ``lifted`` or ``sent``.
        detail: Why, in one line (a refusal starts with its code).
    """

    request_id: str
    check: str
    outcome: str
    detail: str = ""


__all__ = ["Decision"]
