"""Imports flow one way (README "Layout") and never in a circle.

The layers, lowest first: the package root ``s1harness/__init__.py`` <- ``locations`` <- spec
<- smki <- gbcs/duis/registry <- roles <- estate/remediation <- services <- campaign <-
bench/reporting <- testing <- suite (the feature suite's steps and pytest plugin) <- cli <-
``s1harness/__main__.py``. A module imports only from its own layer's package
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
import itertools
from collections import deque
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
    "campaign",
    "bench|reporting",
    "testing",
    "suite",
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

Graph = dict[str, dict[str, tuple[int, str]]]
"""Importer -> imported module -> (line, the import that reaches it) of the first such import."""


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


def _graph(root: Path) -> Graph:
    """The import graph of every module of the package at ``root``.

    An import of ``a.b.c`` is an edge to ``a.b.c`` and to the packages ``a`` and ``a.b``, whose
    ``__init__`` it runs first — except the importer's own packages: they have already begun
    running before the importer does, so reaching them implicitly runs nothing new. An explicit
    import of one of them (``from a.b import x`` inside ``a/b/c.py``) is still an edge.
    """
    modules = _all_modules(root)
    graph: Graph = {}
    for name, path in modules.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        if path.name == "__init__.py":
            own.add(name)
        edges: dict[str, tuple[int, str]] = {}
        for line, imported in _imports(path, root, modules):
            target = _owning_module(imported, modules)
            if target is None:
                continue
            if target != name:
                edges.setdefault(target, (line, target))
            parent = target.rpartition(".")[0]
            while parent:
                if parent not in own and parent != name:
                    edges.setdefault(parent, (line, target))
                parent = parent.rpartition(".")[0]
        graph[name] = edges
    return graph


def _cyclic_groups(graph: Graph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def _shortest_cycle(graph: Graph, start: str, group: set[str]) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``group``, as a list of modules."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node]):
            if target not in group or target in came_from:
                continue
            came_from[target] = node
            if target == start:
                path = [start]
                while path[-1] != start or len(path) == 1:
                    path.append(came_from[path[-1]])
                return path[::-1]
            queue.append(target)
    raise AssertionError(f"{start} is on no cycle of {sorted(group)}")


def _cycles(graph: Graph) -> list[list[str]]:
    """Import cycles, each ``[a, b, ..., a]`` starting at its least module: per cyclic group,
    the shortest cycle through each of its modules (so every module of a group is on one)."""
    found: list[list[str]] = []
    for group in _cyclic_groups(graph):
        for start in group:
            ring = _shortest_cycle(graph, start, set(group))[:-1]
            first = ring.index(min(ring))
            ring = ring[first:] + ring[:first]
            if [*ring, ring[0]] not in found:
                found.append([*ring, ring[0]])
    return found


def _describe(graph: Graph, cycle: list[str], root: Path) -> str:
    lines = ["  " + " -> ".join(cycle)]
    for importer, target in itertools.pairwise(cycle):
        line, imported = graph[importer][target]
        path = _all_modules(root)[importer].relative_to(root.parent)
        how = "" if imported == target else f", which runs the package {target} first"
        lines.append(f"    {path}:{line} imports {imported}{how}")
    return "\n".join(lines)


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


def test_no_import_cycles() -> None:
    """No module of s1harness reaches itself through imports (module docstring: every import
    counts, wherever it is written).

    Edges to packages: an explicit import of a package (``from s1harness.estate import
    preset``) is an edge to its ``__init__.py``, and so is the implicit run of the packages
    above an imported module (importing ``s1harness.estate.model`` runs
    ``s1harness/estate/__init__.py``, which imports ``estate.build``, ``roles`` and more) —
    a cycle through them fails at import time depending on which module is imported first.
    The importer's own packages are left out of the implicit edges: they have begun running
    before the importer does, so a package ``__init__`` that re-exports its modules is no cycle.
    """
    graph = _graph(PACKAGE)
    cycles = _cycles(graph)
    assert not cycles, "import cycles in src/s1harness:\n" + "\n".join(
        _describe(graph, cycle, PACKAGE) for cycle in cycles
    )


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_cycle_check_sees_imports_under_type_checking_and_in_functions(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n",
            "b.py": "def f():\n    from pkg.a import x\n",
            "c.py": "import pkg.a\n",
        },
    )
    assert _cycles(_graph(root)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_the_cycle_check_counts_package_inits_but_not_the_importers_own(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "low/__init__.py": "from pkg.low.model import M\nfrom pkg.high.user import U\n",
            "low/model.py": "import pkg.low.base\n",
            "low/base.py": "",
            "high/__init__.py": "",
            "high/user.py": "from pkg.low.base import B\n",
        },
    )
    graph = _graph(root)
    assert "pkg.low" not in graph["pkg.low.model"]  # its own package: no edge
    assert _cycles(graph) == [["pkg.high.user", "pkg.low", "pkg.high.user"]]
