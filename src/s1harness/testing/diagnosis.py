"""What to show when a step fails or times out: for each request the scenario sent, what came
back and what every role the Harness runs decided about it, check by check; what those roles
dropped that no request explains (a frame that did not decode, a message whose signature did
not verify); and who played the other roles, on which broker and run."""

from __future__ import annotations

from collections.abc import Iterable

from s1harness.roles.user import Exchange
from s1harness.spec.checks import Decision, Outcome
from s1harness.testing.harness import Harness

DROPPED_SHOWN = 10
"""How many of the latest drops the diagnosis lists."""


def diagnose(harness: Harness, exchanges: Iterable[Exchange]) -> str:
    """The diagnosis of a scenario run on ``harness`` that sent ``exchanges`` (see the module
    docstring), as lines of text."""
    logs = _logs(harness)
    keys: set[str] = set()
    lines = []
    for exchange in exchanges:
        key = str(exchange.request_id)
        keys.add(key)
        codes = ", ".join(exchange.codes) or "nothing yet"
        lines.append(f"request {key} (SRV {exchange.srv}): received {codes}")
        for hop, log in logs:
            decided = [d for d in log if d.request_id == key]
            lines += [f"  {hop}: {_decision(d)}" for d in decided]
    dropped = [
        (hop, d)
        for hop, log in logs
        for d in log
        if d.outcome is Outcome.REJECTED and d.request_id not in keys and d.code is None
    ]
    if dropped:
        lines.append("dropped without an answer:")
        lines += [
            f"  {hop}: {_decision(d)} ({d.request_id})" for hop, d in dropped[-DROPPED_SHOWN:]
        ]
    lines.append(_others(harness))
    return "\n".join(lines)


def _logs(harness: Harness) -> list[tuple[str, list[Decision]]]:
    system = harness.system
    out: list[tuple[str, list[Decision]]] = []
    if harness.plays("DSP"):
        out.append(("DSP", list(system.dsp.decisions)))
    for cohort, s1sp in system.s1sps.items():
        if harness.plays(str(cohort)):
            out.append((f"{cohort} S1SP", list(s1sp.decisions)))
    return out


def _decision(decision: Decision) -> str:
    code = f" {decision.code}" if decision.code else ""
    detail = f": {decision.detail}" if decision.detail else ""
    return f"{decision.check} {decision.outcome}{code}{detail}"


def _others(harness: Harness) -> str:
    where = getattr(harness.bus, "url", None) or "the in-memory bus"
    if not harness.external:
        return f"every role run by this Harness, on {where} (run {harness.run})"
    played = []
    for role in sorted(harness.external):
        build = harness.builds.get(role) or {}
        said = " ".join(str(build.get(k, "")) for k in ("name", "version")).strip()
        played.append(f"{role} ({said or 'a build that has not said what it is'})")
    return f"played by other builds: {', '.join(played)}, on {where} (run {harness.run})"


__all__ = ["diagnose"]
