"""SMETS1 device state kept in SQLite: what is saved is what comes back, for an ESME and a GPF,
and a row that cannot be read is a one-line error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.roles.smets1.bodies import CertificateId
from s1harness.roles.smets1.codes import SupplyState
from s1harness.roles.smets1.device import CredentialRecord, DeviceState
from s1harness.roles.smets1.esme import EsmeState
from s1harness.roles.smets1.store import DeviceStore
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

ESME, GPF = Eui64("00DB123456789001"), Eui64("00DB123456789002")
CREDENTIALS = {
    RemotePartyRole.NETWORK_OPERATOR: CredentialRecord(
        3, CertificateId(0x64BAD303C5686F37, "T1"), CertificateId(1 << 150, "Z1")
    ),
    RemotePartyRole.SUPPLIER: CredentialRecord(1, None, CertificateId(7, "T1")),
}


def test_what_is_saved_comes_back_after_reopening(tmp_path: Path) -> None:
    esme = EsmeState(41, 57, CREDENTIALS, datetime(2026, 11, 21, 10, tzinfo=UTC),
                     SupplyState.DISCONNECTED, 12_345)  # fmt: skip
    gpf = DeviceState(9, 2, {}, None)
    store = DeviceStore.open(tmp_path / "devices.sqlite")
    store.save(ESME, esme)
    store.save(GPF, DeviceState(1, 1))
    store.save(GPF, gpf)  # the last save is what is kept
    store.close()
    again = DeviceStore.open(tmp_path / "devices.sqlite")
    assert again.load(ESME) == esme
    assert again.load(GPF) == gpf
    assert type(again.load(GPF)) is DeviceState
    assert again.load(Eui64("00DB123456789003")) is None
    again.close()


@pytest.mark.parametrize(
    "stored",
    ['{"version": 9}', "[]", "not json",
     '{"version": 1, "instruction_floor": 1, "sequence": 1, "credentials": [], '
     '"outage_start": null}'],
)  # fmt: skip
def test_a_stored_state_that_cannot_be_read_is_one_line(tmp_path: Path, stored: str) -> None:
    store = DeviceStore.open(tmp_path / "devices.sqlite")
    store.save(GPF, DeviceState(9, 2))
    store._db.execute("UPDATE smets1_device SET state = ?", (stored,))
    with pytest.raises(InputError, match="stored state cannot be read") as refused:
        store.load(GPF)
    assert "\n" not in refused.value.message
    store.close()
    (tmp_path / "not-a-db").write_bytes(b"x" * 4096)
    with pytest.raises(InputError, match="not a SMETS1 device store"):
        DeviceStore.open(tmp_path / "not-a-db")
