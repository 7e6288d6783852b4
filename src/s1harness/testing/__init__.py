"""The Harness façade: start an estate, act as any party, await what comes back.

See docs/harness.md.
"""

from s1harness.estate.bodies import Bodies
from s1harness.testing.harness import (
    DEFAULT_TIMEOUT,
    Harness,
    RoleFailureError,
    alert_code,
    is_final,
    refusal,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Bodies",
    "Harness",
    "RoleFailureError",
    "alert_code",
    "is_final",
    "refusal",
]
