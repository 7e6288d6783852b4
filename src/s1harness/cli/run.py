"""``s1harness run``: the main job.

Runs the MP107 scenarios of DESIGN §3.4 — positive NO handover, negative Supplier and other
roles, partial S1SP rollout and the switch-off deadlock for IOC, MOC and FOC × ESME and GPF,
the SMETS2 baseline and bad input — each on a fresh ``small`` estate in memory, and prints a
result per scenario; exit status 1 if any failed. (The Gherkin feature suites, the MQTT
runtime and the Allure reports build on the same Harness.)
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from s1harness import __version__
from s1harness.duis.schema import load_schema
from s1harness.spec.errors import HarnessError
from s1harness.testing import Harness
from s1harness.testing.scenarios import Scenario, catalogue


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    passed: bool
    detail: str
    seconds: float


async def _run_one(scenario: Scenario) -> Result:
    start = time.perf_counter()
    try:
        async with Harness.start(scenario.estate) as harness:
            await scenario.check(harness)
    except (HarnessError, TimeoutError) as failure:
        return Result(scenario, False, str(failure), time.perf_counter() - start)
    return Result(scenario, True, "", time.perf_counter() - start)


async def _run_all(scenarios: list[Scenario], console: Console) -> list[Result]:
    results: list[Result] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scenarios", total=len(scenarios))
        for scenario in scenarios:
            progress.update(task, description=scenario.name)
            results.append(await _run_one(scenario))
            progress.advance(task)
    return results


def run(
    select: Annotated[
        str | None, typer.Option("-k", help="Run only scenarios whose name contains this.")
    ] = None,
) -> int:
    """Run the MP107 scenarios on the emulated estate (in memory); exit 1 if any fails."""
    console = Console(highlight=False)
    load_schema()  # the DSP validates every request: no XSD, no run (one-line error)
    scenarios = [s for s in catalogue() if select is None or select.lower() in s.name.lower()]
    if not scenarios:
        console.print(f"no scenario matches {select!r}")
        return 1
    console.print(f"s1harness {__version__}: {len(scenarios)} scenarios, estate 'small', in memory")
    started = time.perf_counter()
    results = asyncio.run(_run_all(scenarios, console))
    for result in results:
        mark = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
        console.print(f"  {mark}  {result.scenario.name}  ({result.seconds * 1000:.0f} ms)")
        if not result.passed:
            console.print(f"        {result.detail}")
    failed = sum(not r.passed for r in results)
    elapsed = time.perf_counter() - started
    console.print(f"{len(results) - failed} passed, {failed} failed in {elapsed:.1f} s")
    return 1 if failed else 0
