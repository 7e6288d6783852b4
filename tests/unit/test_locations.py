"""Where the public reference data is looked for: the folder named by the environment, else the
checkout's ../shared/vectors — never the folders above the working directory or an installed
package (an unrelated vectors folder there was once found by accident)."""

from __future__ import annotations

from pathlib import Path

import pytest

from s1harness import locations
from s1harness.duis.errors import DuisSchemaError
from s1harness.duis.schema import DUIS_XSD, find_xsd_dir

REPOSITORY = Path(__file__).resolve().parents[2]


def _decoy(folder: Path) -> None:
    """A vectors folder holding the DUIS XSD, where no search should look."""
    xsd = folder / "shared" / "vectors" / "duis" / "xsd"
    xsd.mkdir(parents=True)
    (xsd / DUIS_XSD).write_text("<decoy/>")


def test_this_checkout_is_known_and_its_shared_folder_is_the_only_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("S1HARNESS_VECTORS", raising=False)  # (CI names the vectors folder)
    assert locations.checkout() == REPOSITORY
    assert list(locations.candidates("duis/xsd")) == [
        REPOSITORY.parent / "shared" / "vectors" / "duis" / "xsd"
    ]


def test_a_folder_named_by_the_environment_is_the_only_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("S1HARNESS_VECTORS", str(tmp_path))
    assert list(locations.candidates("smki")) == [tmp_path / "smki"]
    assert locations.find("smki", "zaz1-keystore.json") is None


def test_an_installed_package_never_searches_above_it_or_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed = tmp_path / "venv" / "lib" / "site-packages" / "s1harness" / "locations.py"
    installed.parent.mkdir(parents=True)
    _decoy(tmp_path)  # above the "installed package"
    _decoy(tmp_path / "venv" / "lib")
    work = tmp_path / "project" / "sub"
    work.mkdir(parents=True)
    _decoy(tmp_path / "project")  # above the working directory
    monkeypatch.chdir(work)
    monkeypatch.delenv("S1HARNESS_VECTORS", raising=False)
    monkeypatch.delenv("S1HARNESS_DUIS_XSD", raising=False)
    monkeypatch.setattr(locations, "__file__", str(installed))
    assert locations.checkout() is None
    assert list(locations.candidates("duis/xsd")) == []
    with pytest.raises(DuisSchemaError) as missing:
        find_xsd_dir()
    said = missing.value.message
    assert "looked in: nowhere" in said and "S1HARNESS_DUIS_XSD" in said
    assert "Download the DUIS 5.4 schema files" in said and "\n" not in said
