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
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.exceptions import TyperException

from s1harness import __version__
from s1harness.cli import (
    bench,
    campaign,
    conform,
    duis,
    estate,
    gbcs,
    init,
    remediate,
    report,
    run,
    smki,
    up,
)
from s1harness.cli._output import EXIT_INTERNAL, EXIT_USAGE
from s1harness.locations import commit
from s1harness.spec.errors import HarnessError

app = typer.Typer(
    name="s1harness",
    help="Device-emulator and protocol test harness for GB smart metering (SECMP0107).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def version_text() -> str:
    """``s1harness 0.1.0`` and, when run from a checkout, its commit."""
    made = commit()
    return f"s1harness {__version__}" + (f" (commit {made})" if made else "")


def _version(shown: bool) -> None:
    if shown:
        print(version_text())
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Device-emulator and protocol test harness for GB smart metering (SECMP0107)."""


app.add_typer(smki.app, name="smki")
app.add_typer(gbcs.app, name="gbcs")
app.add_typer(duis.app, name="duis")
app.add_typer(estate.app, name="estate")
app.add_typer(bench.app, name="bench")
PASS_THROUGH = """\b
Usage: s1harness run [FEATURES...] [--reports DIR] [--no-report] [PYTEST ARGS...]
FEATURES: feature files or folders (default: the bundled FIA suite).
Any other argument goes to pytest, for example:
  -k "MOC and ESME"          scenarios by name
  -m "R1 and not baseline"   scenarios by tag (R1, R2, MP058, baseline)
  -n 2                       two workers, each with its own broker
  --lf                       only the scenarios that failed last time
  --s1h-bus memory           the in-memory bus instead of MQTT
  --s1h-broker URL           an external broker (login: S1HARNESS_BROKER_*)
  --s1h-external s1sp:IOC    a role another build plays (or dsp, devices)
  --s1h-run ID               the run ID that build serves (default: default)
  --s1h-timeout SECONDS      how long a wait for a message lasts
Exit status: 0 every scenario passed, 1 a scenario failed, 2 the suite
could not run (usage, collection or Gherkin error, nothing selected:
earlier results kept)."""

app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog=PASS_THROUGH,
)(run.run)
app.command("conform", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    conform.conform
)
app.command("up")(up.up)
app.command("init")(init.init)
app.command("report")(report.report)
app.command("remediate")(remediate.remediate_command)
app.command("campaign")(campaign.campaign_command)


def command() -> Any:
    """The command tree, its help without Python type names: a flag shows no value, an option
    its value's name (``--estate ESTATE``), an argument its own."""
    root = typer.main.get_command(app)
    pending: list[Any] = [root]
    while pending:
        current = pending.pop()
        for param in current.params:
            if param.metavar is None and param.param_type_name in ("option", "argument"):
                flag = getattr(param, "is_flag", False)
                param.metavar = "" if flag else (param.name or "value").upper()
        current.get_help_option = _flag(current.get_help_option)
        pending.extend(getattr(current, "commands", {}).values())
    return root


def _flag(make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``--help`` (made per context) shown as the flag it is."""

    def made(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return made


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (the console script exits with it)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command().main(args, prog_name="s1harness", standalone_mode=False)
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
