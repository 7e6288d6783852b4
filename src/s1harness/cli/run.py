"""``s1harness run``: the main job.

Runs the FIA feature suite shipped in the package (:mod:`s1harness.suite`) — or the feature
files and folders given first on the command line, with the same steps — on the emulated
estate, over MQTT with an embedded broker unless told otherwise, from any folder: with a
progress display, it writes the Allure results to ``reports/allure-results`` and the JUnit XML
to ``reports/junit.xml``, builds the Allure HTML report and the sign-off summary, and prints
where they are. Exit status 0 every scenario passed, 1 one failed or broke, 2 the suite could
not run (the previous results are then kept).

Everything after the paths and options goes to pytest unchanged (``-k``, ``-m 'R1 and not
UIT'``, ``-n 2``, ``--lf``, ``--s1h-bus memory``, ``--s1h-broker URL``, ``--s1h-external
s1sp:IOC``...). pytest's own output is kept in ``reports/pytest.log``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from s1harness import __version__
from s1harness.duis.schema import load_schema
from s1harness.reporting import build_reports, tools_folder
from s1harness.reporting.wording import suite_line
from s1harness.spec.errors import InputError
from s1harness.suite import BUNDLED, FEATURES_VARIABLE
from s1harness.testing.progress import ENVIRONMENT

POLL = 0.1
PYTEST_INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
"""
"""The configuration the suite runs under: its own, not that of the folder it is run from."""


def split_paths(args: list[str]) -> tuple[list[Path], list[str]]:
    """The feature files and folders given before the first option, and the rest.

    Raises:
        InputError: for a path that is neither a feature file nor a folder.
    """
    paths: list[Path] = []
    for index, arg in enumerate(args):
        if arg.startswith("-"):
            return paths, args[index:]
        path = Path(arg)
        if not (path.is_dir() or (path.is_file() and path.suffix == ".feature")):
            raise InputError(f"{arg}: not a feature file or a folder of them")
        paths.append(path.resolve())
    return paths, []


@dataclass
class Tally:
    """Scenario results as they arrive."""

    total: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def take(self, event: dict[str, Any]) -> dict[str, Any] | None:
        if event.get("event") == "collected":
            # Under xdist every worker reports the whole collection: the largest is the suite.
            self.total = max(self.total or 0, int(event["count"]))
            return None
        outcome = str(event.get("outcome"))
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if outcome in ("failed", "broken"):
            self.failures.append(event)
        return event

    @property
    def done(self) -> int:
        return sum(self.counts.values())


def _follow(
    process: subprocess.Popen[bytes],
    progress_file: Path,
    on_event: Callable[[dict[str, Any]], None],
) -> None:
    """Feed every progress line to ``on_event`` until the process has ended and all is read."""
    position = 0
    while True:
        ended = process.poll() is not None
        if progress_file.exists():
            with progress_file.open(encoding="utf-8") as stream:
                stream.seek(position)
                while line := stream.readline():
                    if not line.endswith("\n"):
                        break
                    position = stream.tell()
                    on_event(json.loads(line))
        if ended:
            return
        time.sleep(POLL)


def run(
    context: typer.Context,
    reports: Annotated[
        Path, typer.Option("--reports", help="Where results, reports and the log go.")
    ] = Path("reports"),
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Build the HTML report and sign-off.")
    ] = True,
) -> int:
    """Run the FIA feature suite (or FEATURES..., files or folders, given first) on the
    emulated estate and write the reports. Extra arguments go to pytest."""
    paths, args = split_paths(list(context.args))
    return run_suite(reports, args, report=report, features=paths)


def run_suite(
    reports: Path,
    args: list[str],
    *,
    report: bool,
    after: Callable[[Path], None] | None = None,
    features: list[Path] | None = None,
) -> int:
    """Run the feature suite (the bundled one, or ``features``) with pytest ``args``, results
    and log under ``reports``, then ``after(reports)`` and, with ``report``, the reports; the
    exit status of ``s1harness run``: 0 every scenario passed, 1 a scenario failed, 2 the suite
    could not run (a usage or collection error, a Gherkin syntax error, nothing selected) —
    then the results of the previous run are left as they were."""
    load_schema()  # every request is validated against it: no XSD, no run (one line)
    console = Console(highlight=False, soft_wrap=True)  # a CI log gets whole lines
    here = Path.cwd()
    reports = reports if reports.is_absolute() else here / reports
    results, fresh = reports / "allure-results", reports / ".allure-results-next"
    junit = _option(args, "--junitxml") or _option(args, "--junit-xml")
    reports.mkdir(parents=True, exist_ok=True)
    log = reports / "pytest.log"
    with tempfile.TemporaryDirectory() as scratch:
        progress_file = Path(scratch) / "progress.jsonl"
        ini = Path(scratch) / "pytest.ini"
        ini.write_text(PYTEST_INI, encoding="utf-8")
        command = [
            sys.executable, "-m", "pytest", str(BUNDLED),
            # Allure names a scenario by its feature's path under the rootdir.
            "-c", str(ini), "--rootdir", os.path.commonpath([BUNDLED.parent, *(features or [])]),
            "-p", "s1harness.testing.progress",
            "-o", f"cache_dir={reports / '.pytest-cache'}",  # --lf, --ff work run to run
            f"--alluredir={fresh}", "--clean-alluredir", "-q", "-rN",
            *([] if junit else [f"--junitxml={fresh / JUNIT}"]),
            *args,
        ]  # fmt: skip
        env = {
            # The suite is pytest plugins (its own, pytest-bdd, Allure, xdist): a CI's
            # PYTEST_DISABLE_PLUGIN_AUTOLOAD would leave them out.
            **{k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"},
            ENVIRONMENT: str(progress_file),
            FEATURES_VARIABLE: os.pathsep.join(str(p) for p in features or []),
            "S1HARNESS_COMMAND": shlex.join(["s1harness", *sys.argv[1:]]),
        }
        what = ", ".join(str(p) for p in features) if features else "the feature suite"
        console.print(f"s1harness {__version__}: {what}, {_target(args)}")
        started = time.perf_counter()
        tally = Tally()
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=here, env=env, stdout=out, stderr=out)
            try:
                _show(process, progress_file, tally, console)
            except KeyboardInterrupt:
                process.terminate()
                process.wait(10)
                raise
        status = process.returncode
    elapsed = time.perf_counter() - started
    if status not in (0, 1):
        shutil.rmtree(fresh, ignore_errors=True)
        return _could_not_run(console, tally, status, elapsed, log, results)
    _replace(results, fresh)
    if not junit and (results / JUNIT).is_file():
        (results / JUNIT).replace(reports / JUNIT)
    if after is not None:
        after(reports)
    written = Path(junit) if junit else reports / JUNIT
    return _finish(console, tally, status, elapsed, (reports, log, written), build=report)


JUNIT = "junit.xml"
"""The JUnit XML report, written beside the Allure results unless ``--junitxml`` is given."""


def _replace(results: Path, fresh: Path) -> None:
    """This run's results in place of the last run's."""
    shutil.rmtree(results, ignore_errors=True)
    fresh.replace(results)


def _could_not_run(
    console: Console, tally: Tally, status: int, elapsed: float, log: Path, results: Path
) -> int:
    """Why the suite did not run (the errors pytest logged), on the terminal; exit 2."""
    why = {
        2: "errors while collecting the scenarios",
        3: "an internal error",
        4: "a usage error",
        5: "no scenario selected (pytest collected nothing)",
    }
    console.print(
        f"[red]the suite could not run: {why.get(status, f'pytest exit {status}')}[/red] "
        f"after {elapsed:.1f} s ({tally.done} scenarios ran)"
    )
    if status != 5:
        console.print(_errors(log), markup=False)
    console.print(f"earlier results kept: {results} (pytest log: {log})")
    return 2


def _errors(log: Path, most: int = 20) -> str:
    """The error lines of the pytest log (a usage error, a collection or Gherkin error), else
    its last lines."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [
        line for line in lines
        if line.startswith(("ERROR", "E ", "usage:", "pytest: error"))
        or "Error:" in line or "error:" in line
    ]  # fmt: skip
    shown = list(dict.fromkeys(errors))[:most] or lines[-15:]
    return "\n".join(shown)


def _target(args: list[str]) -> str:
    """Where the suite runs, as the pass-through options (else the environment) say."""
    bus = _option(args, "--s1h-bus") or os.environ.get("S1HARNESS_BUS", "mqtt")
    broker = _option(args, "--s1h-broker") or os.environ.get("S1HARNESS_BROKER")
    external = _options(args, "--s1h-external") or [
        role for role in os.environ.get("S1HARNESS_EXTERNAL", "").split(",") if role.strip()
    ]
    where = "in memory" if bus == "memory" else f"over MQTT ({broker or 'embedded broker'})"
    if external:
        where += f"; played by other builds: {', '.join(external)}"
    run = _option(args, "--s1h-run") or os.environ.get("S1HARNESS_RUN")
    return where + (f"; run {run}" if run else "")


def _options(args: list[str], name: str) -> list[str]:
    """Every value of ``name`` in ``args`` (``--name value`` or ``--name=value``)."""
    values = []
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            values.append(args[index + 1])
        elif arg.startswith(f"{name}="):
            values.append(arg.partition("=")[2])
    return values


def _option(args: list[str], name: str) -> str | None:
    found = _options(args, name)
    return found[-1] if found else None


def _show(
    process: subprocess.Popen[bytes], progress_file: Path, tally: Tally, console: Console
) -> None:
    if not console.is_terminal:

        def line(event: dict[str, Any]) -> None:
            result = tally.take(event)
            if result is not None:
                console.print(f"  {_mark(result['outcome'])}  {result['name']}")

        _follow(process, progress_file, line)
        return
    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("collecting", total=None)

        def update(event: dict[str, Any]) -> None:
            result = tally.take(event)
            progress.update(task, total=tally.total, completed=tally.done)
            if result is not None:
                progress.update(task, description=_short(result["name"]))
                if result["outcome"] in ("failed", "broken"):
                    progress.console.print(f"  {_mark(result['outcome'])}  {result['name']}")

        _follow(process, progress_file, update)


def _mark(outcome: str) -> str:
    return {
        "passed": "[green]pass[/green]",
        "failed": "[red]FAIL[/red]",
        "broken": "[red]BROKEN[/red]",
    }.get(outcome, f"[yellow]{outcome}[/yellow]")


def _short(name: str, width: int = 60) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _finish(
    console: Console,
    tally: Tally,
    status: int,
    elapsed: float,
    places: tuple[Path, Path, Path],
    *,
    build: bool,
) -> int:
    """The failures, the counts and where everything is; 0 or 1 (a scenario failed, or the
    HTML report could not be built)."""
    reports, log, junit = places
    for failure in tally.failures:
        said = "FAILED" if failure["outcome"] == "failed" else "BROKEN"
        console.print(f"[red]{said}[/red] {failure['name']}\n        {failure['message']}")
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.counts.items()))
    console.print(f"{counts or 'no scenario ran'} in {elapsed:.1f} s (pytest log: {log})")
    console.print(f"JUnit XML:        {junit}")
    exit_status = 0 if status == 0 else 1
    if build:
        exit_status = max(exit_status, _reports(console, reports))
    return exit_status


def _reports(console: Console, reports: Path) -> int:
    """Build the Allure HTML report and the sign-off summary; 0, or 1 if the HTML could not be
    built (the sign-off summary is still written)."""
    results = reports / "allure-results"
    built = build_reports(results, reports, tools=tools_folder(), progress=console.print)
    console.print(f"allure results:   {results}")
    console.print(f"sign-off summary: {built.markdown}  {built.html}")
    console.print(f"suite:            {suite_line(built.signoff)}")
    if built.report is not None:
        console.print(f"Allure report:    {built.report.index}")
    if built.report_error is not None:
        console.print(f"[red]no Allure report: {built.report_error}[/red]")
        return 1
    return 0
