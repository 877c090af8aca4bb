"""Where plugins come from, and what ``ci-plugin hooks list`` says about each.

* **core**: plugins inside ``ci_plugin`` that are always on (:mod:`.core_hosts` registers the
  host adapters, :mod:`.core_scoring` the built-in scoring models);
* **builtin**: modules of ``hooks/`` (``ci_plugin.hooks``), off until an admin enables them in
  ``[hooks] enabled`` or with ``ci-plugin hooks enable NAME``;
* **external**: packages exposing the entry-point group ``ci_plugin``, on unless listed in
  ``[hooks] disabled``; ``CI_PLUGIN_DISABLE_EXTERNAL=1`` skips them all, except the plugin
  whose entry point is named after the configured ``[host] type`` (without it no command could
  run).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import pkgutil
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from ci_plugin.errors import PluginError

ENTRY_POINT_GROUP = "ci_plugin"
DISABLE_EXTERNAL_ENV = "CI_PLUGIN_DISABLE_EXTERNAL"
#: Core plugins: (name shown by ``hooks list``, module).
CORE_PLUGINS = (("hosts", "ci_plugin.plugins.core_hosts"), ("scoring", "ci_plugin.plugins.core_scoring"))
BUILTIN_PACKAGE = "ci_plugin.hooks"


@dataclass
class PluginInfo:
    """What ``ci-plugin hooks list`` shows about one plugin."""

    name: str
    origin: str  # core | builtin | external
    enabled: bool
    hooks: list[str] = field(default_factory=list)
    summary: str = ""
    version: str = ""


def external_disabled_by_env(environ: dict[str, str] | None = None) -> bool:
    """Whether ``CI_PLUGIN_DISABLE_EXTERNAL`` switches external plugins off."""
    env = os.environ if environ is None else environ
    return env.get(DISABLE_EXTERNAL_ENV, "") in ("1", "true", "yes")


def builtin_hook_names() -> list[str]:
    """Names of the built-in hook plugins shipped in ``hooks/``."""
    package = importlib.import_module(BUILTIN_PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def import_builtin(name: str) -> Any:
    """The module of built-in hook ``name``."""
    return importlib.import_module(f"{BUILTIN_PACKAGE}.{name}")


def builtin_summary(name: str) -> str:
    """First docstring line of a built-in hook, read without importing it (it is disabled)."""
    spec = importlib.util.find_spec(f"{BUILTIN_PACKAGE}.{name}")
    if spec is None or not spec.origin:
        return ""
    try:
        with open(spec.origin, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError):
        return ""
    return first_line(ast.get_docstring(tree))


def first_line(doc: str | None) -> str:
    """The first line of a docstring, ``""`` for none."""
    doc = (doc or "").strip()
    return doc.splitlines()[0] if doc else ""


def hook_names_of(plugin: Any) -> list[str]:
    """Names of the ``ci_*`` functions a plugin object defines."""
    return sorted(n for n in dir(plugin) if n.startswith("ci_") and callable(getattr(plugin, n, None)))


def entry_points(name: str | None = None) -> list[metadata.EntryPoint]:
    """Entry points of the ``ci_plugin`` group (only the one called ``name``, if given)."""
    found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return [ep for ep in found if name is None or ep.name == name]


def load_entry_point(entry_point: metadata.EntryPoint) -> Any:
    """Import an external plugin; a broken package is a PluginError with a hint."""
    try:
        return entry_point.load()
    except Exception as exc:  # a broken third-party package
        raise PluginError(
            f"plugin {entry_point.name} ({entry_point.value}) failed to load: {exc.__class__.__name__}: {exc}; "
            f"disable it in [hooks] disabled or set {DISABLE_EXTERNAL_ENV}=1"
        ) from None


def version_of(entry_point: metadata.EntryPoint) -> str:
    """The version of the distribution that provides an entry point, ``""`` if unknown."""
    return entry_point.dist.version if entry_point.dist else ""
