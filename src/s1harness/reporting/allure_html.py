"""The Allure HTML report: one self-contained ``index.html``.

Allure 3 from npm (``allure awesome --single-file``, no Java) is installed project-locally into
``<tools>/allure3`` on first use and reused afterwards; when it cannot be had, Allure 2
(``allure-commandline`` from npm, which needs Java) in ``<tools>/allure2`` — a separate folder,
because both packages install ``node_modules/.bin/allure``. ``<tools>`` is ``.tools`` in the
working directory unless ``S1HARNESS_TOOLS`` names another folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from s1harness.spec.errors import HarnessError, InputError

ALLURE3 = "allure@3.18.0"
ALLURE2 = "allure-commandline@2.46.1"
INSTALL_TIMEOUT = 600.0
GENERATE_TIMEOUT = 600.0

Progress = Callable[[str], None]


class ReportToolError(HarnessError):
    """No Allure HTML generator could be installed or run."""

    code = "REPORT_TOOL"


@dataclass(frozen=True)
class HtmlReport:
    """A generated report: its ``index.html`` and the generator (``allure3`` or ``allure2``)."""

    index: Path
    kind: str


@dataclass(frozen=True)
class _Generator:
    kind: str
    package: str
    needs: tuple[str, ...]

    def command(self, allure: Path, results: Path, out: Path, name: str) -> list[str]:
        if self.kind == "allure3":
            return [str(allure), "awesome", str(results), "-o", str(out), "--single-file",
                    "--report-name", name,
                    "--history-path", str(out.parent / HISTORY)]  # fmt: skip
        return [str(allure), "generate", "--single-file", str(results), "-o", str(out), "--clean"]


GENERATORS = (
    _Generator("allure3", ALLURE3, ("node",)),
    _Generator("allure2", ALLURE2, ("node", "java")),
)


def tools_folder() -> Path:
    """Where project-local tools are installed: ``$S1HARNESS_TOOLS`` or ``./.tools``."""
    return Path(os.environ.get("S1HARNESS_TOOLS") or Path.cwd() / ".tools").resolve()


def build_allure_html(
    results: Path, out: Path, *, name: str, tools: Path, progress: Progress
) -> HtmlReport:
    """Generate ``out/index.html`` from ``results`` with the first generator that works.

    Raises:
        InputError: when ``out`` exists and is not an earlier report.
        ReportToolError: when neither Allure 3 nor Allure 2 can be installed or run.
    """
    _keep_history(out, results)
    _clear(out)
    reasons: list[str] = []
    for generator in GENERATORS:
        try:
            allure = _ensure(generator, tools, progress)
            _generate(generator.command(allure, results, out, name), generator.package)
        except ReportToolError as exc:
            reasons.append(exc.message)
            continue
        return HtmlReport(index=out / "index.html", kind=generator.kind)
    raise ReportToolError("no Allure HTML report: " + "; ".join(reasons))


HISTORY = "allure-history.jsonl"
"""Allure 3's trend across runs, kept beside the report (``--history-path``)."""


def _keep_history(out: Path, results: Path) -> None:
    """Allure 2 reads the trend from ``results/history``: the last report's, carried over."""
    earlier = out / "history"
    if earlier.is_dir() and results.is_dir() and not (results / "history").exists():
        shutil.copytree(earlier, results / "history")


def install_tools(tools: Path, progress: Progress) -> list[tuple[str, Path | str]]:
    """Install every report generator this machine can run into ``tools`` (where CI can cache
    it); (generator, its launcher or why not) for each."""
    done: list[tuple[str, Path | str]] = []
    for generator in GENERATORS:
        try:
            done.append((generator.package, _ensure(generator, tools, progress)))
        except ReportToolError as exc:
            done.append((generator.package, exc.message))
    return done


def installed(kind: str, tools: Path) -> Path | None:
    """The ``allure`` launcher of an installed generator (``allure3``/``allure2``), if any."""
    launcher = tools / kind / "node_modules" / ".bin" / "allure"
    return launcher if launcher.exists() else None


def _ensure(generator: _Generator, tools: Path, progress: Progress) -> Path:
    missing = [tool for tool in generator.needs if shutil.which(tool) is None]
    if missing:
        raise ReportToolError(f"{generator.package} needs {' and '.join(missing)}")
    found = installed(generator.kind, tools)
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise ReportToolError(f"{generator.package} is not installed and npm is not available")
    folder = tools / generator.kind
    progress(f"installing {generator.package} into {folder} (first use)")
    folder.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(folder), "--no-save", "--no-audit", "--no-fund",
               "--silent", generator.package]  # fmt: skip
    _call(command, f"npm install {generator.package}", INSTALL_TIMEOUT)
    found = installed(generator.kind, tools)
    if found is None:
        raise ReportToolError(f"npm install {generator.package} installed no allure launcher")
    return found


def _generate(command: list[str], package: str) -> None:
    _call(command, package, GENERATE_TIMEOUT)
    out = Path(command[command.index("-o") + 1])
    if not (out / "index.html").is_file():
        raise ReportToolError(f"{package} wrote no {out / 'index.html'}")


def _call(command: list[str], what: str, timeout: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReportToolError(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        raise ReportToolError(f"{what} failed (exit {done.returncode}): {last}")


def _clear(out: Path) -> None:
    """Remove an earlier report at ``out``; refuse to remove anything else."""
    if not out.exists():
        return
    if not out.is_dir() or (any(out.iterdir()) and not (out / "index.html").exists()):
        raise InputError(f"{out}: exists and is not an Allure report; not overwriting it")
    shutil.rmtree(out)
