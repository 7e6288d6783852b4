"""A small generated ``fia``-shaped estate on disk, and the register its NOs publish."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from s1harness.estate.build import build
from s1harness.estate.fia import fia, generate
from s1harness.registry.model import Cohort
from s1harness.remediation import NoRegister

DEVICES = 600


def small_fia(folder: Path, *, devices: int = DEVICES, wrong: float = 0.2) -> Path:
    """Generate ``devices`` SMETS1 devices, ``wrong`` of each kind holding a wrong NO."""
    generate(folder, devices=devices, wrong=wrong)
    return folder


def register() -> NoRegister:
    estate = fia()
    system = build(estate, clock=lambda: estate.start)
    system.close()
    return NoRegister.of_system(system)


def databases(folder: Path) -> dict[Cohort, Path]:
    return {c: folder / f"s1sp-{c}.sqlite" for c in Cohort}


def table(path: Path, query: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def slots(folder: Path) -> dict[Cohort, list[tuple[object, ...]]]:
    """Every S1SP's slot rows (the certificate DER included), ordered."""
    return {
        c: table(p, "SELECT * FROM slot ORDER BY 1, 2, 3") for c, p in databases(folder).items()
    }


def audit(folder: Path) -> dict[Cohort, list[tuple[object, ...]]]:
    """Every audit row but its run ID and time, ordered (none if no run wrote any)."""
    out = {}
    for cohort, path in databases(folder).items():
        tables = {r[0] for r in table(path, "SELECT name FROM sqlite_schema")}
        out[cohort] = (
            table(path, "SELECT * FROM remediation_audit ORDER BY device_id")
            if "remediation_audit" in tables
            else []
        )
        out[cohort] = [row[1:-1] for row in out[cohort]]
    return out
