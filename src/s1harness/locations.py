"""Where the harness finds the public reference data it reads but does not ship.

The DUIS XSDs and the DCC Boxed test keystore are the DCC's published artefacts; the harness
reads them where they are kept. For a relative path such as ``duis/xsd``: when
``$S1HARNESS_VECTORS`` is set, ``$S1HARNESS_VECTORS/<path>`` and nowhere else (a folder named on
purpose is never silently replaced by another copy); otherwise the first ``shared/vectors/<path>``
or ``vectors/<path>`` found walking up from the working directory, then from the installed
package.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def candidates(relative: str) -> Iterator[Path]:
    """Every place ``relative`` may be, in search order."""
    if os.environ.get("S1HARNESS_VECTORS"):
        yield Path(os.environ["S1HARNESS_VECTORS"]) / relative
        return
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for base in (start, *start.parents):
            yield base / "shared" / "vectors" / relative
            yield base / "vectors" / relative


def find(relative: str, marker: str) -> Path | None:
    """The first candidate folder for ``relative`` that contains ``marker``."""
    return next((c for c in candidates(relative) if (c / marker).exists()), None)
