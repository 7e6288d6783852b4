"""``s1harness up`` whose S1SP has one check broken on purpose — a mutant, to show the feature
suite fails an S1SP that lacks it. Run as ``python tests/mutants/s1sp.py MUTANT up ARGS...``.

Mutants: ``S1VE1`` (no countersignature check), ``S1VE2`` (no authorising signature check),
``S1VE3`` (no execution counter check), ``S1VE4`` (no registration data check), ``S1VE64`` (no
owner check), ``corrupts`` (every refusal also writes the certificates the refused request
carried into the device's NO slot — a refusal that changes state).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import GeneralSigningApdu
from s1harness.roles import countersigned
from s1harness.roles.s1sp import checks, service
from s1harness.roles.s1sp.store import SlotKind, SlotRole
from s1harness.smki.certificate import cached_certificate
from s1harness.spec.checks import Refusal
from s1harness.spec.roles import KeyUsage


def _no_countersignature_check() -> None:
    def countersignature(root: Any, keystore: Any, dsp_eui: Any) -> Any:
        return countersigned.parse(root)  # whoever signed it

    checks.countersignature = countersignature


def _no_authorisation_check() -> None:
    def authorisation(store: Any, cs: Any, slot: Any, precommand: Any = None) -> Any:
        apdu = (precommand or checks.SignedPrecommand(cs.signed_precommand)).frame()
        assert isinstance(apdu, GeneralSigningApdu)
        return apdu

    checks.authorisation = authorisation


def _no_counter_check() -> None:
    checks.counter = lambda store, cs, slot, value: None


def _no_rdp_check() -> None:
    checks.rdp = lambda registry, cs, request, **kw: None


def _no_owner_check() -> None:
    checks.owner = lambda store, cs, request, slot: None


def _corrupts_on_refusal() -> None:
    original = service.S1sp._checked

    def checked(self: service.S1sp, cs: Any, request: Any) -> Any:
        try:
            return original(self, cs, request)
        except Refusal:
            _write_carried(self, cs)
            raise

    service.S1sp._checked = checked  # type: ignore[method-assign]


def _write_carried(s1sp: service.S1sp, cs: Any) -> None:
    precommand = checks.SignedPrecommand(cs.signed_precommand)
    try:
        apdu = precommand.frame()
        assert isinstance(apdu, GeneralSigningApdu)
        payload = precommand.payload(apdu)
    except GbcsError:
        return
    certificates = {
        SlotKind.CRITICAL if r.target.key_usage is KeyUsage.DIGITAL_SIGNATURE
        else SlotKind.NON_CRITICAL: cached_certificate(r.certificate)
        for r in payload.replacements
        if int(r.target.cell_usage) == 0
    }  # fmt: skip
    if certificates:
        s1sp.store.replace(cs.device_id, SlotRole.NETWORK_OPERATOR, certificates, floor=None)


MUTANTS: dict[str, Callable[[], None]] = {
    "S1VE1": _no_countersignature_check,
    "S1VE2": _no_authorisation_check,
    "S1VE3": _no_counter_check,
    "S1VE4": _no_rdp_check,
    "S1VE64": _no_owner_check,
    "corrupts": _corrupts_on_refusal,
}


def main() -> None:
    MUTANTS[sys.argv[1]]()
    from s1harness.cli import entry_point

    sys.argv = ["s1harness", *sys.argv[2:]]
    entry_point()


if __name__ == "__main__":
    main()
