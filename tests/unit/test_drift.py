"""Drift guards: what the package offers stays documented, tested and wired.

* every hook spec has a README row, a facade method that calls it, a caller of that method in
  the package, and a test that implements it;
* every built-in hook in ``hooks/`` has a README row and a test that enables it;
* every CLI command (aliases and sub-actions included) has an example in the README.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from pathlib import Path

import pytest

from ci_plugin import hookspecs
from ci_plugin.cli import build_parser
from ci_plugin.plugins.loading import builtin_hook_names
from ci_plugin.plugins.manager import HOOK_METHODS, PluginManager

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
THIS = Path(__file__).resolve()
HOOKS = sorted(n for n, f in vars(hookspecs).items() if n.startswith("ci_") and hasattr(f, "ci_plugin_spec"))


def _sources(*folders: str, exclude: Path | None = None) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))
            if p.resolve() != exclude}


TESTS = _sources("tests", exclude=THIS)
PACKAGE = _sources("ci_plugin", "hooks")


def test_the_hook_list_is_read_from_the_specs():
    assert "ci_before_convert" in HOOKS and "ci_after_measure" in HOOKS and len(HOOKS) >= 10


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_readme_row(hook):
    assert re.search(rf"^\| `{hook}\(", README, re.M), f"README's hook table has no row for {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_facade_method_that_calls_it(hook):
    method = HOOK_METHODS.get(hook)
    assert method and callable(getattr(PluginManager, method, None)), f"PluginManager has no method for {hook}"
    assert f'"{hook}"' in inspect.getsource(getattr(PluginManager, method))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_called_somewhere_in_the_package(hook):
    method = HOOK_METHODS[hook]
    manager = ROOT / "ci_plugin" / "plugins" / "manager.py"
    callers = [p for p, text in PACKAGE.items() if p != manager and re.search(rf"\.{method}\(", text)]
    assert callers, f"nothing in the package calls PluginManager.{method} ({hook})"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_that_implements_it(hook):
    """A test plugin implements the hook, so a test sees it called (built-in hooks that
    implement it are tested on their own, below)."""
    assert any(re.search(rf"def {hook}\(", text) for text in TESTS.values()), f"no test implements {hook}"


@pytest.mark.parametrize("name", builtin_hook_names())
def test_every_builtin_hook_has_a_readme_row_and_a_test(name):
    assert re.search(rf"^\| `{name}` \|", README, re.M), f"README's built-in hook table has no row for {name}"
    assert any(name in text for text in TESTS.values()), f"no test enables the built-in hook {name}"


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """Every sub-command path (``hooks enable``); an alias is listed, its sub-actions are not
    listed again."""
    found, seen = [], set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix}{name}")
                if id(sub) not in seen:
                    seen.add(id(sub))
                    found += _commands(sub, f"{prefix}{name} ")
    return found


COMMANDS = _commands(build_parser())


def test_the_command_list_is_read_from_the_parser():
    assert {"convert", "hooks", "hooks enable", "plugins", "prioritize"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_readme_example(command):
    assert re.search(rf"^ci-plugin {re.escape(command)}\b", README, re.M), f"README has no example of `ci-plugin {command}`"


def test_the_guards_fail_on_a_hook_without_a_row():
    """The row check is not vacuous: a made-up hook has no row."""
    assert not re.search(r"^\| `ci_after_nothing\(", README, re.M)
    tree = ast.parse((ROOT / "ci_plugin" / "hookspecs.py").read_text())
    specs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("ci_")]
    assert sorted(specs) == HOOKS
