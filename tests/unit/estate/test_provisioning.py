"""Provisioning documents: what one role loads to play its part in an estate — written from a
built estate, read back naming the field of anything wrong, and the emulator built from it
holding what the estate's own holds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from s1harness.estate import build, preset
from s1harness.estate.provisioned import build_dsp, build_s1sp
from s1harness.estate.provisioning import (
    FORMAT,
    ProvisioningError,
    dumps,
    export,
    loads,
)
from s1harness.roles.s1sp.store import SlotKind, SlotRole

ESTATE = preset("small")


@pytest.fixture(scope="module")
def system():  # type: ignore[no-untyped-def]
    built = build(ESTATE, clock=lambda: ESTATE.start)
    yield built
    built.close()


def _document(system: Any, role: str) -> dict[str, Any]:
    return json.loads(dumps(export(system, role)))


@pytest.mark.parametrize("cohort", ["IOC", "MOC", "FOC"])
def test_an_s1sp_built_from_its_document_holds_what_the_estate_holds(
    system: Any, cohort: str
) -> None:
    document = loads(dumps(export(system, f"s1sp:{cohort}")))
    own = system.s1sps[cohort]
    rebuilt = build_s1sp(document, clock=lambda: ESTATE.start)
    assert rebuilt.store.snapshot() == own.store.snapshot()
    assert (rebuilt.cohort, rebuilt.mp107) == (own.cohort, own.mp107)
    assert rebuilt.signer.certificate.der == own.signer.certificate.der
    served = [s.device_id for s in ESTATE.devices if str(s.device.cohort) == cohort]
    assert served and all(rebuilt.device_key(d) == own.device_key(d) for d in served)
    for device in served:
        for role in SlotRole:
            held = own.store.slot(device, role, SlotKind.CRITICAL)
            again = rebuilt.store.slot(device, role, SlotKind.CRITICAL)
            assert (held and held.owner) == (again and again.owner)


def test_a_dsp_built_from_its_document_has_the_estates_keys_and_switches(system: Any) -> None:
    document = loads(dumps(export(system, "dsp")))
    rebuilt = build_dsp(document, clock=lambda: ESTATE.start)
    own = system.dsp
    assert rebuilt.settings.mp107 == own.settings.mp107
    assert rebuilt.credentials.xml_certificate.der == own.credentials.xml_certificate.der
    assert {e.certificate.der for e in rebuilt.credentials.keystore} == {
        e.certificate.der for e in own.credentials.keystore
    }
    assert rebuilt.registry.snapshot() == own.registry.snapshot()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: "not json", "not a JSON document"),
        (lambda d: d | {"format": "other"}, f"expected format {FORMAT!r}"),
        (lambda d: d | {"role": "s1sp:XOC"}, "document.role: 's1sp:XOC' is not one of"),
        (lambda d: d | {"mp107": "yes"}, "document.mp107: expected true or false"),
        (lambda d: d | {"clock": "tomorrow"}, "document.clock: 'tomorrow' is not an ISO 8601"),
        (lambda d: {k: v for k, v in d.items() if k != "identity"}, "document.identity: expected"),
        (lambda d: d | {"slots": [{"device": "00DB", "role": "supplier"}]}, "document.slots[0]"),
        (lambda d: d | {"devices": [{"id": "00DB111000000001", "smets": 3}]}, "devices[0].smets"),
    ],
)  # fmt: skip
def test_a_bad_document_is_refused_naming_the_field(system: Any, change: Any, message: str) -> None:
    changed = change(_document(system, "s1sp:IOC"))
    text = changed if isinstance(changed, str) else json.dumps(changed)
    with pytest.raises(ProvisioningError, match=r"^the doc: ") as raised:
        loads(text, "the doc")
    assert message in raised.value.message and "\n" not in raised.value.message


def test_an_unknown_role_is_refused(system: Any) -> None:
    with pytest.raises(Exception, match="unknown role 'devices' to provision"):
        export(system, "devices")
