"""``s1harness bench``: benchmarks that print ratios against a bound measured in the same run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from s1harness.bench import bus as bus_bench
from s1harness.bench import campaign as campaign_bench
from s1harness.bench import duis as duis_bench
from s1harness.bench import gbcs as gbcs_bench
from s1harness.bench import remediation as remediation_bench
from s1harness.bench import smki as smki_bench
from s1harness.cli._output import emit, progress_bar, warn
from s1harness.duis import xml
from s1harness.duis.signature import sign
from s1harness.duis.verifying import originator
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import MacEnvelope, decode, frame_octets
from s1harness.smki.keystore import Keystore
from s1harness.spec.errors import InputError
from s1harness.spec.roles import RemotePartyRole

app = typer.Typer(help="Benchmarks (rates and ratios to a same-run bound).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Exit 1 when a ratio or time misses its target.")
]
CountOption = Annotated[int, typer.Option("--count", min=10, help="Operations per round.")]
RoundsOption = Annotated[int, typer.Option("--rounds", min=1, help="Alternating rounds.")]


@app.command("smki")
def smki(
    json: JsonOption = False,
    count: CountOption = 500,
    rounds: RoundsOption = 5,
    check: CheckOption = False,
) -> int:
    """Certificates issued and parsed+verified per second, as ratios to raw ECDSA P-256."""
    return _report(
        lambda p: smki_bench.run(count=count, rounds=rounds, progress=p),
        2 * rounds,
        json,
        check=check,
    )


@app.command("gbcs")
def gbcs(
    json: JsonOption = False,
    check: CheckOption = False,
    count: CountOption = 1000,
    rounds: RoundsOption = 5,
    vectors: Annotated[
        Path | None,
        typer.Option("--vectors", help="An RTDS folder (with keystore/) to take frames from."),
    ] = None,
) -> int:
    """Frames decoded, signatures verified, and full inspection against raw ECDSA verify."""
    frames, keystore = _rtds_frames(vectors) if vectors else (None, None)
    return _report(
        lambda p: gbcs_bench.run(
            frames=frames, keystore=keystore, count=count, rounds=rounds, progress=p
        ),
        2 * rounds,
        json,
        check=check,
    )


@app.command("duis")
def duis(
    json: JsonOption = False,
    check: CheckOption = False,
    count: CountOption = 300,
    rounds: RoundsOption = 5,
    vectors: Annotated[
        Path | None,
        typer.Option("--vectors", help="A vectors folder: sign its DUIS templates with ZAZ1 keys."),
    ] = None,
) -> int:
    """DUIS requests validated and signature-verified per second against raw ECDSA verify."""
    documents, keystore = _signed_templates(vectors) if vectors else (None, None)
    return _report(
        lambda p: duis_bench.run(
            documents=documents, keystore=keystore, count=count, rounds=rounds, progress=p
        ),
        rounds,
        json,
        check=check,
    )


@app.command("bus")
def bus(
    json: JsonOption = False,
    check: CheckOption = False,
    count: Annotated[int, typer.Option("--count", min=4, help="Round trips per round.")] = 40,
    rounds: RoundsOption = 3,
    window: Annotated[int, typer.Option("--window", min=1, help="Round trips in flight.")] = 4,
    only: Annotated[str | None, typer.Option("--bus", help="Just one bus: memory or mqtt.")] = None,
) -> int:
    """SMETS1 6.15.1 round trips per second, in memory and over MQTT, against their ECDSA work."""
    buses = (only,) if only else ("memory", "mqtt")
    if only is not None and only not in bus_bench.TARGETS:
        raise InputError(f"unknown bus {only!r} (memory or mqtt)")
    return _report(
        lambda p: bus_bench.run(count=count, rounds=rounds, window=window, buses=buses, progress=p),
        rounds * len(buses),
        json,
        check=check,
    )


@app.command("remediate")
def remediate(
    json: JsonOption = False,
    check: CheckOption = False,
    devices: Annotated[
        int, typer.Option("--devices", min=1000, help="SMETS1 devices, all but a few wrong-NO.")
    ] = remediation_bench.REMEDIATE_DEVICES,
) -> int:
    """Devices the Requirement 2 data update corrects per second, against a plain UPDATE."""
    return _report(
        lambda p: remediation_bench.run_remediate(devices=devices, progress=p), 3, json, check=check
    )


@app.command("campaign")
def campaign(
    json: JsonOption = False,
    check: CheckOption = False,
    devices: Annotated[
        int, typer.Option("--devices", min=100, help="SMETS1 devices of the fia estate.")
    ] = campaign_bench.DEVICES,
    share: Annotated[
        float,
        typer.Option("--wrong-share", min=0.0, max=1.0, help="Share holding a wrong NO's."),
    ] = campaign_bench.SHARE,
    rounds: RoundsOption = 3,
    window: Annotated[int, typer.Option("--window", min=1, help="Devices in flight.")] = 32,
    bus_kind: Annotated[str, typer.Option("--bus", help="memory or mqtt.")] = "memory",
) -> int:
    """Devices the Requirement 1 campaign corrects per second, against their ECDSA work."""
    return _report(
        lambda p: campaign_bench.run(
            devices=devices, share=share, rounds=rounds, window=window, bus=bus_kind, progress=p
        ),
        rounds,
        json,
        check=check,
    )


@app.command("estate")
def estate(json: JsonOption = False, check: CheckOption = False) -> int:
    """Devices per second written generating the fia estate (its databases)."""
    return _report(lambda p: remediation_bench.run_estate(progress=p), 1, json, check=check)


def _signed_templates(folder: Path) -> tuple[list[bytes], Keystore]:
    """The request templates under ``folder``, each signed with its originator's ZAZ1 key."""
    keystore = Keystore.load(folder / "smki")
    documents = []
    for path in sorted((folder / "duis" / "requests").glob("*.XML")):
        root = xml.parse(path.read_bytes())
        users = keystore.find(eui=originator(root), role=RemotePartyRole.XML_SIGN)
        if users and users[0].private_key is not None:
            signed = sign(root, users[0].private_key, users[0].certificate)
            documents.append(xml.serialise(signed))
    if not documents:
        raise InputError(f"{folder}: no DUIS request template with a ZAZ1 signing key")
    return documents, keystore


def _rtds_frames(folder: Path) -> tuple[list[bytes], Keystore]:
    """Every signed frame under ``folder`` whose originator the folder's keystore knows."""
    if not (folder / "keystore").is_dir():
        raise InputError(f"{folder}: expected an RTDS folder with a keystore/ sub-folder")
    keystore = Keystore.load(folder / "keystore")
    frames = []
    for path in sorted(folder.rglob("*.HEX")):
        try:
            data = frame_octets(path.read_bytes())
            frame = decode(data)
        except GbcsError:
            continue
        apdu = frame.apdu if isinstance(frame, MacEnvelope) else frame
        if apdu.signature is not None and keystore.find(eui=apdu.originator):
            frames.append(data)
    if not frames:
        raise InputError(f"{folder}: no signed frame with a known signer")
    return frames, keystore


def _report(
    run: Callable[[Callable[[], None]], dict[str, Any]], steps: int, json: bool, *, check: bool
) -> int:
    """Run the benchmark, print its result; with ``check``, 1 when a target is missed."""
    if json:
        result = run(lambda: None)
        emit(result)
    else:
        with progress_bar() as progress:
            task = progress.add_task("benchmark", total=steps)
            result = run(lambda: progress.advance(task))
        _table(result)
    missed = missed_targets(result)
    if check and missed:
        warn(f"target missed: {'; '.join(missed)}")
        return 1
    return 0


def missed_targets(result: dict[str, Any]) -> list[str]:
    """Each ratio below its target and each time over its target, said in a few words."""
    targets = result.get("targets", {})
    missed = []
    for name, value in result["ratios"].items():
        target = targets.get(name, result.get("target"))
        if target is not None and value < target:
            missed.append(f"ratio {name} {value:.3f} < {target}")
    for name, value in result.get("seconds", {}).items():
        target = targets.get(f"{name} seconds")
        if target is not None and value >= target:
            missed.append(f"{name} {value:.2f} s >= {target:g} s")
    return missed


def _table(result: dict[str, Any]) -> None:
    title = f"bench {result['benchmark']} ({result['rounds']} rounds x {result['count']})"
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("per second (median)", justify="right")
    table.add_column("range", justify="right")
    for name, rate in result["rates"].items():
        low, high = rate["low"], rate["high"]
        table.add_row(name, f"{rate['per_second']:,.0f}", f"{low:,.0f}-{high:,.0f}")
    console = Console()
    console.print(table)
    for name, value in result["ratios"].items():
        target = result.get("targets", {}).get(name, result.get("target"))
        console.print(f"ratio {name}: {value:.3f} (target >= {target})")
    for name, value in result.get("seconds", {}).items():
        target = result.get("targets", {}).get(f"{name} seconds")
        console.print(f"{name}: {value:.2f} s" + (f" (target < {target:g} s)" if target else ""))
    for name, value in result.get("ceilings", {}).items():
        console.print(
            f"ceiling {name}: {value:.3f} (one process with only the ECDSA and the "
            f"{result['xml_floor_us'][name]:,.0f} us of libxml2 work of a round trip)"
        )
