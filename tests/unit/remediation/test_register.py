"""The published NO certificate register: built from an estate, written and read as JSON and
CSV, and every bad entry refused with one line naming the file and the entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1harness.estate.fia import distributor, gas_transporter, parties
from s1harness.remediation import NoRegister
from s1harness.spec.errors import InputError

from .support import register


@pytest.fixture(scope="module")
def published() -> NoRegister:
    return register()


def test_every_network_operator_publishes_under_its_distributor_id_or_network(
    published: NoRegister,
) -> None:
    assert len(published) == 14 + 8
    by_id = {p.user_id: p for p in parties()}
    entry = published.for_party(by_id[distributor(17)])
    assert entry is not None and entry.distributor_id == 17
    assert entry.network_operator == distributor(17)
    assert entry.ds.eui == entry.ka.eui == distributor(17)
    gas = published.for_party(by_id[gas_transporter(3)])
    assert gas is not None and gas.network_operator == gas_transporter(3)
    assert published.for_party(next(p for p in parties() if p.name == "Supplier 1")) is None


@pytest.mark.parametrize("name", ["register.json", "register.csv"])
def test_a_written_register_reads_back_the_same(
    published: NoRegister, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_text(published.dumps_csv() if name.endswith(".csv") else published.dumps())
    again = NoRegister.load(path)
    assert [e.as_dict() for e in again.entries] == [e.as_dict() for e in published.entries]


def _write(tmp_path: Path, published: NoRegister, change: dict[str, object]) -> Path:
    data = json.loads(published.dumps())
    data["entries"][0].update(change)
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"ds": "not base64!"}, "the ds certificate is not base64"),
        ({"ka": "MIIB"}, "the ka certificate"),
        ({"network_operator": "90B3D51F30020011"}, "not 90B3D51F30020011's"),
        ({"gas_transporter": "Wales"}, "give a distributor_id or a gas_transporter, not both"),
        ({"distributor_id": "ten"}, "distributor_id 'ten' is not a number"),
        ({"distributor_id": 11}, "11 is published twice"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_entry(
    published: NoRegister, tmp_path: Path, change: dict[str, object], why: str
) -> None:
    path = _write(tmp_path, published, change)
    with pytest.raises(InputError) as raised:
        NoRegister.load(path)
    assert str(path) in raised.value.message and why in raised.value.message
    assert "\n" not in raised.value.message


def test_swapped_certificates_are_refused(published: NoRegister, tmp_path: Path) -> None:
    first = json.loads(published.dumps())["entries"][0]
    path = _write(tmp_path, published, {"ds": first["ka"], "ka": first["ds"]})
    with pytest.raises(InputError, match="the ds certificate's key usage"):
        NoRegister.load(path)


def test_a_file_that_is_not_a_register_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"entries": []}')
    with pytest.raises(InputError, match="not an NO register"):
        NoRegister.load(path)
    path.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        NoRegister.load(path)
    csv = tmp_path / "r.csv"
    csv.write_text("distributor_id,ds\n10,x\n")
    with pytest.raises(InputError, match="lacks ka"):
        NoRegister.load(csv)
    with pytest.raises(InputError, match="cannot read"):
        NoRegister.load(tmp_path / "missing.json")
