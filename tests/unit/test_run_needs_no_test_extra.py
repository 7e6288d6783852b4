"""``s1harness run`` (the README's main command) runs the feature suite from an install without
the test extra, so the files it loads — tests/conftest.py, the BDD plugin and steps, and the
helpers they import — must not import, at module level, what only the test extra installs."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

REPOSITORY = Path(__file__).parents[2]
TESTS = REPOSITORY / "tests"
IMPORT_NAMES = {"pyyaml": "yaml", "lxml-stubs": "lxml-stubs"}
"""Distribution → import name, where they differ (stub packages import as nothing)."""


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].strip().lower()


def _test_only() -> set[str]:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_distribution(r) for r in project["dependencies"]}
    extra = {_distribution(r) for r in project["optional-dependencies"]["test"]} - runtime
    return {IMPORT_NAMES.get(d, d).replace("-", "_") for d in extra}


def _loaded_by_run() -> list[Path]:
    """What a feature run loads: the packaged suite (plugin, steps, audit) — and, for the
    repository's own run of it, the test support its conftest imports."""
    suite = TESTS.parent / "src" / "s1harness" / "suite"
    return [
        TESTS / "conftest.py", TESTS / "brokers.py", TESTS / "support.py",
        *sorted((TESTS / "bdd").rglob("*.py")), *sorted(suite.rglob("*.py")),
    ]  # fmt: skip


def _module_level_imports(path: Path) -> set[str]:
    """Root names imported at module level, outside ``try`` (a guarded import may fail)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_test_extra_is_known() -> None:
    assert {"hypothesis", "mypy", "ruff"} <= _test_only()
    assert "pytest_asyncio" not in _test_only()  # a runtime dependency too


def test_what_s1harness_run_loads_imports_nothing_from_the_test_extra() -> None:
    test_only = _test_only()
    offending = {
        str(path.relative_to(REPOSITORY)): sorted(_module_level_imports(path) & test_only)
        for path in _loaded_by_run()
    }
    assert {path: names for path, names in offending.items() if names} == {}
