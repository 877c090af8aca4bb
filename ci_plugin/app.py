"""The composition root: the one place that builds a configuration, plugins, a host and a register.

The CLI, the benchmarks and the test harnesses all start here::

    register = open_register("ci-plugin.toml")

Order matters and lives only here: the configuration's core sections are validated first
(``[hooks]`` says which plugins to load), then the plugins load (and the plugin that provides
the configured host type, even with external plugins off), then the tables plugins declared
through ``ci_register_config_sections`` are validated, then the host adapter is built and the
register receives its configuration, host and plugins.

With several hosts configured (``[[hosts]]``, :mod:`ci_plugin.config_hosts`) there is one
register per host, each with its own adapter and plugin manager: :func:`open_registers` builds
them all (the commands that read and merge), :func:`open_register` the one a command acts on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ci_plugin import config_hosts
from ci_plugin.config import Config
from ci_plugin.config_hosts import NamedConfig
from ci_plugin.errors import ConfigError, UsageError
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.plugins.manager import PluginManager
from ci_plugin.register import ImprovementRegister


def load_plugins(config: Config | None = None, *, load_external: bool | None = None,
                 extra_plugins: list[tuple[str, Any]] | None = None) -> PluginManager:
    """The plugin manager ``config`` asks for (every plugin when ``config`` is None); with a
    config, also the plugin of its host type, and its plugin-owned sections validated."""
    if config is None:
        return PluginManager(load_external=load_external, extra_plugins=extra_plugins)
    hooks = config.section("hooks")
    manager = PluginManager(enabled=hooks.get("enabled", []), disabled=hooks.get("disabled", []),
                            load_external=load_external, extra_plugins=extra_plugins)
    _complete(manager, config)
    return manager


def _complete(manager: PluginManager, config: Config) -> None:
    """Load the plugin of the configured host type if no loaded plugin provides it (a host from
    a third-party package, named by the config), then validate the plugin-owned sections."""
    if config.host_type not in manager.hosts():
        manager.load_host_plugin(config.host_type)
    config.apply_sections(manager.config_sections())


def open_host(config: Config, plugins: PluginManager) -> HostAdapter:
    """The adapter of ``[host] type``; ConfigError naming the known types if there is none."""
    adapters = plugins.hosts()
    adapter_class = adapters.get(config.host_type)
    if adapter_class is None:
        raise ConfigError(f"host.type: unknown host type {config.host_type!r}; known: {', '.join(sorted(adapters))}")
    return adapter_class(config)


def load_hosts(source: Config | list[NamedConfig] | str | os.PathLike[str] | None = None) -> list[NamedConfig]:
    """The configured hosts: a :class:`Config` is one host under its implicit name, a list is
    taken as it is, a path is loaded (default: ``$CI_PLUGIN_CONFIG``; see :mod:`ci_plugin.config_hosts`)."""
    if isinstance(source, Config):
        return [NamedConfig(config_hosts.implicit_name(source), source)]
    if isinstance(source, list):
        return source
    return config_hosts.load(Path(source) if source is not None else None)


def load_config(source: Config | str | os.PathLike[str] | None = None) -> Config:
    """A :class:`Config` as given, or loaded from a path (default: ``$CI_PLUGIN_CONFIG``); of a
    ``[[hosts]]`` configuration, the first host's (the tables all hosts share are the same)."""
    if isinstance(source, Config):
        return source
    return load_hosts(source)[0].config


def choose(hosts: list[NamedConfig], name: str | None) -> NamedConfig:
    """The host called ``name``; with ``name`` None, the only host. UsageError (exit 2, naming
    the configured hosts) for an unknown name, or no name when several hosts are configured."""
    names = ", ".join(h.name for h in hosts)
    if name is None:
        if len(hosts) == 1:
            return hosts[0]
        raise UsageError(f"several hosts are configured ({names}): name one with --host NAME, or write ids as NAME:ID")
    for named in hosts:
        if named.name == name:
            return named
    raise UsageError(f"no host named {name!r}; configured: {names}")


def open_register(source: Config | list[NamedConfig] | str | os.PathLike[str] | None = None, *,
                  plugins: PluginManager | None = None, host: HostAdapter | None = None,
                  name: str | None = None) -> ImprovementRegister:
    """The register of one host of a configuration (a :class:`Config`, a list of hosts or a
    file path): plugins loaded, plugin sections validated, host adapter built. ``name`` picks
    the host (see :func:`choose`). ``plugins`` and ``host`` replace the ones it would build
    (tests, benchmarks, an in-memory host)."""
    hosts = load_hosts(source)
    return _open(choose(hosts, name), len(hosts) > 1, plugins, host)


def open_registers(source: Config | list[NamedConfig] | str | os.PathLike[str] | None = None, *,
                   plugins: PluginManager | None = None, name: str | None = None) -> list[ImprovementRegister]:
    """The register of every configured host, in the configuration's order (only host ``name``'s
    when given); with several hosts configured, each is labelled with its host's name (ids shown
    ``name:id``)."""
    hosts = load_hosts(source)
    chosen = [choose(hosts, name)] if name is not None else hosts
    return [_open(named, len(hosts) > 1, plugins, None) for named in chosen]


def _open(named: NamedConfig, several: bool, plugins: PluginManager | None,
          host: HostAdapter | None) -> ImprovementRegister:
    config = named.config
    try:
        if plugins is None:
            plugins = load_plugins(config)
        else:
            _complete(plugins, config)
    except ConfigError as exc:  # a plugin-owned table of one of several hosts: name the host
        if not several:
            raise
        raise ConfigError(f"{exc} (host {named.name!r})") from None
    return ImprovementRegister(config, host or open_host(config, plugins), plugins,
                               label=named.name if several else "")
