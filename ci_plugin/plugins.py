"""The plugin manager: a small typed facade over pluggy.

Where plugins come from, in the order they are registered:

* **core**: plugins inside ``ci_plugin`` that are always on (the host adapters, the built-in
  scoring models);
* **builtin**: modules of ``hooks/`` (``ci_plugin.hooks``), off until an admin enables them in
  ``[hooks] enabled`` or with ``ci-plugin hooks enable NAME``;
* **external**: packages exposing the entry-point group ``ci_plugin``, on unless listed in
  ``[hooks] disabled``; ``CI_PLUGIN_DISABLE_EXTERNAL=1`` skips them all, except the plugin
  whose entry point is named after the configured ``[host] type`` (see
  :meth:`PluginManager.load_host_plugin`): without it no command could run.

The facade also enforces the failure policy of each hook kind (see :mod:`ci_plugin.hookspecs`):
:meth:`PluginManager.guard` and :meth:`PluginManager.notify` call every implementation
themselves so a refusal or a failure can name its plugin.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from ci_plugin import hookspecs
from ci_plugin.errors import PluginError, VetoError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ci_plugin"
DISABLE_EXTERNAL_ENV = "CI_PLUGIN_DISABLE_EXTERNAL"
CORE_PLUGINS = ("ci_plugin.hosts.builtin", "ci_plugin.scoring.builtin")
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


def builtin_hook_names() -> list[str]:
    """Names of the built-in hook plugins shipped in ``hooks/``."""
    package = importlib.import_module(BUILTIN_PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def _summary(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def _hooks_of(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if n.startswith("ci_") and callable(getattr(obj, n, None)))


class PluginManager:
    """ci-plugin's plugin manager: loads plugins, exposes registries, runs guards and notifiers."""

    def __init__(
        self,
        *,
        enabled: list[str] | None = None,
        disabled: list[str] | None = None,
        load_external: bool | None = None,
        extra_plugins: list[tuple[str, Any]] | None = None,
    ):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []
        enabled_set, disabled_set = set(enabled or []), set(disabled or [])
        self.disabled = disabled_set
        if load_external is None:
            load_external = os.environ.get(DISABLE_EXTERNAL_ENV, "") not in ("1", "true", "yes")
        for module_name in CORE_PLUGINS:
            self._add(module_name.rsplit(".", 2)[-2], importlib.import_module(module_name), "core", True)
        builtins = builtin_hook_names()
        unknown = enabled_set - set(builtins)
        if unknown:
            raise PluginError(
                f"hooks.enabled names unknown built-in hook(s): {', '.join(sorted(unknown))}; "
                f"available: {', '.join(builtins) or 'none'}"
            )
        for name in builtins:
            on = name in enabled_set and name not in disabled_set
            module = importlib.import_module(f"{BUILTIN_PACKAGE}.{name}") if on else None
            self._add(name, module, "builtin", on, summary_from=f"{BUILTIN_PACKAGE}.{name}")
        if load_external:
            for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
                self._add_external(entry_point, entry_point.name not in disabled_set)
        for name, plugin in extra_plugins or []:
            self._add(name, plugin, "external", name not in disabled_set)
        self._hosts: dict[str, type] | None = None
        self._models: dict[str, Any] | None = None

    def _add(self, name: str, plugin: Any, origin: str, enabled: bool, summary_from: str | None = None) -> None:
        info = PluginInfo(name=name, origin=origin, enabled=enabled)
        if plugin is None and summary_from:
            plugin_doc = importlib.util.find_spec(summary_from)
            info.summary = _module_summary(plugin_doc.origin) if plugin_doc and plugin_doc.origin else ""
        if plugin is not None:
            info.summary, info.hooks = _summary(plugin), _hooks_of(plugin)
            if enabled:
                try:
                    self.pm.register(plugin, name=name)
                except (ValueError, pluggy.PluginValidationError) as exc:
                    raise PluginError(f"plugin {name} cannot be registered: {exc}") from None
        self.infos.append(info)

    def _add_external(self, entry_point: metadata.EntryPoint, enabled: bool) -> None:
        version = entry_point.dist.version if entry_point.dist else ""
        if not enabled:
            self.infos.append(PluginInfo(entry_point.name, "external", False, version=version))
            return
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken third-party package
            raise PluginError(
                f"plugin {entry_point.name} ({entry_point.value}) failed to load: {exc.__class__.__name__}: {exc}; "
                f"disable it in [hooks] disabled or set {DISABLE_EXTERNAL_ENV}=1"
            ) from None
        self._add(entry_point.name, plugin, "external", True)
        self.infos[-1].version = version

    # --- registries ---------------------------------------------------------------------------

    @staticmethod
    def _collector(what: str) -> tuple[dict[str, Any], Callable[[str, Any], None]]:
        """A dict and the ``add(name, value)`` callback a registry hook fills it with."""
        found: dict[str, Any] = {}

        def add(name: str, value: Any) -> None:
            if name in found:
                raise PluginError(f"{what} {name!r} is registered twice")
            found[name] = value

        return found, add

    def hosts(self) -> dict[str, type]:
        """Host adapter classes by name, from every ``ci_register_hosts``."""
        if self._hosts is None:
            found, add = self._collector("host type")
            self._call_registry("ci_register_hosts", add_host=add)
            self._hosts = found
        return self._hosts

    def load_host_plugin(self, host_type: str) -> bool:
        """Load the external plugin whose entry point is named ``host_type``, if it is not loaded.

        The configuration names the host it needs (``[host] type``), so the plugin providing it
        is loaded even when external plugins are otherwise off (``CI_PLUGIN_DISABLE_EXTERNAL=1``
        or ``load_external=False``); ``[hooks] disabled`` still switches it off. Returns whether
        a plugin was loaded (the host registry is then collected again).
        """
        if host_type in self.disabled or any(info.name == host_type and info.enabled for info in self.infos):
            return False
        found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == host_type]
        if not found:
            return False
        self._add_external(found[0], True)
        self._hosts = None
        return True

    def scoring_models(self) -> dict[str, Any]:
        """Scoring models by name, from every ``ci_register_scoring_models``."""
        if self._models is None:
            found, add_named = self._collector("scoring model")
            self._call_registry("ci_register_scoring_models", add_model=lambda model: add_named(model.name, model))
            self._models = found
        return self._models

    def _call_registry(self, hook_name: str, **kwargs: Any) -> None:
        for impl in self._impls(hook_name):
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames})
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {impl.plugin_name} failed in {hook_name}: {exc}") from None

    # --- guards and notifiers -----------------------------------------------------------------

    def _impls(self, hook_name: str) -> list[Any]:
        """Implementations in pluggy's call order (last registered first, tryfirst/trylast kept)."""
        caller = getattr(self.pm.hook, hook_name)
        return [impl for impl in reversed(caller.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)]

    def guard(self, hook_name: str, operation: str, **kwargs: Any) -> None:
        """Ask every implementation of a guard hook; raise :class:`VetoError` naming every
        plugin that refused. A guard that raises stops the operation at once (fail closed)."""
        refusals: list[tuple[str, str]] = []
        for impl in self._impls(hook_name):
            try:
                reason = impl.function(**{k: kwargs[k] for k in impl.argnames})
            except VetoError:
                raise
            except Exception as exc:
                raise VetoError(impl.plugin_name, f"guard failed: {exc.__class__.__name__}: {exc}", operation) from None
            if reason:
                refusals.append((impl.plugin_name, str(reason)))
        if refusals:
            (plugin, reason), *also = refusals
            raise VetoError(plugin, reason, operation, also)

    def notify(self, hook_name: str, **kwargs: Any) -> list[str]:
        """Tell every implementation of a notifier hook; return the failures (also logged)."""
        failures = []
        for impl in self._impls(hook_name):
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames})
            except Exception as exc:
                message = f"plugin {impl.plugin_name} failed in {hook_name}: {exc.__class__.__name__}: {exc}"
                log.warning("%s", message)
                failures.append(message)
        return failures

    def is_enabled(self, name: str) -> bool:
        """Whether a plugin of that name is registered and on."""
        return any(info.name == name and info.enabled for info in self.infos)


def _module_summary(path: str) -> str:
    """First docstring line of a module file, without importing it (for disabled built-ins)."""
    import ast

    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError):
        return ""
    return _summary(type("M", (), {"__doc__": ast.get_docstring(tree)}))


def from_config(config: Any, **kwargs: Any) -> PluginManager:
    """Build the plugin manager a configuration asks for."""
    hooks = config.section("hooks")
    return PluginManager(enabled=hooks.get("enabled", []), disabled=hooks.get("disabled", []), **kwargs)

