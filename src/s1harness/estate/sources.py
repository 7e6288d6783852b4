"""The key sources an estate may name (``keys:``), each made from the estate's seed."""

from __future__ import annotations

from collections.abc import Callable

from s1harness.estate.keys import KeySource, TestPkiKeys
from s1harness.estate.zaz1 import zaz1_keys

KEY_SOURCES: dict[str, Callable[[str], KeySource]] = {
    "test-pki": TestPkiKeys,
    "zaz1": zaz1_keys,
}
"""Key sources by name: ``test-pki`` (the default) and ``zaz1`` (the DCC Boxed keystore)."""


__all__ = ["KEY_SOURCES"]
