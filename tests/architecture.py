"""The package's import graph, read from the source (every import: module level, inside
functions, and under ``TYPE_CHECKING``), and the layer each module belongs to.

Used by ``tests/unit/test_layering.py``; kept apart so the checker itself can be tested on
small synthetic packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

#: Layers from the bottom up: a module may import modules of its own layer or below, never above.
#: The first matching prefix decides a module's layer (``ci_plugin`` alone is the package root).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("ci_plugin.errors", "ci_plugin.version", "ci_plugin.schemas")),
    ("pure", ("ci_plugin.domain", "ci_plugin.scoring")),
    ("infrastructure", ("ci_plugin.config", "ci_plugin.config_hosts", "ci_plugin.http")),
    ("hosts", ("ci_plugin.hosts",)),
    ("plugins", ("ci_plugin.hookspecs", "ci_plugin.plugins", "ci_plugin")),
    ("register", ("ci_plugin.register",)),
    ("operations", ("ci_plugin.ops",)),
    ("built-in hooks", ("ci_plugin.hooks",)),
    ("composition root", ("ci_plugin.app",)),
    ("cli", ("ci_plugin.cli", "ci_plugin.__main__")),
)
PURE = "pure"


def module_files(package_dirs: dict[str, Path]) -> dict[str, Path]:
    """Every module of the packages, by dotted name (``{"ci_plugin": Path("ci_plugin")}``)."""
    found: dict[str, Path] = {}
    for package, directory in package_dirs.items():
        for path in sorted(directory.rglob("*.py")):
            parts = list(path.relative_to(directory).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(_closest(alias.name, known))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, is_package, node.module, node.level)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else _closest(base, known))
    found.discard("")
    found.discard(name)
    return found


def _absolute(name: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = name.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _closest(dotted: str, known: set[str]) -> str:
    """The longest known module that ``dotted`` names or lies inside, ``""`` for none."""
    parts = dotted.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return ""


def graph(package_dirs: dict[str, Path]) -> dict[str, set[str]]:
    """Import edges between the modules of the packages."""
    files = module_files(package_dirs)
    known = set(files)
    return {name: imports_of(name, path, known) for name, path in files.items()}


def layer_of(module: str) -> str:
    """The layer a module belongs to (``""`` when none matches)."""
    for layer, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or (prefix != "ci_plugin" and module.startswith(prefix + ".")):
                return layer
    return ""


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go up the layers (or out of the pure layer), and modules in no layer."""
    rank = {layer: n for n, (layer, _) in enumerate(LAYERS)}
    problems = []
    for module, targets in sorted(edges.items()):
        mine = layer_of(module)
        if not mine:
            problems.append(f"{module} belongs to no layer")
            continue
        for target in sorted(targets):
            theirs = layer_of(target)
            if theirs and rank[theirs] > rank[mine]:
                problems.append(f"{module} ({mine}) imports {target} ({theirs})")
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles: strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found
