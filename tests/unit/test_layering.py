"""Imports flow one way (DESIGN §4).

The layers, lowest first: the package root ``s1harness/__init__.py`` <- ``locations`` <- spec
<- smki <- gbcs/duis/registry <- roles <- estate/remediation <- services <- bench/reporting <-
testing <- cli <- ``s1harness/__main__.py``. A module imports only from its own layer's package
or from lower layers; the packages of one group (``gbcs|duis|registry``) do not import each
other. smki sits below the other codecs: they verify with its certificates. The sans-IO layers
never import asyncio, aiomqtt, pytest or allure.

The top-level modules have layers of their own:

* ``s1harness/__init__.py`` is the bottom: every import of any module of the package runs it
  first, so it imports nothing of the package (it holds ``__version__``, which the CLI reads).
* ``locations`` finds the public reference data the harness reads but does not ship (the DUIS
  XSDs, the DCC Boxed keystore) from the standard library alone. ``duis`` (a codec),
  ``estate`` and ``cli`` import it, so it sits below every codec; it imports nothing of the
  package, so it sits directly above the root and below ``spec``.
* ``s1harness/__main__.py`` is the top: it runs the CLI, and nothing imports it.

``from s1harness import locations`` imports the module ``s1harness.locations``; ``from
s1harness.estate import preset`` imports the package ``s1harness.estate`` (its
``__init__.py``). Every import counts wherever it is written: at module level, under ``if
TYPE_CHECKING:``, or inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "s1harness"
ORDER = [
    "__init__",
    "locations",
    "spec",
    "smki",
    "gbcs|duis|registry",
    "roles",
    "estate|remediation",
    "services",
    "bench|reporting",
    "testing",
    "cli",
    "__main__",
]
SANS_IO = {
    "__init__",
    "locations",
    "spec",
    "smki",
    "gbcs",
    "duis",
    "registry",
    "roles",
    "estate",
    "remediation",
}
FORBIDDEN_IN_SANS_IO = {"asyncio", "aiomqtt", "amqtt", "pytest", "allure", "typer", "rich"}


def _level(layer: str) -> int:
    return next(i for i, group in enumerate(ORDER) if layer in group.split("|"))


def _module_name(path: Path, root: Path) -> str:
    """The dotted name of the module at ``path`` in the package at ``root``."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _all_modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root`` by dotted name (a package by its own name)."""
    return {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def _imports(path: Path, root: Path, modules: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """Every name ``path`` imports, anywhere in it, with its line.

    ``from pkg import name`` yields ``pkg.name`` when that is a module of the package, else
    ``pkg``; a relative import is resolved against the importer's package.

    Args:
        path: The importing module.
        root: The package it belongs to.
        modules: Every module of that package (:func:`_all_modules`).
    """
    here = _module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                yield node.lineno, name if name in modules else base


def _owning_module(name: str, modules: dict[str, Path]) -> str | None:
    """The module of the package that importing ``name`` runs (None outside the package)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _layer(name: str) -> str:
    """The layer of a module of the package: its sub-package or top-level module's name."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layered_modules() -> Iterator[tuple[str, Path]]:
    """Every module of s1harness with its layer."""
    for name, path in _all_modules(PACKAGE).items():
        yield _layer(name), path


def _package_imports(path: Path) -> Iterator[tuple[int, str]]:
    """The modules of s1harness ``path`` imports, with their lines."""
    modules = _all_modules(PACKAGE)
    for line, imported in _imports(path, PACKAGE, modules):
        target = _owning_module(imported, modules)
        if target is not None:
            yield line, target


def test_every_module_has_a_layer() -> None:
    for layer, path in _layered_modules():
        assert any(layer in group.split("|") for group in ORDER), path


def test_importing_a_top_level_module_by_name_is_an_import_of_it() -> None:
    imported = {target for _, target in _package_imports(PACKAGE / "duis" / "schema.py")}
    assert "s1harness.locations" in imported
    imported = {target for _, target in _package_imports(PACKAGE / "cli" / "run.py")}
    assert "s1harness" in imported  # from s1harness import __version__: the package root


def test_imports_flow_one_way() -> None:
    checked = 0
    for layer, path in _layered_modules():
        for line, target in _package_imports(path):
            if _layer(target) == layer:
                continue
            assert _level(_layer(target)) < _level(layer), (
                f"{path}:{line}: {layer} imports {target}"
            )
            checked += 1
    assert checked > 0


def test_sans_io_layers_import_no_io_frameworks() -> None:
    modules = _all_modules(PACKAGE)
    for layer, path in _layered_modules():
        if layer not in SANS_IO:
            continue
        for line, name in _imports(path, PACKAGE, modules):
            assert name.split(".")[0] not in FORBIDDEN_IN_SANS_IO, f"{path}:{line} imports {name}"
