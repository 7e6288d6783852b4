"""``s1harness bench``: benchmarks that print ratios against a bound measured in the same run."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from s1harness.bench import smki as smki_bench
from s1harness.cli._output import emit

app = typer.Typer(help="Benchmarks (rates and ratios to a same-run bound).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
CountOption = Annotated[int, typer.Option("--count", min=10, help="Operations per round.")]
RoundsOption = Annotated[int, typer.Option("--rounds", min=1, help="Alternating rounds.")]


@app.command("smki")
def smki(json: JsonOption = False, count: CountOption = 500, rounds: RoundsOption = 5) -> int:
    """Certificates issued and parsed+verified per second, as ratios to raw ECDSA P-256."""
    if json:
        result = smki_bench.run(count=count, rounds=rounds)
        emit(result)
        return 0
    console = Console(stderr=True)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("bench smki", total=2 * rounds)
        result = smki_bench.run(count=count, rounds=rounds, progress=lambda: progress.advance(task))
    _table(result)
    return 0


def _table(result: dict[str, Any]) -> None:
    table = Table(
        title=f"bench {result['benchmark']} ({result['rounds']} rounds x {result['count']})"
    )
    table.add_column("measure")
    table.add_column("per second (median)", justify="right")
    table.add_column("range", justify="right")
    for name, rate in result["rates"].items():
        table.add_row(name, f"{rate['per_second']:,.0f}", f"{rate['low']:,.0f}-{rate['high']:,.0f}")
    Console().print(table)
    for name, value in result["ratios"].items():
        Console().print(f"ratio {name}: {value:.3f} (target >= {result['target']})")
