"""A register's certificates are checked before any is placed: in date at the run's time,
chaining to the estate's trust anchors, and naming the Network Operator the registration data
gives their distributor ID. Each failure is one line, and nothing is written; the CLI checks
against the estate folder's own key source."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from s1harness.estate import load
from s1harness.estate.fia import distributor
from s1harness.estate.presets import START
from s1harness.estate.sources import KEY_SOURCES
from s1harness.remediation import NoRegister, PublishedCertificates, remediate
from s1harness.smki import TestPki
from s1harness.spec.errors import InputError
from s1harness.spec.roles import KeyUsage, RemotePartyRole

from .support import databases, register, slots


def _keys(estate: Path):  # type: ignore[no-untyped-def]
    described = load(estate)
    return KEY_SOURCES[described.keys](described.seed)


def _with_entry_10(published: NoRegister, ds: object, ka: object) -> NoRegister:
    """The register with distributor 10's entry replaced by these certificates."""
    entries = [e for e in published.entries if e.distributor_id != 10]
    return NoRegister([*entries, PublishedCertificates(ds, ka, distributor_id=10)])  # type: ignore[arg-type]


def _pair(pki: TestPki, eui: object, validity: tuple[datetime, datetime] | None) -> tuple:  # type: ignore[type-arg]
    """A Network Operator's DS and KA certificates, valid over ``validity`` (else as usual)."""
    extra = {} if validity is None else {"validity": validity}
    return tuple(
        pki.issue_organisation(eui, RemotePartyRole.NETWORK_OPERATOR, usage, **extra).certificate  # type: ignore[arg-type]
        for usage in (KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT)
    )


def _bad_registers(estate: Path) -> dict[str, tuple[NoRegister, str]]:
    published, keys = register(), _keys(estate)
    pki = keys.pki
    operator = distributor(10)
    ahead, behind = START + timedelta(days=30), START - timedelta(days=30)
    expired = _pair(pki, operator, (behind - timedelta(days=365), behind))
    early = _pair(pki, operator, (ahead, ahead + timedelta(days=365)))
    alien = _pair(TestPki("not the estate's PKI"), operator, None)
    other = next(e for e in published.entries if e.distributor_id == 12)
    return {
        "expired": (_with_entry_10(published, *expired), "expired"),
        "not yet valid": (_with_entry_10(published, *early), "not valid before"),
        "untrusted": (_with_entry_10(published, *alien), "cannot be placed"),
        "another NO's": (_with_entry_10(published, other.ds, other.ka),
                         "not its Network Operator's"),
    }  # fmt: skip


@pytest.mark.parametrize("case", ["expired", "not yet valid", "untrusted", "another NO's"])
def test_a_register_certificate_that_cannot_be_placed_is_refused_and_nothing_written(
    estate: Path, case: str
) -> None:
    bad, why = _bad_registers(estate)[case]
    keys = _keys(estate)
    before = slots(estate)
    with pytest.raises(InputError) as refused:
        remediate(databases(estate), estate / "registry.sqlite", bad, at=START,
                  trust=(keys.trust_anchors(), keys.path_certificates()))  # fmt: skip
    assert why in refused.value.message and "\n" not in refused.value.message
    named = ("NO register entry 10 ", "NO register entry for distributor 10:")
    assert refused.value.message.startswith(named)
    assert slots(estate) == before


def test_the_cli_checks_the_register_against_the_estates_own_trust(estate: Path) -> None:
    bad, _ = _bad_registers(estate)["untrusted"]
    path = estate / "bad-register.json"
    path.write_text(bad.dumps())
    before = slots(estate)
    done = subprocess.run(
        [sys.executable, "-m", "s1harness", "remediate", "--estate", str(estate),
         "--register", str(path), "--at", START.isoformat()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("s1harness: error: NO register entry 10 ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert slots(estate) == before
