"""``s1harness estate``: write an estate file from a preset, show what an estate holds, and
write the NO certificate register its network operators publish.

``init`` writes ``DIR/estate.yaml`` — the estate's one source of truth, to read, edit and
version. Running an estate (the Harness, ``s1harness up``) builds its databases from it —
except ``fia``, whose population of up to millions of device rows ``init`` writes straight
into ``DIR``'s databases (run it with ``--data-dir DIR``), with ``DIR/no-register.json``.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from s1harness.cli._output import EXIT_INVALID, emit, estate_exit_status, iso, progress_bar, warn
from s1harness.estate import Estate, EstateError, build, dumps, provisioning
from s1harness.estate.fia import (
    DEFAULT_DEVICES,
    FIA_WRONG_NO,
    WrongNo,
    emulated_count,
    generate,
    population,
)
from s1harness.estate.model import DeviceSpec
from s1harness.estate.presets import PRESETS, preset, resolve
from s1harness.registry.model import Cohort
from s1harness.registry.store import Registry
from s1harness.remediation import NoRegister, survey
from s1harness.spec.errors import InputError
from s1harness.spec.roles import RemotePartyRole

app = typer.Typer(help="Estates: write one from a preset, show one.", no_args_is_help=True)


@app.command()
def init(
    out: Annotated[Path, typer.Option("--out", help="The estate folder to write.")],
    preset_name: Annotated[
        str, typer.Option("--preset", help=f"One of: {', '.join(sorted(PRESETS))}.")
    ] = "small",
    devices: Annotated[
        int | None,
        typer.Option(
            "--devices", min=1, help=f"fia: SMETS1 devices in all (default {DEFAULT_DEVICES:,})."
        ),
    ] = None,
    wrong_share: Annotated[
        float | None,
        typer.Option(
            "--wrong-share",
            min=0.0,
            max=1.0,
            help="fia: this share of each S1SP × device type holds another NO's certificates, "
            "instead of the FIA's counts (a small estate: --devices 400 --wrong-share 0.3).",
        ),
    ] = None,
    smets2: Annotated[
        int,
        typer.Option(
            "--smets2",
            min=0,
            help="fia: also this many SMETS2 devices in the inventory (ESME, GSME, GPF per "
            "premise), each emulated when first instructed.",
        ),
    ] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing estate.yaml.")
    ] = False,
) -> int:
    """Write DIR/estate.yaml from a preset; for ``fia`` also its databases (registry, one per
    S1SP) holding the whole population, and its NO certificate register."""
    estate = preset(preset_name)
    if (devices is not None or wrong_share is not None or smets2) and preset_name != "fia":
        raise InputError("--devices, --wrong-share and --smets2 are for the fia preset")
    wrong: WrongNo | float = FIA_WRONG_NO if wrong_share is None else wrong_share
    target = out / "estate.yaml"
    if target.exists() and not force:
        warn(f"error: {target} exists (use --force to overwrite)")
        return EXIT_INVALID
    if preset_name == "fia":
        population(devices or DEFAULT_DEVICES, wrong)  # too few devices: refused before writing
    try:
        out.mkdir(parents=True, exist_ok=True)
        if preset_name == "fia":
            _remove_databases(out)
        target.write_text(dumps(estate), encoding="utf-8")
    except OSError as exc:
        warn(f"error: {target}: cannot write ({exc.strerror})")
        return EXIT_INVALID
    counts = estate.counts()
    if preset_name == "fia":
        _generate(out, devices or DEFAULT_DEVICES, wrong, smets2)
        counts["smets1"] = devices or DEFAULT_DEVICES
        counts["smets2"] = smets2
        counts["devices"] = counts["smets1"] + smets2
        counts["wrong_no"] = sum(k.wrong for k in population(devices or DEFAULT_DEVICES, wrong))
    print(
        f"wrote {target}: {counts['parties']} parties, {counts['devices']} devices "
        f"({counts['smets1']} SMETS1, {counts['smets2']} SMETS2, {counts['wrong_no']} wrong NO)"
    )
    return 0


REGISTER_FILE = "no-register.json"


def _generate(out: Path, devices: int, wrong: WrongNo | float, smets2: int) -> None:
    """The fia databases and register, with a progress bar on standard error."""
    console = Console(stderr=True)
    with progress_bar() as bar:
        task = bar.add_task("writing devices", total=devices + smets2)
        system = generate(
            out, devices=devices, wrong=wrong, smets2=smets2,
            progress=lambda n: bar.advance(task, n),
        )  # fmt: skip
        bar.advance(task, emulated_count())
    register = NoRegister.of_system(system)
    (out / REGISTER_FILE).write_text(register.dumps(), encoding="utf-8")
    console.print(
        f"{out}: registry.sqlite, s1sp-IOC/MOC/FOC.sqlite, {REGISTER_FILE} "
        f"({len(register)} published NOs)"
    )


def _remove_databases(out: Path) -> None:
    for name in ("registry", "dsp", "devices", *(f"s1sp-{c}" for c in Cohort)):
        for suffix in (".sqlite", ".sqlite-wal", ".sqlite-shm"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)


@app.command()
def register(
    estate_ref: Annotated[
        str, typer.Option("--estate", help="An estate file or folder, or a preset name.")
    ] = "small",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here (.csv for CSV), else print JSON.")
    ] = None,
) -> int:
    """The NO certificate register an estate's network operators publish (ER M31)."""
    try:
        estate = resolve(estate_ref)
    except EstateError as exc:
        warn(f"error: {exc.message}")
        return estate_exit_status(exc)
    system = build(estate, clock=lambda: estate.start)
    try:
        published = NoRegister.of_system(system)
    finally:
        system.close()
    text = published.dumps_csv() if out and out.suffix.lower() == ".csv" else published.dumps()
    return _emit(text, out, f"{len(published)} published NOs")


@app.command()
def export(
    role: Annotated[str, typer.Option("--role", help="dsp, s1sp:IOC, s1sp:MOC or s1sp:FOC.")],
    estate_ref: Annotated[
        str, typer.Option("--estate", help="An estate file or folder, or a preset name.")
    ] = "small",
    out: Annotated[Path | None, typer.Option("--out", help="Write here, else print it.")] = None,
) -> int:
    """The provisioning document of one role: what a build playing it loads (its keys, the
    certificates it trusts, registration data, inventory, slots and floors; docs/contract.md).
    These are test keys of the estate's key source: never use them anywhere else."""
    provisioning.require_role(role)  # a malformed argument: the command cannot run (2)
    try:
        estate = resolve(estate_ref)
        system = build(estate, clock=lambda: estate.start)
        try:
            text = provisioning.dumps(provisioning.export(system, role))
        finally:
            system.close()
    except InputError as exc:
        warn(f"error: {exc.message}")
        return estate_exit_status(exc)
    return _emit(text, out, f"the {role} provisioning document of estate {estate.name!r}")


def _emit(text: str, out: Path | None, what: str) -> int:
    """Print ``text``, or write it to ``out`` and say so (one line when it cannot be)."""
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        warn(f"error: {out}: cannot write ({exc.strerror})")
        return EXIT_INVALID
    print(f"wrote {out}: {what}")
    return 0


@app.command()
def show(
    estate_ref: Annotated[
        str, typer.Option("--estate", help="An estate file or folder, or a preset name.")
    ] = "small",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> int:
    """What an estate holds: switches, parties, devices and their wrong-NO placements."""
    try:
        estate = resolve(estate_ref)
    except EstateError as exc:
        warn(f"error: {exc.message}")
        return estate_exit_status(exc)
    summary = describe(estate)
    if estate.name == "fia":
        summary["population"] = _population(estate_ref, estate)
    if as_json:
        emit(summary)
    else:
        _print(summary)
    return 0


def describe(estate: Estate) -> dict[str, Any]:
    """The estate as plain data (what ``show --json`` prints)."""
    return {
        "name": estate.name,
        "seed": estate.seed,
        "start": iso(estate.start),
        "keys": estate.keys,
        "dcc_id": str(estate.dcc_id),
        "dsp": {"mp107": estate.dsp.mp107, "mp058": estate.dsp.mp058},
        "s1sps": {str(s.cohort): {"mp107": s.mp107, "id": str(s.identity)} for s in estate.s1sps},
        "counts": estate.counts(),
        "by_kind": _by_kind(estate),
        "parties": [
            {"id": str(p.user_id), "name": p.name, "roles": sorted(str(r) for r in p.roles)}
            | ({"distributor_id": p.distributor_id} if p.distributor_id is not None else {})
            for p in estate.parties
        ],
        "devices": [_device(estate, spec) for spec in estate.devices],
    }


def _population(estate_ref: str, estate: Estate) -> dict[str, Any]:
    """The fia estate's devices per kind: in an estate folder, what its databases hold — the
    inventory's devices (SMETS2 too), and the SMETS1 devices whose NO slots hold another NO's
    certificates, surveyed in its S1SP databases as the data update would at the estate's
    start; for the preset's name, what ``estate init`` writes by default."""
    folder = Path(estate_ref)
    database = folder / "registry.sqlite"
    if not database.is_file():
        default = population(DEFAULT_DEVICES)
        return {
            "source": "estate init --preset fia (default)",
            "devices": DEFAULT_DEVICES,
            "by_kind": {
                f"SMETS1 {k.cohort} {k.device_type}": {"devices": k.devices, "wrong_no": k.wrong}
                for k in default
            },
        }
    with Registry.open(database) as registry:
        counts = registry.counts_by_kind()
        wrong = _wrong_no(folder, registry, estate)
    by_kind = {
        " ".join(str(p) for p in (generation, cohort, device_type) if p): {
            "devices": n,
            "wrong_no": wrong.get((cohort, device_type), 0) if cohort else 0,
        }
        for (generation, cohort, device_type), n in sorted(counts.items(), key=_kind_order)
    }
    return {"source": str(folder), "devices": sum(counts.values()), "by_kind": by_kind}


def _kind_order(item: tuple[tuple[str, str | None, str], int]) -> tuple[str, int, str]:
    (generation, cohort, device_type), _ = item
    return generation, list(Cohort).index(Cohort(cohort)) if cohort else -1, device_type


def _wrong_no(folder: Path, registry: Registry, estate: Estate) -> dict[tuple[str, str], int]:
    """(S1SP, device type) → devices holding another NO's certificates, per S1SP database."""
    out: dict[tuple[str, str], int] = {}
    for cohort in Cohort:
        path = folder / f"s1sp-{cohort}.sqlite"
        if not path.is_file():
            continue
        with closing(sqlite3.connect(path)) as db:
            survey.load(db, cohort, registry, NoRegister(), estate.start)
            outcome = survey.survey(db, cohort)
        out |= {(str(cohort), str(kind)): n for kind, n in outcome.mismatched.items()}
    return out


def _by_kind(estate: Estate) -> dict[str, dict[str, int]]:
    """Devices per "SMETS1 IOC ESME"-style kind, with how many hold a wrong NO."""
    total: Counter[tuple[str, int, str]] = Counter()
    wrong: Counter[tuple[str, int, str]] = Counter()
    for spec in estate.devices:
        d = spec.device
        key = (str(d.generation), list(Cohort).index(d.cohort) if d.cohort else -1, d.device_type)
        total[key] += 1
        wrong[key] += estate.wrong_network_operator(spec)
    return {
        " ".join(p for p in (gen, str(list(Cohort)[c]) if c >= 0 else "", kind) if p): {
            "devices": n,
            "wrong_no": wrong[(gen, c, kind)],
        }
        for (gen, c, kind), n in sorted(total.items())
    }


def _device(estate: Estate, spec: DeviceSpec) -> dict[str, Any]:
    d = spec.device
    link = d.linked_mpxn
    period = estate.registration(link[0]) if link else None
    held = estate.holder(spec, RemotePartyRole.NETWORK_OPERATOR)
    return {
        "id": str(d.device_id),
        "type": str(d.device_type),
        "smets": str(d.generation),
        "cohort": str(d.cohort) if d.cohort else None,
        "status": str(d.status),
        "mpxn": str(link[0]) if link else None,
        "registered_network_operator": str(period.network_operator) if period else None,
        "holds_network_operator": str(held) if held else None,
        "wrong_no": estate.wrong_network_operator(spec),
    }


def _print(summary: dict[str, Any]) -> None:
    console = Console()
    switches = ", ".join(
        f"{cohort} MP107 {'on' if s['mp107'] else 'off'}" for cohort, s in summary["s1sps"].items()
    )
    console.print(
        f"[bold]{summary['name']}[/bold] — starts {summary['start']}, keys {summary['keys']}; "
        f"DSP MP107 {'on' if summary['dsp']['mp107'] else 'off'}, "
        f"SECMP0058 {'on' if summary['dsp']['mp058'] else 'off'}; {switches}"
    )
    table = Table("emulated devices", "count", "wrong NO")
    for kind, row in summary["by_kind"].items():
        table.add_row(kind, str(row["devices"]), str(row["wrong_no"]))
    console.print(table)
    rows = summary.get("population")
    if rows is not None:
        table = Table("all devices", "count", "wrong NO", title=rows["source"])
        for kind, row in rows["by_kind"].items():
            table.add_row(kind, f"{row['devices']:,}", f"{row['wrong_no']:,}")
        table.add_row("total", f"{rows['devices']:,}", "")
        console.print(table)
    console.print(f"{len(summary['parties'])} parties")
