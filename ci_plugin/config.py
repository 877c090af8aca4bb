"""Configuration: a TOML file, validated by ``schemas/config.schema.json``, defaults filled in.

Tables the core schema does not know are kept aside until the plugins are loaded: a plugin may
own a table (``ci_register_config_sections``), which is then validated against its schema
(:meth:`Config.apply_sections`, called by the composition root); any other is an unknown key.

The file is named by ``--config FILE`` or the ``CI_PLUGIN_CONFIG`` environment variable. The
secret is best given as ``host.token_env``, the *name* of an environment variable; it is read
only when a host session is opened, and never stored in :attr:`Config.data`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.errors import ConfigError, PluginContractError, SchemaValidationError

CONFIG_ENV = "CI_PLUGIN_CONFIG"


@dataclass
class Config:
    """A validated configuration with every default filled in."""

    data: dict[str, Any]
    path: Path | None = None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    #: Top-level tables the core schema does not know: plugin-owned sections, checked by
    #: :meth:`apply_sections` once the plugins declared them.
    extensions: dict[str, Any] = field(default_factory=dict, repr=False)

    def apply_sections(self, sections: dict[str, dict[str, Any]]) -> None:
        """Validate the plugin-owned tables against the schemas plugins declared (through
        ``ci_register_config_sections``) and add them, defaults filled in, to :attr:`data`.

        A table no plugin declared is an unknown key, as it always was; a plugin that declares a
        table the core owns is a :class:`~ci_plugin.errors.PluginContractError`.
        """
        where = str(self.path) if self.path else "config"
        taken = sorted(set(sections) & set(validation.schema("config")["properties"]))
        if taken:
            raise PluginContractError(f"a plugin declares configuration section(s) {', '.join(taken)}, "
                                      "which ci-plugin itself uses")
        for name, value in self.extensions.items():
            if name not in sections:
                raise ConfigError(str(SchemaValidationError(where, f"$.{name}", f"unknown key {name!r}")))
            try:
                validation.validate_section(sections[name], value, where, name)
            except SchemaValidationError as exc:
                raise ConfigError(str(exc)) from None
            self.data[name] = validation.fill_defaults(sections[name], value)
        for name, schema in sections.items():
            if name not in self.extensions and name not in self.data:
                self.data[name] = validation.fill_defaults(schema, {})

    @property
    def host_type(self) -> str:
        """Name of the host adapter (``rt``, ``redmine``, ...)."""
        return self.data["host"]["type"]

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table (``rt``, ``states``, ``fields``, ...), ``{}`` when absent."""
        return self.data.get(name, {})

    def hook_settings(self, plugin: str) -> dict[str, Any]:
        """The ``[hooks.NAME]`` table of one plugin, ``{}`` when absent."""
        value = self.data.get("hooks", {}).get(plugin, {})
        return value if isinstance(value, dict) else {}

    def token(self) -> str:
        """The host secret, from ``host.token`` or the variable named by ``host.token_env``."""
        host = self.data["host"]
        if "token" in host:
            return host["token"]
        name = host["token_env"]
        value = self.environ.get(name, "")
        if not value:
            raise ConfigError(f"host.token_env: environment variable {name} is not set or empty")
        return value


def parse(text: str, *, path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Parse and validate TOML text into a :class:`Config`."""
    where = str(path) if path else "config"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    known = validation.schema("config")["properties"]
    core = {key: value for key, value in raw.items() if key in known}
    try:
        validation.validate("config", core, what=where)
    except SchemaValidationError as exc:
        raise ConfigError(str(exc)) from None
    data = validation.with_defaults("config", core)
    return Config(data=data, path=path, environ=dict(os.environ if environ is None else environ),
                  extensions={key: value for key, value in raw.items() if key not in known})


def load(path: str | os.PathLike[str] | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Load the configuration from ``path`` or ``$CI_PLUGIN_CONFIG``."""
    env = os.environ if environ is None else environ
    chosen = path or env.get(CONFIG_ENV)
    if not chosen:
        raise ConfigError(f"no configuration: pass --config FILE or set {CONFIG_ENV}")
    file = Path(chosen)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    return parse(text, path=file, environ=dict(env))


_HOOKS_TABLE = re.compile(r"^\s*\[hooks\]\s*(#.*)?$")
_ANY_TABLE = re.compile(r"^\s*\[")


def set_hook_list(path: Path, key: str, names: list[str]) -> None:
    """Rewrite ``[hooks] KEY = [...]`` in the file at ``path``, keeping every other line.

    Used by ``ci-plugin hooks enable|disable``. The result is parsed and validated before the
    file is replaced (atomically), so a failure leaves the file as it was.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    rendered = f"{key} = [" + ", ".join(f'"{n}"' for n in names) + "]"
    start = next((i for i, line in enumerate(lines) if _HOOKS_TABLE.match(line)), None)
    if start is None:
        lines += ["", "[hooks]", rendered]
    else:
        end = next((j for j in range(start + 1, len(lines)) if _ANY_TABLE.match(lines[j])), len(lines))
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = next((j for j in range(start + 1, end) if key_re.match(lines[j])), None)
        if found is None:
            lines.insert(start + 1, rendered)
        else:
            if "]" not in lines[found]:
                raise ConfigError(f"{path}: hooks.{key} spans several lines; edit it by hand")
            lines[found] = rendered
    new_text = "\n".join(lines) + "\n"
    parse(new_text, path=path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new_text, encoding="utf-8")
    os.replace(tmp, path)
