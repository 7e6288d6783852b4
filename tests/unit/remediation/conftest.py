"""A small generated estate per test module, and a fresh copy of it per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .support import small_fia


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_fia(tmp_path_factory.mktemp("fia"))


@pytest.fixture
def estate(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "estate"))
