"""Fixtures shared by every test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.smki import SmkiCertificate, TestPki
from support import VECTORS, load

REFERENCE_TIME = datetime(2026, 11, 21, tzinfo=UTC)
"""The reference date of docs/smki.md §3 and §7."""


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
def pki() -> TestPki:
    """The project's standard test PKI."""
    return TestPki()


@pytest.fixture
def reference_time() -> datetime:
    return REFERENCE_TIME
