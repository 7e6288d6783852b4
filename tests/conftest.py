"""Fixtures shared by every test. The feature suite's plugin (steps, markers, the DUIS audit of
every message a test creates) comes from the installed package's pytest11 entry point."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from brokers import mosquitto
from s1harness.smki import SmkiCertificate, TestPki
from support import VECTORS, load

try:  # the test extra; `s1harness run` (the feature suite) loads this file without it
    from hypothesis import HealthCheck, settings
except ModuleNotFoundError:
    pass
else:
    settings.register_profile(
        "loaded-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("loaded-machine")
    # Property tests on a busy 2-core machine (CI): no deadline and no complaint that
    # generating inputs is slow — how fast the machine is never decides a test.

REFERENCE_TIME = datetime(2026, 11, 21, tzinfo=UTC)
"""The date the certificate validity checks of the golden tests are judged at."""


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The public vectors folder; missing vectors fail the tests that need them (not skip)."""
    if not (VECTORS / "smki" / "Z1-issuing-ca.pem").is_file():
        pytest.fail(f"public vectors not found at {VECTORS}; set S1HARNESS_VECTORS")
    return VECTORS


@pytest.fixture(scope="session")
def z1(vectors: Path) -> SmkiCertificate:
    """The real Z1 issuing CA (its root ZA is not public, so it serves as the trust anchor)."""
    return load(vectors / "smki" / "Z1-issuing-ca.pem")


@pytest.fixture(scope="session")
def mosquitto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Mosquitto broker shared by the session (skips, or fails in CI, without the binary)."""
    with mosquitto(tmp_path_factory.mktemp("mosquitto")) as url:
        yield url


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """The project's standard test PKI."""
    return TestPki()


@pytest.fixture
def reference_time() -> datetime:
    return REFERENCE_TIME
