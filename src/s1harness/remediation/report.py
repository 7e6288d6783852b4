"""What a data update found and did, per S1SP and device type: the counts, the skipped devices
(with why), as the one JSON object and the skipped-devices CSV the CLI writes."""

from __future__ import annotations

import csv
import enum
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from s1harness.registry.model import Cohort

DEVICE_TYPES = ("ESME", "GPF")
UNKNOWN_TYPE = "unknown"
"""The device type of a skipped device the inventory does not know."""


class SkipReason(enum.StrEnum):
    """Why a device is left as it is (and reported)."""

    UNKNOWN_MPXN = "unknown_mpxn"
    """No MPAN/MPRN, or none registered at the run's date: the registered NO is unknown."""
    NO_PUBLISHED_CERTIFICATE = "no_published_certificate"
    """Mismatched, but the registered NO has no (consistent) entry in the NO register."""
    NOT_IN_INVENTORY = "not_in_inventory"
    """The S1SP holds NO slots for a device the inventory does not list as its SMETS1 device."""
    NOT_AT_S1SP = "not_at_s1sp"
    """The inventory lists a SMETS1 device of the S1SP that holds no NO slot for it."""


@dataclass(frozen=True, slots=True)
class SkippedDevice:
    """One device left alone, with what the update knew about it."""

    cohort: Cohort
    device_id: str
    device_type: str
    reason: SkipReason
    mpxn: str | None = None
    holds: str | None = None
    registered: str | None = None

    def row(self) -> tuple[str, ...]:
        return (str(self.cohort), self.device_id, self.device_type, self.reason.value,
                self.mpxn or "", self.holds or "", self.registered or "")  # fmt: skip


CSV_HEADER = ("s1sp", "device_id", "device_type", "reason", "mpxn", "holds_network_operator",
              "registered_network_operator")  # fmt: skip


@dataclass
class S1spOutcome:
    """One S1SP's counts: mismatched (found), corrected (by this run, or would be on a dry
    run) and the skipped devices."""

    cohort: Cohort
    mismatched: Counter[str] = field(default_factory=Counter)
    corrected: Counter[str] = field(default_factory=Counter)
    skipped: list[SkippedDevice] = field(default_factory=list)

    def skipped_counts(self) -> Counter[str]:
        return Counter(device.device_type for device in self.skipped)


@dataclass
class Report:
    """A whole update over one or more S1SPs."""

    at: datetime
    dry_run: bool
    run_id: str | None = None
    s1sps: list[S1spOutcome] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """``{"mismatched": {"IOC": {"ESME": n, "GPF": n}, …}, "corrected": …, "skipped": …}``
        (an ``unknown`` device type appears under ``skipped`` only when there is one). A dry
        run corrects nothing: its counts of what a run would correct are ``would_correct``."""
        return {
            "mismatched": {str(o.cohort): _by_type(o.mismatched) for o in self.s1sps},
            "would_correct" if self.dry_run else "corrected": {
                str(o.cohort): _by_type(o.corrected) for o in self.s1sps
            },
            "skipped": {str(o.cohort): _by_type(o.skipped_counts()) for o in self.s1sps},
        }

    @property
    def skipped(self) -> list[SkippedDevice]:
        return [device for outcome in self.s1sps for device in outcome.skipped]

    def skipped_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(device.row() for device in self.skipped)
        return out.getvalue()


def _by_type(counts: Counter[str]) -> dict[str, int]:
    out = {kind: counts.get(kind, 0) for kind in DEVICE_TYPES}
    extra = {kind: n for kind, n in sorted(counts.items()) if kind not in DEVICE_TYPES and n}
    return out | extra


__all__ = [
    "CSV_HEADER",
    "DEVICE_TYPES",
    "Report",
    "S1spOutcome",
    "SkipReason",
    "SkippedDevice",
]
