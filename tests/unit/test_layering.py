"""The package's layers hold: no import cycle, no import up the layers, a pure domain layer.

The layers, bottom up, are listed in ``tests/architecture.py`` and drawn in
``docs/architecture.md``. Every import counts, ``TYPE_CHECKING`` and function-level ones too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import architecture

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"ci_plugin": ROOT / "ci_plugin", "ci_plugin.hooks": ROOT / "hooks", "ci_plugin.schemas": ROOT / "schemas"}


@pytest.fixture(scope="module")
def edges():
    return architecture.graph(PACKAGES)


def test_the_package_has_no_import_cycle(edges):
    assert architecture.cycles(edges) == []


def test_no_module_imports_a_layer_above_its_own(edges):
    assert architecture.layer_violations(edges) == []


def test_the_pure_layer_imports_only_itself_and_the_error_root(edges):
    pure = {m: t for m, t in edges.items() if architecture.layer_of(m) == architecture.PURE}
    assert "ci_plugin.domain.model" in pure and "ci_plugin.scoring.models" in pure
    outside = {m: sorted(t for t in targets if architecture.layer_of(t) not in ("pure", "base"))
               for m, targets in pure.items()}
    assert {m: t for m, t in outside.items() if t} == {}


def test_operations_write_to_the_host_only_through_the_register():
    import ast

    writes = {"create_improvement", "update_fields", "set_status", "add_links", "comment", "clear_flag"}
    found = []
    for path in sorted((ROOT / "ci_plugin" / "ops").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr in writes and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "host"):
                found.append(f"{path.name}:{node.lineno} .host.{node.attr}")
    assert found == []


# --- the checker itself finds the defects it is there for -------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    root = tmp_path / "ci_plugin"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for directory in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    return architecture.graph({"ci_plugin": root})


def test_the_checker_finds_a_cycle_hidden_behind_type_checking(tmp_path):
    edges = _package(tmp_path, {
        "ops/convert.py": "from ci_plugin.ops.link import resolve\n",
        "ops/link.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ci_plugin.ops import convert\n",
    })
    assert architecture.cycles(edges) == [["ci_plugin.ops.convert", "ci_plugin.ops.link"]]


def test_the_checker_finds_a_function_level_import_up_the_layers(tmp_path):
    edges = _package(tmp_path, {
        "domain/model.py": "def load():\n    from ci_plugin.hosts.rt import adapter\n",
        "hosts/rt/adapter.py": "from ..base import X\n",
        "hosts/base.py": "from ci_plugin.domain import model\n",
    })
    assert architecture.layer_violations(edges) == [
        "ci_plugin.domain.model (pure) imports ci_plugin.hosts.rt.adapter (hosts)"]
    assert edges["ci_plugin.hosts.rt.adapter"] == {"ci_plugin.hosts.base"}  # relative imports resolved


def test_the_checker_names_a_module_outside_every_layer(tmp_path):
    edges = _package(tmp_path, {"stray.py": "import json\n"})
    assert "ci_plugin.stray belongs to no layer" in architecture.layer_violations(edges)


#: Where the project's own Python lives (docs/examples holds the example plugins a plugin author copies).
SOURCE_TREES = ("ci_plugin", "hooks", "bench", "scripts", "docs/examples")
MAX_MODULE_LINES = 400


def test_every_module_stays_under_the_size_limit():
    """One job per module: none of the project's modules grows past MAX_MODULE_LINES lines."""
    modules = [p for tree in SOURCE_TREES for p in (ROOT / tree).rglob("*.py")
               if not any(part in ("build", ".venv", "__pycache__") for part in p.relative_to(ROOT).parts)]
    assert len(modules) > 50
    too_long = {str(p.relative_to(ROOT)): n for p in modules
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}
