"""The plugin manager: a typed facade over pluggy, one method per hook.

Operations never call a hook by its name: they call :meth:`PluginManager.before_convert`,
:meth:`PluginManager.after_link` and so on, whose parameters are the hook's arguments, so a
missing argument is a TypeError at the call site, never a plugin's fault. Each method applies
its hook kind's failure policy (see :mod:`ci_plugin.hookspecs`):

* registries collect what plugins register and stop the command if a plugin raises;
* guards ask every implementation, and raise :class:`~ci_plugin.errors.VetoError` naming
  every plugin that refused (a guard that raises refuses: guards fail closed);
* notifiers tell every implementation; a failure is logged with the plugin's name and returned,
  never raised: the operation has already happened on the host.

After loading, every hook implementation must match a spec (a misspelt ``ci_after_convrt`` is
a :class:`~ci_plugin.errors.PluginContractError` naming the plugin and the hook), and hook
wrappers are refused: every call runs each implementation on its own, so that a failure can
be named and isolated, which a wrapper around the whole call would defeat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

from ci_plugin import hookspecs
from ci_plugin.errors import PluginContractError, PluginError, VetoError
from ci_plugin.plugins import loading
from ci_plugin.plugins.loading import PluginInfo

if TYPE_CHECKING:  # pragma: no cover - typing only
    from importlib.metadata import EntryPoint

    from ci_plugin.domain.model import ConversionDraft, Improvement, Ticket
    from ci_plugin.hookspecs import RegisterView
    from ci_plugin.hosts.base import HostAdapter
    from ci_plugin.scoring.base import ScoringModel

log = logging.getLogger(__name__)

#: The facade method that calls each hook (the drift tests check that every spec has one, and
#: that something in the package calls it).
HOOK_METHODS = {
    "ci_register_hosts": "hosts",
    "ci_register_scoring_models": "scoring_models",
    "ci_register_config_sections": "config_sections",
    "ci_before_convert": "before_convert",
    "ci_guard_transition": "guard_transition",
    "ci_after_convert": "after_convert",
    "ci_after_link": "after_link",
    "ci_after_transition": "after_transition",
    "ci_after_assess": "after_assess",
    "ci_after_measure": "after_measure",
    "ci_review_due": "review_due",
    "ci_watch_pass": "watch_pass",
}


class PluginManager:
    """Loads plugins, checks them against the specs, and calls their hooks by kind."""

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
        self.disabled = set(disabled or [])
        enabled_set = set(enabled or [])
        if load_external is None:
            load_external = not loading.external_disabled_by_env()
        for name, module_name in loading.CORE_PLUGINS:
            self._add(name, loading.importlib.import_module(module_name), "core", True)
        builtins = loading.builtin_hook_names()
        unknown = enabled_set - set(builtins)
        if unknown:
            raise PluginContractError(
                f"hooks.enabled names unknown built-in hook(s): {', '.join(sorted(unknown))}; "
                f"available: {', '.join(builtins) or 'none'}"
            )
        for name in builtins:
            if name in enabled_set and name not in self.disabled:
                self._add(name, loading.import_builtin(name), "builtin", True)
            else:
                self.infos.append(PluginInfo(name, "builtin", False, summary=loading.builtin_summary(name)))
        if load_external:
            for entry_point in loading.entry_points():
                self._add_external(entry_point, entry_point.name not in self.disabled)
        for name, plugin in extra_plugins or []:
            self._add(name, plugin, "external", name not in self.disabled)
        self._hosts: dict[str, type[HostAdapter]] | None = None
        self._models: dict[str, ScoringModel] | None = None
        self._sections: dict[str, dict[str, Any]] | None = None

    # --- loading ------------------------------------------------------------------------------

    def _add(self, name: str, plugin: Any, origin: str, enabled: bool) -> None:
        info = PluginInfo(name=name, origin=origin, enabled=enabled,
                          hooks=loading.hook_names_of(plugin), summary=loading.first_line(getattr(plugin, "__doc__", "")))
        if enabled:
            try:
                self.pm.register(plugin, name=name)
            except (ValueError, pluggy.PluginValidationError) as exc:
                raise PluginContractError(f"plugin {name} cannot be registered: {exc}") from None
            self._check(name)
        self.infos.append(info)

    def _add_external(self, entry_point: EntryPoint, enabled: bool) -> None:
        version = loading.version_of(entry_point)
        if not enabled:
            self.infos.append(PluginInfo(entry_point.name, "external", False, version=version))
            return
        self._add(entry_point.name, loading.load_entry_point(entry_point), "external", True)
        self.infos[-1].version = version

    def _check(self, name: str) -> None:
        """Refuse a plugin's hooks that match no spec (misspelt) and hook wrappers."""
        plugin = self.pm.get_plugin(name)
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.spec is None:
                self.pm.unregister(name=name)
                known = ", ".join(sorted(n for n in dir(hookspecs) if n.startswith("ci_")))
                raise PluginContractError(f"plugin {name} implements {caller.name}, which is not a ci-plugin hook "
                                          f"(misspelt?); hooks are: {known}")
            for impl in caller.get_hookimpls():
                if impl.plugin_name == name and (impl.hookwrapper or impl.wrapper):
                    self.pm.unregister(name=name)
                    raise PluginContractError(f"plugin {name}: {caller.name} is a hook wrapper; ci-plugin calls every "
                                              "implementation on its own, so wrappers are not supported")
        self.pm.check_pending()

    def load_host_plugin(self, host_type: str) -> bool:
        """Load the external plugin whose entry point is named ``host_type``, if it is not loaded.

        The configuration names the host it needs (``[host] type``), so the plugin providing it
        is loaded even when external plugins are otherwise off; ``[hooks] disabled`` still
        switches it off. Returns whether a plugin was loaded (the registries are then collected
        again).
        """
        if host_type in self.disabled or self.is_enabled(host_type):
            return False
        found = loading.entry_points(host_type)
        if not found:
            return False
        self._add_external(found[0], True)
        self._hosts = self._models = self._sections = None
        return True

    def is_enabled(self, name: str) -> bool:
        """Whether a plugin of that name is registered and on."""
        return any(info.name == name and info.enabled for info in self.infos)

    # --- registries ---------------------------------------------------------------------------

    def _collect(self, hook_name: str, what: str, call: Callable[[Any, Callable[..., None]], None]) -> dict[str, Any]:
        """Run a registry hook: ``call(impl_function, add)`` for each implementation; ``add``
        refuses a name registered twice; a plugin that raises stops the command."""
        found: dict[str, Any] = {}

        def add(name: str, value: Any) -> None:
            if name in found:
                raise PluginError(f"{what} {name!r} is registered twice")
            found[name] = value

        for impl in self._impls(hook_name):
            try:
                call(impl.function, add)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {impl.plugin_name} failed in {hook_name}: {exc}") from None
        return found

    def hosts(self) -> dict[str, type[HostAdapter]]:
        """Host adapter classes by ``[host] type`` name, from every ``ci_register_hosts``."""
        if self._hosts is None:
            self._hosts = self._collect("ci_register_hosts", "host type",
                                        lambda function, add: function(add_host=add))
        return self._hosts

    def scoring_models(self) -> dict[str, ScoringModel]:
        """Scoring models by name, from every ``ci_register_scoring_models``."""
        if self._models is None:
            self._models = self._collect("ci_register_scoring_models", "scoring model",
                                         lambda function, add: function(add_model=lambda model: add(model.name, model)))
        return self._models

    def config_sections(self) -> dict[str, dict[str, Any]]:
        """JSON Schemas of plugin-owned configuration tables, from every ``ci_register_config_sections``."""
        if self._sections is None:
            self._sections = self._collect("ci_register_config_sections", "configuration section",
                                           lambda function, add: function(add_section=add))
        return self._sections

    # --- guards -------------------------------------------------------------------------------

    def before_convert(self, draft: ConversionDraft, sources: list[Ticket], register: RegisterView) -> None:
        """Ask every ``ci_before_convert``; raise VetoError ("conversion refused by ...")."""
        self._guard("ci_before_convert", "conversion", {"draft": draft, "sources": sources, "register": register})

    def guard_transition(self, improvement: Improvement, from_state: str, to_state: str,
                         register: RegisterView) -> None:
        """Ask every ``ci_guard_transition``; raise VetoError ("transition refused by ...")."""
        self._guard("ci_guard_transition", "transition", {"improvement": improvement, "from_state": from_state,
                                                           "to_state": to_state, "register": register})

    # --- notifiers ----------------------------------------------------------------------------

    def after_convert(self, improvement: Improvement, sources: list[Ticket], created: bool,
                      register: RegisterView) -> list[str]:
        """Tell every ``ci_after_convert``; return the failures."""
        return self._notify("ci_after_convert", {"improvement": improvement, "sources": sources,
                                                 "created": created, "register": register})

    def after_link(self, improvement: Improvement, kind: str, target: Ticket, register: RegisterView) -> list[str]:
        """Tell every ``ci_after_link``; return the failures."""
        return self._notify("ci_after_link", {"improvement": improvement, "kind": kind, "target": target,
                                              "register": register})

    def after_transition(self, improvement: Improvement, from_state: str, to_state: str,
                         register: RegisterView) -> list[str]:
        """Tell every ``ci_after_transition``; return the failures."""
        return self._notify("ci_after_transition", {"improvement": improvement, "from_state": from_state,
                                                    "to_state": to_state, "register": register})

    def after_assess(self, improvement: Improvement, assessment: dict[str, Any], register: RegisterView) -> list[str]:
        """Tell every ``ci_after_assess``; return the failures."""
        return self._notify("ci_after_assess", {"improvement": improvement, "assessment": assessment,
                                                "register": register})

    def review_due(self, improvement: Improvement, due_field: str, due_date: str, register: RegisterView) -> list[str]:
        """Tell every ``ci_review_due`` that ``due_field`` (``review_date``/``target_date``) has
        come on ``due_date``; return the failures."""
        return self._notify("ci_review_due", {"improvement": improvement, "due_field": due_field,
                                              "due_date": due_date, "register": register})

    def watch_pass(self, register: RegisterView) -> list[str]:
        """Tell every ``ci_watch_pass`` that a watch pass reached the host; return the failures."""
        return self._notify("ci_watch_pass", {"register": register})

    def after_measure(self, improvement: Improvement, measurement: dict[str, Any], register: RegisterView) -> list[str]:
        """Tell every ``ci_after_measure``; return the failures."""
        return self._notify("ci_after_measure", {"improvement": improvement, "measurement": measurement,
                                                 "register": register})

    # --- calling ------------------------------------------------------------------------------

    def _impls(self, hook_name: str) -> list[Any]:
        """Implementations in pluggy's call order (last registered first, tryfirst/trylast kept)."""
        return list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))

    def _guard(self, hook_name: str, operation: str, arguments: dict[str, Any]) -> None:
        refusals: list[tuple[str, str]] = []
        for impl in self._impls(hook_name):
            try:
                reason = impl.function(**{k: arguments[k] for k in impl.argnames})
            except VetoError:
                raise
            except Exception as exc:
                raise VetoError(impl.plugin_name, f"guard failed: {exc.__class__.__name__}: {exc}", operation) from None
            if reason:
                refusals.append((impl.plugin_name, str(reason)))
        if refusals:
            (plugin, reason), *also = refusals
            raise VetoError(plugin, reason, operation, also)

    def _notify(self, hook_name: str, arguments: dict[str, Any]) -> list[str]:
        failures = []
        for impl in self._impls(hook_name):
            try:
                impl.function(**{k: arguments[k] for k in impl.argnames})
            except Exception as exc:
                message = f"plugin {impl.plugin_name} failed in {hook_name}: {exc.__class__.__name__}: {exc}"
                log.warning("%s", message)
                failures.append(message)
        return failures


def from_config(config: Any, **kwargs: Any) -> PluginManager:
    """Build the plugin manager a configuration asks for (``[hooks] enabled/disabled``)."""
    hooks = config.section("hooks")
    return PluginManager(enabled=hooks.get("enabled", []), disabled=hooks.get("disabled", []), **kwargs)
