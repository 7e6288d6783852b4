"""The wheel, as a test team installs it: in a fresh virtual environment, run from an empty
folder far from any checkout, with the XSD folder named by the environment. It runs the
bundled FIA suite, scaffolds a project, and runs that project's own feature with the packaged
steps — through ``s1harness run`` and through plain pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from browsers import allure_tools

pytestmark = [pytest.mark.slow, pytest.mark.vectors, pytest.mark.mqtt]

ROOT = Path(__file__).resolve().parents[2]


def _call(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from this checkout; its dependencies are this
    environment's (no network), on its path after the wheel — never this checkout's code."""
    folder = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation"]
    subprocess.run([*build, "-q", "-w", str(folder / "dist")], check=True, timeout=600)
    wheel = next((folder / "dist").glob("s1harness-*.whl"))
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    site = next(venv.glob("lib/python*/site-packages"))
    here = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz-dependencies.pth").write_text("\n".join(here) + "\n")
    return venv


@pytest.fixture
def environment(vectors: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S1HARNESS_", "PYTEST_"))}
    env.pop("PYTHONPATH", None)
    return env | {
        "S1HARNESS_DUIS_XSD": str(vectors / "duis" / "xsd"),
        "S1HARNESS_TOOLS": str(allure_tools()),
    }


def test_the_wheel_is_the_package_not_this_checkout(
    installed: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    where = "import s1harness.suite as s; print(s.FEATURES)"
    done = _call(installed / "bin" / "python", "-c", where, cwd=tmp_path, env=environment)
    assert done.returncode == 0, done.stderr
    features = Path(done.stdout.strip())
    assert features.is_relative_to(installed) and len(list(features.rglob("*.feature"))) >= 10


def test_run_from_an_empty_folder_runs_every_bundled_scenario(
    installed: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    done = _call(installed / "bin" / "s1harness", "run", "-n", "2", cwd=tmp_path, env=environment)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "77 passed in" in done.stdout
    assert "Verdict: PASS" in done.stdout
    assert (tmp_path / "reports" / "allure-report" / "index.html").is_file()


def test_init_then_a_project_s_own_feature_runs_with_the_packaged_steps(
    installed: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    s1harness = installed / "bin" / "s1harness"
    assert _call(s1harness, "init", "proj", cwd=tmp_path, env=environment).returncode == 0
    done = _call(s1harness, "run", "proj/features", "--no-report", cwd=tmp_path, env=environment)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "pass  the wrong Network Operator hands an IOC ESME to the registered one" in (
        done.stdout
    )
    assert "1 passed in" in done.stdout
    plain = _call(installed / "bin" / "python", "-m", "pytest", "-q", cwd=tmp_path / "proj",
                  env=environment)  # fmt: skip
    assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr
    assert "1 passed" in plain.stdout
