"""Estate documents: round trips, and every kind of bad input named by line and field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from s1harness.estate import Estate, EstateError, dumps, load, loads, preset
from s1harness.estate.model import PLACEHOLDER, DeviceSpec
from s1harness.registry.model import Cohort, Device, DeviceType, Smets, SmiStatus
from s1harness.spec.roles import RemotePartyRole

MINIMAL = """\
estate: 1
name: tiny
seed: tiny seed
start: 2026-11-21T10:00:00Z
parties:
  - {id: 90B3D51F30010000, name: Supplier, roles: [IS, GS]}
  - {id: 90B3D51F30020000, name: NO, roles: [ED], distributor_id: 10}
  - {id: 90B3D51F30020001, name: Other NO, roles: [ED], distributor_id: 12}
registrations:
  - {mpan: "1000000000012", supplier: 90B3D51F30010000, network_operator: 90B3D51F30020000}
devices:
  - id: 0012345678901234
    type: ESME
    smets: 1
    cohort: IOC
    mpan: "1000000000012"
    holds: {network_operator: 90B3D51F30020001}
"""


def test_the_small_preset_round_trips() -> None:
    estate = preset("small")
    assert loads(dumps(estate)) == estate


def test_a_minimal_document_reads_as_written() -> None:
    estate = loads(MINIMAL, "tiny.yaml")
    assert estate.keys == "test-pki" and estate.dsp.mp107 and not estate.dsp.mp058
    assert [str(s.cohort) for s in estate.s1sps] == ["IOC", "MOC", "FOC"]
    device = estate.devices[0]
    assert device.device_id == "0012345678901234"  # all digits, leading zeros kept
    assert estate.party("90B3D51F30020000").name == "NO"  # type: ignore[union-attr]  # not false
    assert estate.wrong_network_operator(device)
    assert estate.counts()["wrong_no"] == 1
    assert loads(dumps(estate)) == estate


def test_an_estate_folder_reads_its_estate_yaml(tmp_path: Path) -> None:
    (tmp_path / "estate.yaml").write_text(MINIMAL)
    assert load(tmp_path).name == "tiny"
    with pytest.raises(EstateError, match="cannot read the estate"):
        load(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("cohort: IOC", "cohort: XOC"), r"tiny.yaml:15: devices\[0\].cohort: 'XOC' is not"),
        (("type: ESME", "type: TOASTER"), r":13: devices\[0\].type: 'TOASTER' is not one of"),
        (("smets: 1", "smets: 3"), r":14: devices\[0\].smets: '3' is not 1 or 2"),
        (("    cohort: IOC\n", "    cohort: IOC\n    colour: red\n"),
         r":16: devices\[0\].colour: unknown field"),
        (("estate: 1", "estate: 2"), r":1: estate: format 2 \(this reads 1\)"),
        (("seed: tiny seed\n", ""), r"estate: seed is required"),
        (("id: 0012345678901234", "id: 00123"), r":12: devices\[0\].id: not an EUI-64"),
        (("roles: [ED], distributor_id: 10", "roles: [XX]"), r":7: parties\[1\].roles: 'XX' is"),
        (("start: 2026-11-21T10:00:00Z", "start: 2026-11-21T10:00:00"),
         r":4: estate.start: .* needs a time zone"),
        (("start: 2026-11-21T10:00:00Z", "start: tomorrow"), r"not an ISO 8601 date-time"),
        (('mpan: "1000000000012", supplier', 'mpan: "1000000000013", supplier'), r"check digit"),
        (("name: tiny", "name: tiny\nname: again"), r"tiny.yaml:3: 'name' is given twice"),
        (("parties:", "parties: {}\nx:"), r"tiny.yaml:7: estate.x: unknown field"),
        (("devices:\n", "devices: [\n"), r"tiny.yaml:\d+: not valid YAML"),
    ],
)  # fmt: skip
def test_bad_documents_name_the_line_and_field(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in MINIMAL
    with pytest.raises(EstateError, match=message):
        loads(MINIMAL.replace(old, new, 1), "tiny.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("network_operator: 90B3D51F30020001}", "network_operator: 90B3D51F30010000}"),
         "does not hold the ED role"),
        (('mpan: "1000000000012"\n', 'mpan: "1000000000030"\n'), "has no registration"),
        (("cohort: IOC", "cohort: IOC\n    status: Bogus"), "is not one of"),
        (("network_operator: 90B3D51F30020000}", "network_operator: 90B3D51F30099999}"),
         "90B3D51F30099999 is not a party of the estate"),
        (("- {id: 90B3D51F30020001", "- {id: 90B3D51F30010000"), "appears more than once"),
        (("roles: [IS, GS]", "roles: [IS, ED]"), "both a supplier and a network operator"),
    ],
)  # fmt: skip
def test_inconsistent_estates_are_refused(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in MINIMAL
    with pytest.raises(EstateError, match=message):
        loads(MINIMAL.replace(old, new, 1), "tiny.yaml")


def test_a_list_field_must_be_a_list() -> None:
    text = MINIMAL.split("parties:", maxsplit=1)[0] + "parties: {}\n"
    with pytest.raises(EstateError, match=r"tiny.yaml:5: estate.parties: expected a list"):
        loads(text, "tiny.yaml")


def test_model_rules_apply_to_estates_built_in_code() -> None:
    small = preset("small")
    gsme = next(d for d in small.devices if d.device.device_type is DeviceType.GSME)
    holding = DeviceSpec(gsme.device, network_operator=small.parties[3].user_id)
    with pytest.raises(EstateError, match="a GSME holds no Network Operator"):
        dataclasses.replace(small, devices=(*small.devices[:-2], holding))
    smets1_gsme = Device(
        "00DB113000000099", DeviceType.GSME, Smets.SMETS1, Cohort.IOC, SmiStatus.COMMISSIONED
    )
    with pytest.raises(EstateError, match="a SMETS1 device is one of ESME, GPF"):
        dataclasses.replace(small, devices=(DeviceSpec(smets1_gsme),))
    no_foc = tuple(s for s in small.s1sps if s.cohort is not Cohort.FOC)
    with pytest.raises(EstateError, match="no S1SP serves cohort FOC"):
        dataclasses.replace(small, s1sps=no_foc)
    with pytest.raises(EstateError, match="unknown key source 'vault'"):
        dataclasses.replace(small, keys="vault")
    assert isinstance(dataclasses.replace(small, devices=()), Estate)


def test_placeholder_holdings_read_and_write() -> None:
    text = MINIMAL.replace(
        "holds: {network_operator: 90B3D51F30020001}",
        "holds: {network_operator: placeholder, supplier: placeholder}",
    )
    estate = loads(text, "tiny.yaml")
    device = estate.devices[0]
    assert device.network_operator is PLACEHOLDER and device.supplier is PLACEHOLDER
    assert estate.holder(device, RemotePartyRole.NETWORK_OPERATOR) is None
    assert not estate.wrong_network_operator(device)
    assert "network_operator: placeholder" in dumps(estate)
    assert loads(dumps(estate)) == estate
    with pytest.raises(EstateError, match=r"holds.network_operator: not an EUI-64"):
        loads(text.replace("network_operator: placeholder", "network_operator: nobody"), "t")
