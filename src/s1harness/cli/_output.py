"""Shared CLI output helpers: JSON lines on stdout, one-line errors on stderr."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn

from s1harness.estate.errors import EstateNotFoundError
from s1harness.spec.errors import InputError

EXIT_INVALID = 1
"""Input that was read and found wrong (an invalid estate, a bad certificate)."""
EXIT_USAGE = 2
"""A command that could not run as given (a bad argument, an estate that is not there)."""
EXIT_INTERNAL = 70
"""A fault of the program itself (reported in one line; ``S1HARNESS_DEBUG`` shows where)."""


def emit(obj: dict[str, Any]) -> None:
    """Print one JSON object as a line."""
    sys.stdout.write(json.dumps(obj, sort_keys=False) + "\n")


def estate_exit_status(exc: InputError) -> int:
    """2 when the estate named does not exist (nothing could be read), else 1 (read, invalid)."""
    return EXIT_USAGE if isinstance(exc, EstateNotFoundError) else EXIT_INVALID


def warn(message: str) -> None:
    """Print one line to standard error."""
    sys.stderr.write(f"s1harness: {message}\n")


def progress_bar(*columns: str | ProgressColumn, quiet: bool = False) -> Progress:
    """A transient progress bar on standard error, drawn only on a terminal: a pipe or a log
    file gets neither the bar nor the line it would leave."""
    console = Console(stderr=True)
    return Progress(*columns, console=console, transient=True,
                    disable=quiet or not console.is_terminal)  # fmt: skip


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is taken as UTC.

    Raises:
        InputError: when the text is not ISO 8601.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_file(path: Path) -> bytes:
    """A file's bytes, or a one-line :class:`InputError`.

    Raises:
        InputError: when the file is missing or unreadable.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
