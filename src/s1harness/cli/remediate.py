"""``s1harness remediate``: the one-off S1SP data update of MP107 Requirement 2.

Reads the estate folder's registry and S1SP databases (``registry.sqlite``,
``s1sp-IOC.sqlite``…, as ``s1harness estate init --preset fia`` or ``s1harness up --data-dir``
leave them) and the NO certificate register (``no-register.json`` there, or ``--register``),
corrects every mismatched device, and prints a table per S1SP × device type (or, with
``--json``, one object) and writes the skipped devices to a CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table

from s1harness.cli._output import emit, parse_time, progress_bar
from s1harness.estate import load
from s1harness.estate.sources import KEY_SOURCES
from s1harness.registry.model import Cohort
from s1harness.remediation import DEFAULT_BATCH, NoRegister, Report, Trust, remediate
from s1harness.spec.errors import InputError

REGISTER_FILE = "no-register.json"
SKIPPED_FILE = "remediation-skipped.csv"


def remediate_command(
    estate: Annotated[Path, typer.Option("--estate", help="The estate folder (its databases).")],
    s1sp: Annotated[str, typer.Option("--s1sp", help="IOC, MOC, FOC or all.")] = "all",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; write nothing.")] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="Devices per transaction.")
    ] = DEFAULT_BATCH,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    register: Annotated[
        Path | None, typer.Option("--register", help=f"NO register (default DIR/{REGISTER_FILE}).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Registration data at (ISO 8601; default now).")
    ] = None,
    skipped: Annotated[
        Path | None, typer.Option("--skipped", help=f"Skipped CSV (default DIR/{SKIPPED_FILE}).")
    ] = None,
) -> int:
    """Replace every wrong Network Operator certificate in the S1SP databases."""
    cohorts = list(Cohort) if s1sp.lower() == "all" else [_cohort(s1sp)]
    if not estate.is_dir():
        raise InputError(f"{estate}: no estate folder")
    published = NoRegister.load(register or _default_register(estate))
    databases = {c: estate / f"s1sp-{c}.sqlite" for c in cohorts}
    if s1sp.lower() == "all":
        databases = {c: path for c, path in databases.items() if path.is_file()}
        if not databases:
            raise InputError(f"{estate}: no S1SP database (s1sp-IOC.sqlite…)")
    with _Bar(quiet=as_json or dry_run) as bar:
        report = remediate(
            databases, estate / "registry.sqlite", published,
            at=parse_time(at) if at else None, dry_run=dry_run, batch=batch, resume=resume,
            progress=bar.advance, planned=bar.plan, trust=_trust(estate),
        )  # fmt: skip
    csv_path = skipped or estate / SKIPPED_FILE
    try:
        csv_path.write_text(report.skipped_csv(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{csv_path}: cannot write ({exc.strerror})") from None
    if as_json:
        emit(report.as_json())
    else:
        _print(report, csv_path)
    return 0


def _cohort(name: str) -> Cohort:
    try:
        return Cohort(name.upper())
    except ValueError:
        raise InputError(f"unknown S1SP {name!r} (IOC, MOC, FOC or all)") from None


def _trust(estate: Path) -> Trust:
    """The estate's trust anchors and issuing CAs (its key source): what every certificate of
    the register must chain to before it is placed."""
    described = load(estate)
    keys = KEY_SOURCES[described.keys](described.seed)
    return keys.trust_anchors(), keys.path_certificates()


def _default_register(estate: Path) -> Path:
    path = estate / REGISTER_FILE
    if not path.is_file():
        raise InputError(f"{path}: no NO register (give one with --register FILE)")
    return path


class _Bar:
    """A progress bar per S1SP on standard error (none when quiet). It starts with the first
    planned S1SP, so an input refused before any work (a bad register) prints only its error."""

    def __init__(self, *, quiet: bool) -> None:
        self._progress = None if quiet else progress_bar()
        self._tasks: dict[Cohort, TaskID] = {}

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None and self._tasks:
            self._progress.stop()

    def plan(self, cohort: Cohort, total: int) -> None:
        if self._progress is not None:
            if not self._tasks:
                self._progress.start()
            self._tasks[cohort] = self._progress.add_task(f"{cohort} correcting", total=total)

    def advance(self, cohort: Cohort, n: int) -> None:
        if self._progress is not None and cohort in self._tasks:
            self._progress.advance(self._tasks[cohort], n)


def _print(report: Report, csv_path: Path) -> None:
    console = Console()
    verb = "would correct" if report.dry_run else "corrected"
    title = "dry run" if report.dry_run else f"run {report.run_id}"
    table = Table("S1SP", "device type", "mismatched", verb, "skipped",
                  title=f"{title}: registration data at {report.at.isoformat()}")  # fmt: skip
    summary = report.as_json()
    for cohort, counts in summary["mismatched"].items():
        kinds = sorted(set(counts) | set(summary["skipped"][cohort]))
        for kind in kinds:
            table.add_row(
                cohort, kind, str(counts.get(kind, 0)),
                str(summary["corrected"][cohort].get(kind, 0)),
                str(summary["skipped"][cohort].get(kind, 0)),
            )  # fmt: skip
    console.print(table)
    console.print(f"{len(report.skipped)} skipped devices listed in {csv_path}")
