"""Plugins: where they come from (:mod:`.loading`), the typed manager that calls their hooks
(:mod:`.manager`), and the core plugins that register what ci-plugin ships (:mod:`.core_hosts`,
:mod:`.core_scoring`). The hooks themselves are specified in :mod:`ci_plugin.hookspecs`."""

from ci_plugin.plugins.loading import DISABLE_EXTERNAL_ENV, ENTRY_POINT_GROUP, PluginInfo, builtin_hook_names
from ci_plugin.plugins.manager import PluginManager, from_config

__all__ = ["DISABLE_EXTERNAL_ENV", "ENTRY_POINT_GROUP", "PluginInfo", "PluginManager", "builtin_hook_names",
           "from_config"]
