"""``s1harness conform ROLE --broker URL``: a build's conformance report.

Runs the feature suite with ROLE played by the build under test — a Service Provider's S1SP
or DSP connected to the broker at URL, serving the run ID given (``default`` unless told) —
which is told over its control channel to load each scenario's estate. Then writes
``conformance.md`` and ``conformance.json`` beside the sign-off summary: each check of the role,
in order, with its verdict (pass, fail, not observable, not applicable) and the scenarios
behind it (:mod:`s1harness.reporting.conformance`); the sign-off names the verdict. For an
S1SP only the scenarios on its cohort's devices run, unless ``-k`` says otherwise. Extra
arguments go to pytest. Exits 0 when every check the suite judged passed, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from s1harness.cli.run import run_suite
from s1harness.reporting.conformance import as_json, as_markdown, conformance, read_verdicts
from s1harness.reporting.wording import CONFORMANCE
from s1harness.services.mqtt import parse_url
from s1harness.spec.bus import DEFAULT_RUN, run_id
from s1harness.spec.errors import InputError
from s1harness.testing.harness import EXTERNAL_ROLES

ROLES = tuple(role for role in EXTERNAL_ROLES if role != "devices")


def conform(
    context: typer.Context,
    role: Annotated[str, typer.Argument(help="The role the build plays: dsp or s1sp:COHORT.")],
    broker: Annotated[
        str, typer.Option("--broker", help="mqtt[s]://HOST:PORT the build is connected to.")
    ],
    run: Annotated[str, typer.Option("--run", help="The run ID the build serves.")] = DEFAULT_RUN,
    reports: Annotated[
        Path, typer.Option("--reports", help="Where results, reports and the log go.")
    ] = Path("reports"),
) -> int:
    """Run the feature suite against a build playing ROLE; write its conformance report."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    parse_url(broker)
    run_id(run)
    args = list(context.args)
    if role != "dsp" and "-k" not in args:
        args = ["-k", role.removeprefix("s1sp:"), *args]
    verdicts = (reports if reports.is_absolute() else Path.cwd() / reports) / "verdicts.jsonl"

    def report(folder: Path) -> None:
        found = conformance(role, read_verdicts(folder / "verdicts.jsonl"))
        (folder / CONFORMANCE).write_text(json.dumps(as_json(found), indent=1) + "\n")
        (folder / CONFORMANCE).with_suffix(".md").write_text(as_markdown(found))
        print(f"conformance:      {found.verdict} — {folder / CONFORMANCE.replace('json', 'md')}")
        conforming[0] = found.verdict == "PASS"

    conforming = [False]
    verdicts.unlink(missing_ok=True)
    (verdicts.parent / CONFORMANCE).unlink(missing_ok=True)
    target = ["--s1h-broker", broker, "--s1h-external", role, "--s1h-run", run]
    status = run_suite(
        reports, [*target, f"--s1h-verdicts={verdicts}", *args], report=True, after=report
    )
    return status if status > 1 else (0 if conforming[0] and status == 0 else 1)
