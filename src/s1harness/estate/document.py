"""Estates as YAML documents: read with every error naming its line, written back the same way.

Every scalar is read as text and converted by the field that wants it, so an all-digit EUI-64
or MPAN keeps its leading zeros and a party called ``NO`` stays a name (YAML 1.1 would make
them an integer and ``false``). Unknown fields are errors, not silently ignored.

.. code-block:: yaml

    estate: 1                       # format version
    name: small
    seed: s1harness small estate    # every key and certificate derives from it
    keys: test-pki                  # the key source (default)
    start: 2026-11-21T10:00:00Z     # the emulated clock starts here
    dsp: {mp107: true, mp058: false}
    s1sps:
      IOC: {mp107: true}
      MOC: {mp107: true, id: 90B3D51F30050002}
    parties:
      - {id: 90B3D51F30010000, name: Supplier A, roles: [IS, GS]}
      - {id: 90B3D51F30020000, name: NO 10, roles: [ED], distributor_id: 10}
    registrations:
      - {mpan: "1000000000011", supplier: 90B3D51F30010000, network_operator: 90B3D51F30020000}
    devices:
      - {id: 00DB1234567891A0, type: ESME, smets: 1, cohort: IOC, mpan: "1000000000011",
         holds: {network_operator: 90B3D51F30020001}}   # a deliberate wrong-NO placement
      - {id: 00DB1234567891A3, type: GPF, smets: 2, mprn: "0000000202",
         holds: {network_operator: placeholder}}        # the DCC's placeholder (before 6.21)
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from s1harness.estate.errors import EstateNotFoundError
from s1harness.estate.model import (
    PLACEHOLDER,
    DeviceSpec,
    DspSpec,
    Estate,
    EstateError,
    Held,
    S1spSpec,
)
from s1harness.registry.model import (
    Cohort,
    Device,
    DeviceType,
    Fuel,
    Party,
    RegistrationPeriod,
    Smets,
    SmiStatus,
)
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.mpxn import Mpan, Mprn
from s1harness.spec.users import UserRole

FORMAT = 1
REGISTERED_SINCE = "2020-01-01T00:00:00Z"
"""When a registration without ``from`` starts."""
_T = TypeVar("_T")


class _Map(dict[str, Any]):
    """A mapping that remembers the line of each of its values."""

    line: int = 0
    lines: dict[str, int]


class _Seq(list[Any]):
    """A sequence that remembers the line of each item."""

    lines: list[int]


class _LineError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class _Loader(yaml.BaseLoader):
    """Plain scalars stay text (no implicit typing); mappings keep their lines."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    out = _Map()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise _LineError(key_node.start_mark.line + 1, "a field name must be text")
        if key in out:
            raise _LineError(key_node.start_mark.line + 1, f"{key!r} is given twice")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(item, deep=True) for item in node.value)
    out.lines = [item.start_mark.line + 1 for item in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class _Reader:
    """Field conversion with the source and line in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, line: int, why: str) -> EstateError:
        return EstateError(f"{self.source}:{line}: {where}: {why}")

    def mapping(self, value: object, where: str, line: int, fields: set[str]) -> _Map:
        if not isinstance(value, _Map):
            raise self.fail(where, line, "expected a mapping of fields")
        unknown = sorted(set(value) - fields)
        if unknown:
            expected = ", ".join(sorted(fields))
            key = unknown[0]
            raise self.fail(
                f"{where}.{key}", value.lines[key], f"unknown field (known: {expected})"
            )
        return value

    def get(self, entry: _Map, key: str, where: str, convert: Callable[[str], _T]) -> _T | None:
        """The field converted, or None when it is absent."""
        if key not in entry:
            return None
        value, line = entry[key], entry.lines[key]
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", line, "expected a single value")
        try:
            return convert(value)
        except InputError as exc:
            raise self.fail(f"{where}.{key}", line, exc.message) from None

    def need(self, entry: _Map, key: str, where: str, convert: Callable[[str], _T]) -> _T:
        """The field converted; an error when it is absent."""
        value = self.get(entry, key, where, convert)
        if value is None:
            raise self.fail(where, entry.line, f"{key} is required")
        return value

    def flag(self, entry: _Map, key: str, where: str, default: bool) -> bool:
        value = self.get(entry, key, where, _bool)
        return default if value is None else value

    def items(self, entry: _Map, key: str, where: str) -> list[tuple[object, int]]:
        """The items of a list field, each with its line."""
        value = entry.get(key, _Seq())
        if not isinstance(value, _Seq):
            raise self.fail(f"{where}.{key}", entry.lines.get(key, entry.line), "expected a list")
        return list(zip(value, getattr(value, "lines", []), strict=False))


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    raise InputError(f"{text!r} is not true or false")


def _int(text: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise InputError(f"{text!r} is not a whole number") from None


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 date-time") from None
    if value.utcoffset() is None:
        raise InputError(f"{text!r} needs a time zone (e.g. Z)")
    return value


def _holder(text: str) -> Eui64 | Held:
    """A party's EUI-64, or ``placeholder`` (the DCC's placeholder certificates)."""
    return PLACEHOLDER if text.strip() == PLACEHOLDER.value else Eui64(text)


def _smets(text: str) -> Smets:
    value = {"1": Smets.SMETS1, "2": Smets.SMETS2}.get(text.strip().upper().removeprefix("SMETS"))
    if value is None:
        raise InputError(f"{text!r} is not 1 or 2")
    return value


_E = TypeVar("_E", bound=enum.StrEnum)


def _choice(kind: type[_E]) -> Callable[[str], _E]:
    def convert(text: str) -> _E:
        try:
            return kind(text.strip())
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise InputError(f"{text!r} is not one of {allowed}") from None

    return convert


def loads(text: str, source: str = "<estate>") -> Estate:
    """Read an estate document.

    Raises:
        EstateError: naming ``source``, the line and the field for anything wrong.
    """
    try:
        data = yaml.load(text, Loader=_Loader)  # a BaseLoader: no object construction
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise EstateError(f"{source}{line}: not valid YAML: {problem}") from None
    except _LineError as exc:
        raise EstateError(f"{source}:{exc.line}: {exc.message}") from None
    except RecursionError:
        raise EstateError(f"{source}: nested too deeply to be an estate") from None
    reader = _Reader(source)
    top = reader.mapping(
        data,
        "estate",
        1,
        {"estate", "name", "seed", "start", "dcc_id", "keys", "dsp", "s1sps", "parties",
         "registrations", "devices"},
    )  # fmt: skip
    version = reader.need(top, "estate", "estate", _int)
    if version != FORMAT:
        raise reader.fail("estate", top.lines["estate"], f"format {version} (this reads {FORMAT})")
    return _estate(reader, top)


def load(path: str | Path) -> Estate:
    """Read an estate file (or the ``estate.yaml`` of an estate folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "estate.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:  # nothing read: the command could not run
        raise EstateNotFoundError(f"{path}: cannot read the estate ({exc.strerror})") from None
    except UnicodeDecodeError as exc:  # read, and not an estate
        raise EstateError(f"{path}: cannot read the estate ({exc})") from None
    return loads(text, str(path))


def _estate(reader: _Reader, top: _Map) -> Estate:
    dsp = reader.mapping(top.get("dsp", _Map()), "dsp", top.lines.get("dsp", 1), {"mp107", "mp058"})
    dsp_spec = DspSpec(
        mp107=reader.flag(dsp, "mp107", "dsp", True),
        mp058=reader.flag(dsp, "mp058", "dsp", False),
    )
    name = reader.need(top, "name", "estate", str)
    seed = reader.need(top, "seed", "estate", str)
    start = reader.need(top, "start", "estate", _time)
    dcc_id = reader.get(top, "dcc_id", "estate", Eui64) or DCC_EUI
    keys = reader.get(top, "keys", "estate", str) or "test-pki"
    s1sps = _s1sps(reader, top)
    entries = reader.items(top, "parties", "estate")
    parties = tuple(_party(reader, v, i, line) for i, (v, line) in enumerate(entries))
    receive_urls = tuple(
        (party.user_id, url)
        for index, (party, (entry, _)) in enumerate(zip(parties, entries, strict=True))
        if isinstance(entry, _Map)
        and (url := reader.get(entry, "receive_url", f"parties[{index}]", str))
    )
    registrations = tuple(
        _registration(reader, v, i, line)
        for i, (v, line) in enumerate(reader.items(top, "registrations", "estate"))
    )
    devices = tuple(
        _device(reader, v, i, line)
        for i, (v, line) in enumerate(reader.items(top, "devices", "estate"))
    )
    try:
        return Estate(
            name, seed, start, dsp_spec, s1sps, parties, registrations, devices, dcc_id, keys,
            receive_urls,
        )  # fmt: skip
    except InputError as exc:  # a consistency rule across entries
        raise EstateError(f"{reader.source}: {exc.message}") from None


def _s1sps(reader: _Reader, top: _Map) -> tuple[S1spSpec, ...]:
    if "s1sps" not in top:
        return tuple(S1spSpec(c) for c in Cohort)
    cohorts = reader.mapping(top["s1sps"], "s1sps", top.lines["s1sps"], {c.value for c in Cohort})
    out = []
    for name, value in cohorts.items():
        where = f"s1sps.{name}"
        entry = reader.mapping(value, where, cohorts.lines[name], {"mp107", "id"})
        out.append(
            S1spSpec(
                Cohort(name),
                mp107=reader.flag(entry, "mp107", where, True),
                signer_id=reader.get(entry, "id", where, Eui64),
            )
        )
    return tuple(out)


def _party(reader: _Reader, value: object, index: int, line: int) -> Party:
    where = f"parties[{index}]"
    fields = {"id", "name", "roles", "distributor_id", "gas_transporter", "receive_url"}
    entry = reader.mapping(value, where, line, fields)
    roles = frozenset(
        _role(reader, role, f"{where}.roles", line)
        for role, line in reader.items(entry, "roles", where)
    )
    try:
        return Party(
            reader.need(entry, "id", where, Eui64),
            reader.need(entry, "name", where, str),
            roles,
            distributor_id=reader.get(entry, "distributor_id", where, _int),
            gas_transporter=reader.get(entry, "gas_transporter", where, str),
        )
    except EstateError:
        raise
    except InputError as exc:
        raise reader.fail(where, entry.line, exc.message) from None


def _role(reader: _Reader, value: object, where: str, line: int) -> UserRole:
    if not isinstance(value, str):
        raise reader.fail(where, line, "expected a role (IS, ES, GS, ED, GT, OU, RSA)")
    try:
        return _choice(UserRole)(value)
    except InputError as exc:
        raise reader.fail(where, line, exc.message) from None


def _registration(reader: _Reader, value: object, index: int, line: int) -> RegistrationPeriod:
    where = f"registrations[{index}]"
    fields = {"mpan", "mprn", "supplier", "network_operator", "from", "to"}
    entry = reader.mapping(value, where, line, fields)
    if ("mpan" in entry) == ("mprn" in entry):
        raise reader.fail(where, entry.line, "give exactly one of mpan and mprn")
    fuel = Fuel.ELECTRICITY if "mpan" in entry else Fuel.GAS
    try:
        return RegistrationPeriod(
            reader.need(entry, "mpan" if fuel is Fuel.ELECTRICITY else "mprn", where, str),
            fuel,
            reader.need(entry, "supplier", where, Eui64),
            reader.need(entry, "network_operator", where, Eui64),
            reader.get(entry, "from", where, _time) or _time(REGISTERED_SINCE),
            reader.get(entry, "to", where, _time),
        )
    except EstateError:
        raise
    except InputError as exc:
        raise reader.fail(where, entry.line, exc.message) from None


def _device(reader: _Reader, value: object, index: int, line: int) -> DeviceSpec:
    where = f"devices[{index}]"
    fields = {"id", "type", "smets", "cohort", "status", "mpan", "mprn", "holds"}
    entry = reader.mapping(value, where, line, fields)
    holds = reader.mapping(
        entry.get("holds", _Map()), f"{where}.holds", entry.lines.get("holds", entry.line),
        {"network_operator", "supplier"},
    )  # fmt: skip
    try:
        device = Device(
            reader.need(entry, "id", where, Eui64),
            reader.need(entry, "type", where, _choice(DeviceType)),
            reader.need(entry, "smets", where, _smets),
            reader.get(entry, "cohort", where, _choice(Cohort)),
            reader.get(entry, "status", where, _choice(SmiStatus)) or SmiStatus.COMMISSIONED,
            mpan=reader.get(entry, "mpan", where, Mpan),
            mprn=reader.get(entry, "mprn", where, Mprn),
        )
    except EstateError:
        raise
    except InputError as exc:
        raise reader.fail(where, entry.line, exc.message) from None
    return DeviceSpec(
        device,
        network_operator=reader.get(holds, "network_operator", f"{where}.holds", _holder),
        supplier=reader.get(holds, "supplier", f"{where}.holds", _holder),
    )


def dumps(estate: Estate) -> str:
    """The estate as a document :func:`loads` reads back to an equal estate."""
    data: dict[str, object] = {
        "estate": FORMAT,
        "name": estate.name,
        "seed": estate.seed,
        "start": _iso(estate.start),
    }
    if estate.dcc_id != DCC_EUI:
        data["dcc_id"] = str(estate.dcc_id)
    if estate.keys != "test-pki":
        data["keys"] = estate.keys
    data["dsp"] = {"mp107": estate.dsp.mp107, "mp058": estate.dsp.mp058}
    data["s1sps"] = {
        str(s.cohort): {"mp107": s.mp107} | ({"id": str(s.signer_id)} if s.signer_id else {})
        for s in estate.s1sps
    }
    urls = dict(estate.receive_urls)
    data["parties"] = [
        party_entry(p) | ({"receive_url": urls[p.user_id]} if p.user_id in urls else {})
        for p in estate.parties
    ]
    data["registrations"] = [_registration_entry(r) for r in estate.registrations]
    data["devices"] = [_device_entry(d) for d in estate.devices]
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    return f"# s1harness estate {estate.name!r} (format {FORMAT}; see docs/estates.md)\n{body}"


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def party_entry(party: Party) -> dict[str, object]:
    """A party as estate and provisioning documents write it."""
    entry: dict[str, object] = {
        "id": str(party.user_id),
        "name": party.name,
        "roles": sorted(str(r) for r in party.roles),
    }
    if party.distributor_id is not None:
        entry["distributor_id"] = party.distributor_id
    if party.gas_transporter is not None:
        entry["gas_transporter"] = party.gas_transporter
    return entry


def _registration_entry(period: RegistrationPeriod) -> dict[str, object]:
    key = "mpan" if period.fuel is Fuel.ELECTRICITY else "mprn"
    entry: dict[str, object] = {
        key: str(period.mpxn),
        "supplier": str(period.supplier),
        "network_operator": str(period.network_operator),
    }
    if period.effective_from != _time(REGISTERED_SINCE):
        entry["from"] = _iso(period.effective_from)
    if period.effective_to is not None:
        entry["to"] = _iso(period.effective_to)
    return entry


def _device_entry(spec: DeviceSpec) -> dict[str, object]:
    device = spec.device
    entry: dict[str, object] = {
        "id": str(device.device_id),
        "type": str(device.device_type),
        "smets": 1 if device.generation is Smets.SMETS1 else 2,
    }
    if device.cohort is not None:
        entry["cohort"] = str(device.cohort)
    if device.status is not SmiStatus.COMMISSIONED:
        entry["status"] = str(device.status)
    for key in ("mpan", "mprn"):
        if getattr(device, key) is not None:
            entry[key] = str(getattr(device, key))
    holds = {
        key: value.value if isinstance(value, Held) else str(value)
        for key, value in (("network_operator", spec.network_operator), ("supplier", spec.supplier))
        if value is not None
    }
    if holds:
        entry["holds"] = holds
    return entry


__all__ = ["FORMAT", "dumps", "load", "loads"]
