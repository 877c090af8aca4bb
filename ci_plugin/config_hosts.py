"""Several hosts in one configuration: the ``[[hosts]]`` list, validated, one :class:`Config` each.

A configuration holds either one ``[host]`` table (as it always did: one host, whose implicit
name is its type, ``rt`` or ``redmine``) or a ``[[hosts]]`` array of tables, each with a
``name`` (a lowercase identifier, unique) and the keys of ``[host]`` (``type``, ``url``,
``token_env``, ...), plus, as sub-tables, any table a single-host configuration has
(``[hosts.rt]``, ``[hosts.states]``, a plugin's own table): such a table replaces the top-level
table of the same name for that host only. Every other top-level table is shared by all hosts.

The list is validated with a JSON Schema built from the core configuration schema (so the keys
of a host can never drift from those of ``[host]``); errors name their JSON path
(``$.hosts[1].url``). A repeated name is refused naming both places. Each host's configuration
is then validated as a single-host configuration would be (:func:`ci_plugin.config.from_raw`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_plugin import config as config_module
from ci_plugin.config import CONFIG_ENV, Config
from ci_plugin.domain import validation
from ci_plugin.errors import ConfigError, SchemaValidationError

#: A host name: a lowercase identifier (it prefixes ids, ``name:id``).
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}(?!\n)$"
#: Top-level tables a host entry may not replace (``host`` is the entry itself; the plugins
#: to load are one choice for the whole run).
SHARED_ONLY = ("host", "hooks")


@dataclass(frozen=True)
class NamedConfig:
    """One configured host: its name and its single-host configuration."""

    name: str
    config: Config


def hosts_schema() -> dict[str, Any]:
    """The JSON Schema of the ``[[hosts]]`` array, built from ``urn:ci-plugin:config``: each
    entry has ``name``, the properties of ``[host]`` and the core tables as sub-tables; any
    other sub-table (a plugin's) must be a table."""
    core = validation.schema("config")
    host = core["properties"]["host"]
    tables = {k: v for k, v in core["properties"].items() if k not in SHARED_ONLY}
    entry = {
        "type": "object",
        "required": ["name", *host.get("required", [])],
        "properties": {"name": {"type": "string", "pattern": NAME_PATTERN,
                                "description": "Host name: a lowercase identifier, unique."},
                       **host["properties"], **tables},
        "additionalProperties": {"type": "object"},
    }
    return {"$schema": core["$schema"], "$defs": core.get("$defs", {}),
            "type": "array", "minItems": 1, "items": entry}


def split(raw: dict[str, Any], where: str, environ: dict[str, str], path: Path | None) -> list[NamedConfig]:
    """The hosts of a parsed TOML document: ``[[hosts]]`` entries in their order, or the one
    ``[host]`` under its implicit name (its type). ConfigError (exit 2) when invalid."""
    if "hosts" not in raw:
        single = config_module.from_raw(raw, path=path, environ=environ)
        return [NamedConfig(implicit_name(single), single)]
    if "host" in raw:
        raise ConfigError(f"{where}: $.host: give either one [host] table or a [[hosts]] list, not both")
    entries = raw["hosts"]
    schema = hosts_schema()
    known = schema["items"]["properties"]
    for n, entry in enumerate(entries if isinstance(entries, list) else []):
        stray = sorted(k for k, v in entry.items() if k not in known and not isinstance(v, dict)) \
            if isinstance(entry, dict) else []
        if stray:  # a misspelt host key, not a table: say so rather than "is not of type 'object'"
            raise ConfigError(str(SchemaValidationError(where, f"$.hosts[{n}].{stray[0]}",
                                                        f"unknown key {stray[0]!r}")))
    try:
        validation.validate_section(schema, entries, where, "hosts")
    except SchemaValidationError as exc:
        raise ConfigError(str(exc)) from None
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries):
        if entry["name"] in seen:
            raise ConfigError(f"{where}: $.hosts[{n}].name: duplicate host name {entry['name']!r} "
                              f"(also $.hosts[{seen[entry['name']]}].name)")
        seen[entry["name"]] = n
    shared = {k: v for k, v in raw.items() if k != "hosts"}
    return [NamedConfig(entry["name"], _host_config(entry, shared, n, where, environ, path))
            for n, entry in enumerate(entries)]


def _host_config(entry: dict[str, Any], shared: dict[str, Any], n: int, where: str,
                 environ: dict[str, str], path: Path | None) -> Config:
    """The single-host configuration of entry ``n``: the shared tables, its own tables over
    them, its host keys as ``[host]``. A failure names the entry."""
    host_keys = set(validation.schema("config")["properties"]["host"]["properties"])
    own = {k: v for k, v in entry.items() if k != "name" and k not in host_keys}
    raw = {**shared, **own, "host": {k: v for k, v in entry.items() if k in host_keys}}
    try:
        return config_module.from_raw(raw, path=path, environ=environ)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (host {entry['name']!r}, $.hosts[{n}])") from None


def implicit_name(config: Config) -> str:
    """The name of the one host of a ``[host]`` configuration: its type, as an identifier."""
    name = re.sub(r"[^a-z0-9_]", "_", config.host_type.lower())
    return name if re.match(r"[a-z]", name) else f"host_{name}"


def parse(text: str, *, path: Path | None = None, environ: dict[str, str] | None = None) -> list[NamedConfig]:
    """The hosts of TOML ``text`` (see :func:`split`)."""
    env = dict(os.environ if environ is None else environ)
    return split(config_module.read_toml(text, path), str(path) if path else "config", env, path)


def load(path: str | os.PathLike[str] | None = None, *, environ: dict[str, str] | None = None) -> list[NamedConfig]:
    """The hosts of the configuration file ``path`` (default: ``$CI_PLUGIN_CONFIG``)."""
    env = dict(os.environ if environ is None else environ)
    chosen = path or env.get(CONFIG_ENV)
    if not chosen:
        raise ConfigError(f"no configuration: pass --config FILE or set {CONFIG_ENV}")
    file = Path(chosen)
    return parse(config_module.read_text(file), path=file, environ=env)
