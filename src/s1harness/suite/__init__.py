"""The FIA feature suite as a pytest plugin: the Gherkin features of SECMP0107's Full Impact
Assessment (the repository's top-level ``features/``, which ``features`` here links to and the
wheel carries), the step library (``steps/``), the World a
scenario runs in, and the plugin (:mod:`.plugin`) — registered as the pytest11 entry point
``s1harness``, so any project that installs s1harness has the steps, markers, ``--s1h-*``
options and Allure evidence in its own pytest runs.

``s1harness run`` runs the bundled features (or the ones it is given) through :mod:`.bundled`.
"""

from __future__ import annotations

import os
from pathlib import Path

FEATURES = Path(__file__).resolve().parent / "features"
"""The bundled FIA feature suite."""
BUNDLED = Path(__file__).resolve().parent / "bundled.py"
"""The test module pytest runs for ``s1harness run`` (never imported outside pytest)."""
FEATURES_VARIABLE = "S1HARNESS_FEATURES"
"""Feature files or folders :mod:`.bundled` runs instead of :data:`FEATURES`
(``os.pathsep``-separated; what ``s1harness run PATH...`` sets)."""


def feature_paths() -> list[Path]:
    """The feature files and folders to run: :data:`FEATURES_VARIABLE`'s, else the bundled."""
    given = [p for p in os.environ.get(FEATURES_VARIABLE, "").split(os.pathsep) if p]
    return [Path(p).resolve() for p in given] or [FEATURES]


__all__ = ["BUNDLED", "FEATURES", "FEATURES_VARIABLE", "feature_paths"]
