"""A build's clock kept in its data folder (``s1harness up --data-dir``).

Started again on the same folder, the build runs on from where its clock stood when it stopped
(its last tick, about a second before, or the last ``clock`` or ``provision`` request), not
from the estate's start: a future-dated command falls due when it would have, and requests in
flight expire on time. The time the build was down is not counted: an emulated estate's time
moves only while it runs. An estate whose start is later than the kept time starts at its
start; removing the file starts the clock at the estate's start again.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from s1harness.spec.clock import RunningClock
from s1harness.spec.errors import InputError

CLOCK_FILE = "clock"
"""In the data folder: the build's time as ISO 8601 UTC with microseconds, on one line."""


class KeptClock(RunningClock):
    """A :class:`RunningClock` that starts at the later of ``start`` and the time kept in
    ``folder`` (none: it keeps nothing), and keeps its time there when set or told to.

    Raises:
        InputError: for a kept time that is not one, or a file that cannot be read (the file
            named, and how to start over).
    """

    def __init__(self, start: datetime, folder: Path | None) -> None:
        self._path = None if folder is None else folder / CLOCK_FILE
        kept = _read(self._path)
        super().__init__(start if kept is None or kept < start else kept)

    def set(self, now: datetime) -> None:
        """Run on from ``now``, kept first: a time that cannot be kept is not set.

        Raises:
            InputError: for a time without a timezone, or a folder it cannot write.
        """
        if now.utcoffset() is None:
            super().set(now)  # refuses it, saying why
        try:
            self._write(now)
        except OSError as exc:
            raise InputError(f"{self._path}: cannot keep the clock ({_why(exc)})") from None
        super().set(now)

    def keep(self) -> None:
        """Write the time it reads now.

        Raises:
            OSError: when the folder cannot be written (the caller says so and runs on).
        """
        self._write(self())

    def _write(self, now: datetime) -> None:
        # Replaced whole, through a file of this process's own: a kill leaves the old time or
        # the new one, and two processes keeping one folder's clock never share a file.
        if self._path is None:
            return
        written = self._path.with_name(f"{CLOCK_FILE}.{os.getpid()}.new")
        text = now.astimezone(UTC).isoformat(timespec="microseconds")
        written.write_text(text + "\n", encoding="ascii")
        os.replace(written, self._path)


def _read(path: Path | None) -> datetime | None:
    if path is None or not path.exists():
        return None
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the kept clock ({_why(exc)})") from None
    except UnicodeDecodeError:
        text = ""
    try:
        kept = datetime.fromisoformat(text)
    except ValueError:
        kept = None
    if kept is None or kept.utcoffset() is None:
        raise InputError(
            f"{path}: not the time a build kept (ISO 8601 UTC); remove it to start the clock "
            "at the estate's start"
        )
    return kept.astimezone(UTC)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


__all__ = ["CLOCK_FILE", "KeptClock"]
