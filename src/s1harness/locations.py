"""Where the harness finds the public reference data it reads but does not ship, and which
checkout (if any) it runs from.

The DUIS XSDs and the DCC Boxed test keystore are the DCC's published artefacts; the harness
reads them where they are kept. For a relative path such as ``duis/xsd``: when
``$S1HARNESS_VECTORS`` is set, ``$S1HARNESS_VECTORS/<path>`` and nowhere else (a folder named on
purpose is never silently replaced by another copy); otherwise, when the harness runs from a
checkout of its repository (an editable install), ``shared/vectors/<path>`` beside that
checkout. Nothing else: an installed package never looks in the folders above it, where an
unrelated ``vectors`` folder could be found by accident. (The DUIS XSD folder may also be named
on its own, ``$S1HARNESS_DUIS_XSD``: :mod:`s1harness.duis.schema`.)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

VECTORS_VARIABLE = "S1HARNESS_VECTORS"


def checkout() -> Path | None:
    """The repository checkout the running package is in (``<checkout>/src/s1harness``), or
    None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    is_checkout = (root / "pyproject.toml").is_file() and (root / "src" / "s1harness").is_dir()
    return root if is_checkout else None


def commit() -> str | None:
    """The checkout's commit (short, ``+dirty`` with uncommitted changes), or None."""
    root = checkout()
    if root is None or not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty=+dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() or None


def candidates(relative: str) -> Iterator[Path]:
    """Every place ``relative`` may be, in search order."""
    if os.environ.get(VECTORS_VARIABLE):
        yield Path(os.environ[VECTORS_VARIABLE]) / relative
        return
    root = checkout()
    if root is not None:
        yield root.parent / "shared" / "vectors" / relative


def find(relative: str, marker: str) -> Path | None:
    """The first candidate folder for ``relative`` that contains ``marker``."""
    return next((c for c in candidates(relative) if (c / marker).exists()), None)
