"""The ``s1harness`` command.

Exit status: 0 success; 1 the input was read but is invalid (a certificate that does not
validate, a file that is not a certificate); 2 the command could not run (unknown option,
missing file, malformed argument). Errors are one line on standard error, never a traceback;
set ``S1HARNESS_DEBUG=1`` to see the traceback of an unexpected failure.
"""

from __future__ import annotations

import os
import sys
import traceback

import typer
from typer.exceptions import TyperException

from s1harness.cli import (
    bench,
    conform,
    duis,
    estate,
    gbcs,
    remediate,
    report,
    run,
    smki,
    up,
)
from s1harness.spec.errors import HarnessError

app = typer.Typer(
    name="s1harness",
    help="Device-emulator and protocol test harness for GB smart metering (SECMP0107).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(smki.app, name="smki")
app.add_typer(gbcs.app, name="gbcs")
app.add_typer(duis.app, name="duis")
app.add_typer(estate.app, name="estate")
app.add_typer(bench.app, name="bench")
app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    run.run
)
app.command("conform", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    conform.conform
)
app.command("up")(up.up)
app.command("report")(report.report)
app.command("remediate")(remediate.remediate_command)

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (the console script exits with it)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = app(args, prog_name="s1harness", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        print("s1harness: interrupted", file=sys.stderr)
        return 130
    except TyperException as exc:
        print(f"s1harness: error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except HarnessError as exc:
        print(f"s1harness: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if os.environ.get("S1HARNESS_DEBUG"):
            traceback.print_exc()
        print(f"s1harness: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
