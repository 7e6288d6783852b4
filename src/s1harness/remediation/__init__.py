"""Requirement 2: the DCC's one-off data update on the S1SP databases (SECMP0107).

For each S1SP database: find every device whose Network Operator slots hold a certificate not
owned by the NO registered for its MPAN/MPRN (:mod:`.survey`), look up the registered NO's
published certificates (:mod:`.register`), and replace them in short batched transactions
with an audit row per device (:mod:`.update`), while the S1SP keeps serving on the same
database. What cannot be resolved is skipped and reported (:mod:`.report`).

.. code-block:: python

    report = remediate(
        {"IOC": data_dir / "s1sp-IOC.sqlite"},
        data_dir / "registry.sqlite",
        NoRegister.load(data_dir / "no-register.json"),
        at=now,
        trust=(keys.trust_anchors(), keys.path_certificates()),  # the estate's key source
    )
    report.as_json()   # {"mismatched": {"IOC": {"ESME": n, "GPF": n}}, "corrected": …}

Device presence, decided once: the inventory (SMETS1 devices of the S1SP's cohort) and the S1SP
database are compared both ways — a device with NO slots the inventory does not list is
skipped as ``not_in_inventory``, an inventory device the S1SP holds no NO slot for as
``not_at_s1sp``; neither is changed.
"""

from __future__ import annotations

import fcntl
import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from s1harness.registry.model import Cohort, member
from s1harness.registry.store import Registry
from s1harness.remediation import survey, update
from s1harness.remediation.register import NoRegister, PublishedCertificates
from s1harness.remediation.report import Report, S1spOutcome, SkippedDevice, SkipReason
from s1harness.smki.certificate import SmkiCertificate
from s1harness.smki.validation import TrustAnchor
from s1harness.spec.errors import InputError
from s1harness.spec.users import UserRole

Trust = tuple[Sequence[TrustAnchor | SmkiCertificate], Sequence[SmkiCertificate]]
"""Roots, and the issuing CAs between them and a published certificate."""
Database = Path | str | sqlite3.Connection
"""An S1SP database: a path (opened here, WAL) or an open connection (autocommit)."""
Progress = Callable[[Cohort, int], None]
"""Called with an S1SP and how many more of its devices a committed batch corrected."""
DEFAULT_BATCH = 1000


def remediate(
    s1sps: Mapping[Cohort, Database] | Mapping[str, Database],
    registry: Registry | Path | str,
    register: NoRegister,
    *,
    at: datetime | None = None,
    dry_run: bool = False,
    batch: int = DEFAULT_BATCH,
    resume: bool = False,
    run_id: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Progress | None = None,
    planned: Callable[[Cohort, int], None] | None = None,
    trust: Trust | None = None,
) -> Report:
    """Run (or with ``dry_run`` only count) the data update on each S1SP database.

    Args:
        s1sps: The S1SP databases by cohort.
        registry: The registration data and inventory (a Registry, or its database path).
        register: The published NO certificates.
        at: The instant registration data is read at (default ``now()``; a resumed run keeps
            its own).
        batch: Devices per transaction.
        resume: Continue the interrupted run instead of refusing to start.
        run_id: The new run's ID (default: time and random).
        progress / planned: Told each batch's count, and each S1SP's count to correct.
        trust: The roots and issuing CAs the register's certificates must chain to: when given,
            every published certificate is checked in date at ``at`` and chaining to them, and
            naming the Network Operator the registration data says publishes under its key,
            before anything is written.

    Raises:
        InputError: for a register certificate that fails those checks, an S1SP database
            another remediation is running on (:data:`LOCK_SUFFIX`), an interrupted run
            without ``resume`` (or ``resume`` with none), a database that cannot be opened, or
            a batch size below 1.
    """
    if batch < 1:
        raise InputError(f"batch size must be at least 1, got {batch}")
    with ExitStack() as stack:
        dbs = {member(Cohort, str(c), "S1SP"): _open(stack, db) for c, db in s1sps.items()}
        for cohort, db in dbs.items():
            _claim(stack, cohort, db, probe=dry_run)
        started = now()
        run_id, at = _which_run(dbs, resume=resume, run_id=run_id, at=at or started)
        run_id = run_id or f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        reg = registry if isinstance(registry, Registry) else _registry(stack, registry)
        if trust is not None:
            register.validate(trust[0], trust[1], at)
            _published_by_their_operators(register, reg)
        report = Report(at, dry_run, None if dry_run else run_id)
        run = _Run(run_id, at, batch, now, progress, planned)
        surveyed = []
        for cohort, db in dbs.items():
            survey.load(db, cohort, reg, register, at)
            surveyed.append((db, survey.survey(db, cohort)))
        if not dry_run:
            # Every S1SP's part is recorded before any is corrected: a run killed between
            # S1SPs is one unfinished run to resume, never a finished one and a fresh start.
            begun = [(db, outcome) for db, outcome in surveyed if run.begin(db, outcome)]
            for db, outcome in begun:
                run.apply(db, outcome)
        report.s1sps.extend(outcome for _, outcome in surveyed)
        return report


def _published_by_their_operators(register: NoRegister, registry: Registry) -> None:
    """Each entry's certificates name a Network Operator the registration data gives the
    entry's distributor ID or gas network.

    Raises:
        InputError: for an entry whose certificates are another party's.
    """
    for entry in register.entries:
        if entry.distributor_id is not None:
            owners = {p.user_id for p in registry.parties_for_distributor(entry.distributor_id)}
            key = f"distributor {entry.distributor_id}"
        else:
            owners = {
                p.user_id
                for p in registry.parties_with_role(UserRole.GT)
                if p.gas_transporter == entry.gas_transporter
            }
            key = f"gas network {entry.gas_transporter!r}"
        if entry.network_operator not in owners:
            named = ", ".join(sorted(owners)) or "no party"
            raise InputError(
                f"NO register entry for {key}: its certificates are {entry.network_operator}'s, "
                f"not its Network Operator's ({named})"
            )


@dataclass(frozen=True, slots=True)
class _Run:
    """What every S1SP's part of one run shares."""

    run_id: str
    at: datetime
    batch: int
    now: Callable[[], datetime]
    progress: Progress | None
    planned: Callable[[Cohort, int], None] | None

    def stamp(self) -> str:
        return self.now().isoformat(timespec="microseconds")

    def begin(self, db: sqlite3.Connection, outcome: S1spOutcome) -> bool:
        """Record the run at one S1SP (or find it recorded, and report its first survey's
        counts); false when there is nothing to do there, and nothing is written."""
        recorded = next((r for r in update.runs(db) if r.run_id == self.run_id), None)
        if recorded is None and outcome.corrected.total() == 0:
            return False
        if recorded is None:
            update.start(db, self.run_id, self.at.isoformat(), self.stamp(), outcome.mismatched)
        else:
            outcome.mismatched.clear()
            outcome.mismatched.update(recorded.mismatched)
        return True

    def apply(self, db: sqlite3.Connection, outcome: S1spOutcome) -> None:
        """Correct one S1SP whose run is recorded (:meth:`begin`); settle the outcome's
        counts."""
        cohort = outcome.cohort
        recorded = next(r for r in update.runs(db) if r.run_id == self.run_id)
        if self.planned is not None:
            self.planned(cohort, outcome.corrected.total())
        if not recorded.finished:
            told = None if self.progress is None else self._told(cohort)
            update.correct(db, self.run_id, batch=self.batch, now=self.stamp, progress=told)
            update.finish(db, self.run_id, self.stamp())
        outcome.corrected.clear()
        outcome.corrected.update(update.corrected(db, self.run_id))

    def _told(self, cohort: Cohort) -> Callable[[int], None]:
        progress = self.progress
        assert progress is not None
        return lambda n: progress(cohort, n)


def _which_run(
    dbs: Mapping[Cohort, sqlite3.Connection], *, resume: bool, run_id: str | None, at: datetime
) -> tuple[str | None, datetime]:
    unfinished = {(r.run_id, r.registered_at): c for c, db in dbs.items()
                  for r in update.runs(db) if not r.finished}  # fmt: skip
    if not resume:
        if unfinished:
            (old, _), cohort = next(iter(unfinished.items()))
            raise InputError(f"run {old} at {cohort} was interrupted: resume it (--resume)")
        return run_id, at
    if not unfinished:
        raise InputError("no interrupted run to resume")
    if len({run for run, _ in unfinished}) > 1:
        raise InputError(f"more than one interrupted run: {sorted(r for r, _ in unfinished)}")
    old, registered_at = next(iter(unfinished))
    return old, datetime.fromisoformat(registered_at)


LOCK_SUFFIX = "-remediation.lock"
"""Beside each S1SP database file: held (``flock``) by the remediation running on it. The
kernel lets go of it when that process ends, however it ends, so a run killed with -9 is
``interrupted`` (resume it) and only a live one is ``running``."""


def _claim(stack: ExitStack, cohort: Cohort, db: sqlite3.Connection, *, probe: bool) -> None:
    """Hold the S1SP database's remediation lock for this run (``probe``: only check that no
    other run holds it, writing nothing). An in-memory database has no lock.

    Raises:
        InputError: when another remediation holds it.
    """
    main = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not main:
        return
    lock = Path(main + LOCK_SUFFIX)
    if probe and not lock.exists():
        return
    handle = lock.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        running = [r.run_id for r in update.runs(db) if not r.finished]
        which = f"run {running[0]}" if running else "another remediation"
        raise InputError(
            f"{which} is running on {cohort}'s database ({main}): wait for it to finish"
        ) from None
    if probe:
        handle.close()
    else:
        stack.callback(handle.close)


def _open(stack: ExitStack, db: Database) -> sqlite3.Connection:
    if isinstance(db, sqlite3.Connection):
        return db
    if not Path(db).is_file():
        raise InputError(f"{db}: no S1SP database")
    try:
        connection = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL-safe: a crash of the process loses nothing committed; only an OS crash could
        # lose the last batches, which the resumed run then redoes.
        connection.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint every ~40 MB of WAL rather than every 4 MB: a batch is about 1 MB.
        connection.execute("PRAGMA wal_autocheckpoint=10000")
        connection.execute("SELECT 1 FROM slot LIMIT 1").fetchone()
    except sqlite3.Error as exc:
        raise InputError(f"{db}: not an S1SP database ({exc})") from None
    stack.callback(connection.close)
    return connection


def _registry(stack: ExitStack, path: Path | str) -> Registry:
    if not Path(path).is_file():
        raise InputError(f"{path}: no registry database")
    registry = Registry.open(path)
    stack.callback(registry.close)
    return registry


__all__ = [
    "DEFAULT_BATCH",
    "NoRegister",
    "PublishedCertificates",
    "Report",
    "S1spOutcome",
    "SkipReason",
    "SkippedDevice",
    "Trust",
    "remediate",
]
