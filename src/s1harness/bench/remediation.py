"""``s1harness bench remediate`` and ``bench estate``: the Requirement 2 data update at scale.

* **remediate**: an ``fia``-shaped estate of ``devices`` SMETS1 devices (default a million)
  every one of which but the emulated correctly-set ones holds a wrong NO's certificates is
  generated in a scratch folder; the data update then corrects them all (survey, batched
  audited transactions, everything :func:`s1harness.remediation.remediate` does), timed. The
  bound, measured right after in the same run on the same databases: a plain SQLite ``UPDATE``
  of the same slot rows (the two NO slots of every corrected device) to the same values, by
  primary key, in one transaction per S1SP — the least any update of those rows costs. At a
  million devices each side runs once. Targets: the update under 60 s, and a ratio of at
  least 0.5.
* **estate**: the ``fia`` preset's databases generated (registry, three S1SPs, 100,000 devices),
  timed; target under 30 s.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from s1harness.bench.measure import Rate
from s1harness.estate.fia import DEFAULT_DEVICES, generate
from s1harness.registry.model import Cohort
from s1harness.remediation import NoRegister, remediate

REMEDIATE_DEVICES = 1_000_000
TARGET_RATIO = 0.5
TARGET_REMEDIATE_SECONDS = 60.0
TARGET_ESTATE_SECONDS = 30.0

Progress = Callable[[], None]


def run_estate(
    *, devices: int = DEFAULT_DEVICES, progress: Progress | None = None
) -> dict[str, Any]:
    """Time the ``fia`` estate's generation; returns the JSON-ready result."""
    with tempfile.TemporaryDirectory(prefix="s1harness-bench-") as scratch:
        start = time.perf_counter()
        generate(Path(scratch) / "estate", devices=devices)
        seconds = time.perf_counter() - start
    if progress is not None:
        progress()
    return {
        "benchmark": "estate",
        "rounds": 1,
        "count": devices,
        "rates": {"devices generated": _once(devices / seconds)},
        "ratios": {},
        "seconds": {"fia estate": round(seconds, 2)},
        "targets": {"fia estate seconds": TARGET_ESTATE_SECONDS},
    }


def run_remediate(
    *, devices: int = REMEDIATE_DEVICES, progress: Progress | None = None
) -> dict[str, Any]:
    """Generate, correct, then time the plain UPDATE bound; returns the JSON-ready result."""
    with tempfile.TemporaryDirectory(prefix="s1harness-bench-") as scratch:
        folder = Path(scratch) / "estate"
        system = generate(folder, devices=devices, wrong=1.0)
        if progress is not None:
            progress()
        register = NoRegister.of_system(system)
        databases = {c: folder / f"s1sp-{c}.sqlite" for c in Cohort}
        start = time.perf_counter()
        report = remediate(databases, folder / "registry.sqlite", register, at=system.estate.start)
        seconds = time.perf_counter() - start
        corrected = sum(outcome.corrected.total() for outcome in report.s1sps)
        if progress is not None:
            progress()
        bound = sum(_plain_update(path) for path in databases.values())
        if progress is not None:
            progress()
    remediate_rate, update_rate = corrected / seconds, corrected / bound
    return {
        "benchmark": "remediate",
        "rounds": 1,
        "count": corrected,
        "rates": {
            "devices corrected": _once(remediate_rate),
            "plain UPDATE (same rows)": _once(update_rate),
        },
        "ratios": {"remediate/update": round(remediate_rate / update_rate, 3)},
        "seconds": {"remediate": round(seconds, 2), "plain UPDATE": round(bound, 2)},
        "targets": {
            "remediate/update": TARGET_RATIO,
            "remediate seconds": TARGET_REMEDIATE_SECONDS,
        },
    }


def _plain_update(path: Path) -> float:
    """Seconds to UPDATE the NO slots of every audited device to what the update wrote."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=NORMAL")  # as the update's own connection
        certificates = {
            (owner, kind): (der, serial, issuer)
            for owner, kind, der, serial, issuer in db.execute(
                "SELECT owner, kind, certificate, serial, issuer_cn FROM slot"
                " WHERE role = 'network_operator' GROUP BY owner, kind"
            )
        }
        rows = [
            (*certificates[(owner, kind)], owner, device, kind)
            for device, owner in db.execute(
                "SELECT device_id, after_owner FROM remediation_audit ORDER BY device_id"
            )
            for kind in ("critical", "non_critical")
        ]
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "UPDATE slot SET certificate = ?, serial = ?, issuer_cn = ?, owner = ?"
            " WHERE device_id = ? AND role = 'network_operator' AND kind = ?",
            rows,
        )
        db.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        db.close()


def _once(rate: float) -> dict[str, float]:
    return Rate(rate, rate, rate).as_dict()


__all__ = ["run_estate", "run_remediate"]
