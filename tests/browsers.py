"""Headless Chromium and the npm Allure generator for the report tests.

Without them the tests skip, saying why — unless ``S1HARNESS_REQUIRE_CHROMIUM`` or
``S1HARNESS_REQUIRE_ALLURE`` is set (CI installs both), when they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from s1harness.reporting.allure_html import installed

TOOLS = Path(__file__).resolve().parents[1] / ".tools"
"""The project-local tools folder (git-ignored; CI installs the Allure generator there)."""


def _missing(variable: str, reason: str) -> None:
    if os.environ.get(variable):
        pytest.fail(f"{reason}, but {variable} requires it")
    pytest.skip(reason)


def allure_tools() -> Path:
    """The tools folder, when the Allure 3 generator is there or can be installed into it."""
    if shutil.which("node") is None or (
        installed("allure3", TOOLS) is None and shutil.which("npm") is None
    ):
        _missing("S1HARNESS_REQUIRE_ALLURE", "node and npm (for Allure 3) are not available")
    return TOOLS


def allure2_tools(folder: Path) -> Path:
    """A tools folder for ``folder`` whose Allure 3 is broken (a launcher that fails) and whose
    Allure 2 is the project's (installed there on first use): the fallback must take over."""
    if shutil.which("java") is None:
        pytest.skip("java is not installed (Allure 2 needs it)")
    allure_tools()
    broken = folder / "allure3" / "node_modules" / ".bin" / "allure"
    broken.parent.mkdir(parents=True)
    broken.write_text("#!/bin/sh\necho 'cannot load the awesome plugin' >&2\nexit 3\n")
    broken.chmod(0o755)
    (TOOLS / "allure2").mkdir(parents=True, exist_ok=True)
    (folder / "allure2").symlink_to(TOOLS / "allure2", target_is_directory=True)
    return folder


def chromium() -> str:
    """The Debian ``chromium`` binary (``apt-get install chromium``)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        _missing(
            "S1HARNESS_REQUIRE_CHROMIUM", "chromium is not installed (apt-get install chromium)"
        )
    assert binary is not None
    return binary


def rendered_dom(url: str, profile: Path, ready: Callable[[str], bool] = lambda _: True) -> str:
    """The DOM of ``url`` after its scripts ran (a virtual-time budget, no wall-clock sleep).

    On a loaded machine a page can still be drawing when the budget is spent: until ``ready``
    holds for the DOM, it is rendered again with a larger budget (three tries); the last DOM
    is returned either way, for the caller's assertions to judge."""
    dom = ""
    for budget in (15_000, 60_000, 180_000):
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        command += [f"--user-data-dir={profile}", f"--virtual-time-budget={budget}"]
        command += ["--dump-dom", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        dom = done.stdout
        if ready(dom):
            break
    return dom


def visible_text(dom: str) -> list[str]:
    """The text nodes of a DOM, scripts and styles left out."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
    return [t.strip() for t in re.sub(r"<[^>]+>", "\n", body).splitlines() if t.strip()]
