"""A role's decision log keeps its newest decisions: a long-running role does not grow without
bound."""

from __future__ import annotations

from s1harness.roles.decisions import KEPT, DecisionLog
from s1harness.spec import checks
from s1harness.spec.checks import Outcome


def test_a_decision_log_forgets_its_oldest_past_twice_what_it_keeps() -> None:
    log = DecisionLog()
    for n in range(2 * KEPT + 1):
        log.record(str(n), checks.DUIS_XSD, Outcome.ACCEPTED)
    assert len(log) == KEPT + 1
    assert log[0].request_id == str(KEPT) and log[-1].request_id == str(2 * KEPT)
    assert log.of(str(2 * KEPT))[0].check == checks.DUIS_XSD
