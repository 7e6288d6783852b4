"""``s1harness run``'s tally of progress events (from one pytest process or an xdist run)."""

from __future__ import annotations

from s1harness.cli.run import Tally


def test_xdist_collection_reports_count_the_suite_once() -> None:
    tally = Tally()
    # the controller collects nothing; each of two workers reports the whole suite
    for count in (0, 58, 58):
        assert tally.take({"event": "collected", "count": count}) is None
    assert tally.total == 58


def test_results_are_counted_and_failures_kept() -> None:
    tally = Tally()
    tally.take({"event": "collected", "count": 3})
    for outcome in ("passed", "failed", "skipped"):
        tally.take({"event": "result", "name": outcome, "outcome": outcome, "message": ""})
    assert tally.done == 3 and tally.counts == {"passed": 1, "failed": 1, "skipped": 1}
    assert [f["name"] for f in tally.failures] == ["failed"]
