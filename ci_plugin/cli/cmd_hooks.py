"""``hooks`` (alias ``plugins``): list plugins and built-in hooks, enable or disable them."""

from __future__ import annotations

import argparse
import os

from ci_plugin import config as config_module
from ci_plugin import config_hosts
from ci_plugin.app import load_config, load_plugins
from ci_plugin.cli.output import out, out_json
from ci_plugin.errors import UsageError
from ci_plugin.plugins.loading import builtin_hook_names


def add_parsers(add) -> None:
    """Add ``hooks list|enable|disable`` and its alias ``plugins``."""
    p = add("hooks", "list, enable or disable plugins and built-in hooks", run_hooks, aliases=["plugins"])
    actions = p.add_subparsers(dest="hooks_action", metavar="ACTION")
    add("list", "show every plugin, its origin, hooks and state", run_hooks, parent=actions)
    for action in ("enable", "disable"):
        q = add(action, f"{action} a plugin in the configuration file", run_hooks, parent=actions)
        q.add_argument("name", metavar="NAME")


def run_hooks(args: argparse.Namespace) -> int:
    """``list`` (the default) prints every plugin; ``enable``/``disable`` rewrite ``[hooks]``."""
    action = args.hooks_action or "list"
    if action == "list":
        cfg = load_config(args.config) if (args.config or os.environ.get(config_module.CONFIG_ENV)) else None
        manager = load_plugins(cfg)
        if args.json:
            out_json([vars(info) for info in manager.infos])
            return 0
        for info in manager.infos:
            state = "enabled" if info.enabled else "disabled"
            version = f" {info.version}" if info.version else ""
            out(f"{info.name:<22}{info.origin:<9}{state:<9}{', '.join(info.hooks) or '-'}{version}")
            if info.summary:
                out(f"{'':<22}{info.summary}")
        return 0
    cfg = load_config(args.config)
    if cfg.path is None:
        raise UsageError("hooks enable/disable needs a configuration file")
    hooks = cfg.section("hooks")
    enabled, disabled = list(hooks.get("enabled", [])), list(hooks.get("disabled", []))
    name = args.name
    if name not in {info.name for info in load_plugins(cfg).infos}:
        raise UsageError(f"no plugin named {name!r}; see `ci-plugin hooks list`")
    builtins = builtin_hook_names()
    if action == "enable":
        if name in disabled:
            disabled.remove(name)
        if name in builtins and name not in enabled:
            enabled.append(name)
    else:
        if name in enabled:
            enabled.remove(name)
        if name not in builtins and name not in disabled:
            disabled.append(name)
    config_module.set_hook_lists(cfg.path, {"enabled": enabled, "disabled": disabled}, validate=config_hosts.parse)
    out(f"{name}: {action}d in {cfg.path}")
    return 0
