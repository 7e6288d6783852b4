"""SMETS2 devices emulated on demand: a fia estate with thousands of SMETS2 inventory rows
starts with none of them built; a command to one builds that one, commissioned for the parties
registered for its meter point, and it answers through the DSP as an estate document's device
does; started again on the same folder, it carries on from the state it was left in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from s1harness.cli import main
from s1harness.estate.conventions import device_id
from s1harness.registry.model import DeviceType, Smets
from s1harness.roles.smets2.cells import NETWORK_OPERATOR_DS
from s1harness.spec.roles import RemotePartyRole
from s1harness.testing import Harness, refusal
from s1harness.testing.expectations import device_response

pytestmark = [pytest.mark.vectors, pytest.mark.slow]

SMETS2 = 3000
"""SMETS2 devices in the inventory: ESME, GSME, GPF per premise (device n = 3k+1 is an ESME,
3k+2 a GSME, 3k+3 a GPF)."""


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("smets2") / "fia"
    assert main(["estate", "init", "--preset", "fia", "--devices", "400", "--wrong-share",
                 "0.3", "--smets2", str(SMETS2), "--out", str(folder)]) == 0  # fmt: skip
    return folder


async def test_an_inventory_smets2_device_is_built_when_instructed_and_answers(
    estate: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "fia"
    shutil.copytree(estate, folder)
    esme = device_id(Smets.SMETS2, None, DeviceType.ESME, SMETS2 - 2)
    gpf = device_id(Smets.SMETS2, None, DeviceType.GPF, SMETS2)
    async with Harness.start(folder, data_dir=folder) as h:
        assert len(h.system.smets2) == 0  # the fia document lists no SMETS2 device
        for device in (esme, gpf):
            row = h.system.registry.device(device)
            assert row is not None and row.generation is Smets.SMETS2
            registered = h.registration(row.mpan or row.mprn)  # type: ignore[arg-type]
            assert registered is not None
            operator = registered.network_operator
            body = h.bodies.update_credentials(operator)
            device_response(await h.outcome(await h.send(operator, device, "6.15.1", body)), device)
            assert h.cells(device).certificate(NETWORK_OPERATOR_DS).eui == operator  # type: ignore[union-attr]
            # its Supplier is no Network Operator: the DSP refuses it, as for any device
            refused = await h.send(registered.supplier, device, "6.15.1", body)
            assert refusal(await h.outcome(refused)) == "E061501"
        assert set(dict(h.system.smets2.items())) == {esme, gpf}  # nothing else was built
        await h.settle()
        floors = {device: h.system.smets2[device].floors for device in (esme, gpf)}
    assert all(f.floor(RemotePartyRole.NETWORK_OPERATOR) > 0 for f in floors.values())
    async with Harness.start(folder, data_dir=folder) as again:  # built again from the folder
        assert {device: again.system.smets2[device].floors for device in floors} == floors
