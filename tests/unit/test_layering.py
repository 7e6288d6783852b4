"""Imports flow one way (DESIGN §4): spec <- smki <- gbcs/duis/registry <- roles <- services <-
testing/cli (smki sits below the other codecs: they verify with its certificates); the sans-IO
layers never import asyncio, aiomqtt, pytest or allure."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "s1harness"
ORDER = [
    "spec",
    "smki",
    "gbcs|duis|registry",
    "roles",
    "estate|remediation",
    "services",
    "bench|reporting",
    "testing",
    "cli",
]
SANS_IO = {"spec", "smki", "gbcs", "duis", "registry", "roles", "estate", "remediation"}
FORBIDDEN_IN_SANS_IO = {"asyncio", "aiomqtt", "amqtt", "pytest", "allure", "typer", "rich"}


def _level(layer: str) -> int:
    return next(i for i, group in enumerate(ORDER) if layer in group.split("|"))


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) > 1:
            out.append((parts[0], path))
    return out


def test_every_sub_package_has_a_layer() -> None:
    for layer, path in _modules():
        assert any(layer in group.split("|") for group in ORDER), path


def test_imports_flow_one_way() -> None:
    checked = 0
    for layer, path in _modules():
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "s1harness" or len(parts) < 2 or parts[1] == layer:
                continue
            if parts[1] in {"__init__", "__main__"}:
                continue
            assert _level(parts[1]) < _level(layer), f"{path}: {layer} imports {name}"
            checked += 1
    assert checked > 0


def test_sans_io_layers_import_no_io_frameworks() -> None:
    for layer, path in _modules():
        if layer not in SANS_IO:
            continue
        for name in _imports(path):
            assert name.split(".")[0] not in FORBIDDEN_IN_SANS_IO, f"{path} imports {name}"
