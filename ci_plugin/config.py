"""Configuration: a TOML file, validated by ``schemas/config.schema.json``, defaults filled in.

Tables the core schema does not know are kept aside until the plugins are loaded: a plugin may
own a table (``ci_register_config_sections``), which is then validated against its schema
(:meth:`Config.apply_sections`, called by the composition root); any other is an unknown key.

The file is named by ``--config FILE`` or the ``CI_PLUGIN_CONFIG`` environment variable. The
secret is best given as ``host.token_env``, the *name* of an environment variable; it is read
only when a host session is opened, and never stored in :attr:`Config.data`.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_plugin.domain import validation, workflow
from ci_plugin.errors import ConfigError, PluginContractError, SchemaValidationError

CONFIG_ENV = "CI_PLUGIN_CONFIG"
#: Deepest nesting of tables and arrays a configuration may have (the documented keys need 4).
MAX_DEPTH = 16


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
        """The host secret, from ``host.token`` or the variable named by ``host.token_env``.

        A secret that cannot travel in an HTTP header is refused here, naming where it came
        from and never showing it: characters outside Latin-1, control characters (a newline
        pasted with it), or spaces around it."""
        host = self.data["host"]
        if "token" in host:
            return check_token(host["token"], "host.token")
        name = host["token_env"]
        value = self.environ.get(name, "")
        if not value:
            raise ConfigError(f"host.token_env: environment variable {name} is not set or empty")
        return check_token(value, f"host.token_env: environment variable {name}")

    def webhook_secret(self) -> str:
        """The shared secret of ``serve``, from the variable named by ``[webhooks] secret_env``;
        ConfigError naming the variable (never the value) when it is unset or shorter than
        :data:`MIN_WEBHOOK_SECRET` characters."""
        name = self.data.get("webhooks", {}).get("secret_env", "CI_PLUGIN_WEBHOOK_SECRET")
        value = self.environ.get(name, "").strip()
        if not value:
            raise ConfigError(f"webhooks.secret_env: environment variable {name} is not set or empty")
        if len(value) < MIN_WEBHOOK_SECRET:
            raise ConfigError(f"webhooks.secret_env: the secret in {name} is shorter than "
                              f"{MIN_WEBHOOK_SECRET} characters")
        return value


#: Shortest webhook secret accepted (a Standard Webhooks ``whsec_`` secret is far longer).
MIN_WEBHOOK_SECRET = 16


def check_token(value: str, where: str) -> str:
    """``value`` if it can be sent as an HTTP header value; ConfigError naming ``where`` (never
    the value) otherwise."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(f"{where}: the token holds characters outside Latin-1; "
                          "a token is sent in an HTTP header") from None
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ConfigError(f"{where}: the token holds a control character (a newline?)")
    if value != value.strip():
        raise ConfigError(f"{where}: the token begins or ends with a space")
    return value


def _check_values(raw: Any, where: str) -> None:
    """Refuse what TOML allows but no setting means: ``nan``/``inf`` (JSON Schema's minimum and
    maximum let NaN through) and nesting deeper than :data:`MAX_DEPTH`. Iterative, so a
    pathological file cannot exhaust the stack here."""
    stack: list[tuple[Any, str, int]] = [(raw, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}: {path}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where}: {path}: {value!r} is not a finite number")
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}", depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))


def parse(text: str, *, path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Parse and validate TOML text into a :class:`Config`."""
    return from_raw(read_toml(text, path), path=path, environ=environ)


def read_toml(text: str, path: Path | None = None) -> dict[str, Any]:
    """TOML text as a document, refused (ConfigError) when invalid, nested too deeply or
    holding a value no setting means (see :func:`_check_values`)."""
    where = str(path) if path else "config"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_values(raw, where)
    return raw


def from_raw(raw: dict[str, Any], *, path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Validate a parsed (checked) TOML document into a :class:`Config` (also used per host by
    :mod:`ci_plugin.config_hosts`)."""
    where = str(path) if path else "config"
    if "hosts" in raw:
        raise ConfigError(f"{where}: $.hosts: several hosts are configured; open them through "
                          "ci_plugin.config_hosts (the CLI does)")
    known = validation.schema("config")["properties"]
    core = {key: value for key, value in raw.items() if key in known}
    try:
        validation.validate("config", core, what=where)
    except SchemaValidationError as exc:
        raise ConfigError(str(exc)) from None
    data = validation.with_defaults("config", core)
    data["states"] = workflow.with_stock_statuses(data["host"]["type"], core.get("states", {}), data["states"])
    return Config(data=data, path=path, environ=dict(os.environ if environ is None else environ),
                  extensions={key: value for key, value in raw.items() if key not in known})


def load(path: str | os.PathLike[str] | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Load the configuration from ``path`` or ``$CI_PLUGIN_CONFIG``."""
    env = os.environ if environ is None else environ
    chosen = path or env.get(CONFIG_ENV)
    if not chosen:
        raise ConfigError(f"no configuration: pass --config FILE or set {CONFIG_ENV}")
    file = Path(chosen)
    return parse(read_text(file), path=file, environ=dict(env))


def read_text(file: Path) -> str:
    """The text of a configuration file; ConfigError when missing, unreadable or not UTF-8."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise ConfigError(f"{file}: not UTF-8 text{hint}: byte 0x{data[exc.start]:02x} at offset {exc.start}; "
                          "TOML files are UTF-8") from None


_HOOKS_HEADER = re.compile(r"^\s*\[\s*(hooks|\"hooks\"|'hooks')\s*\]\s*(#.*)?$")


def _scan_lines(text: str) -> tuple[list[bool], list[int | None]]:
    """For each line of TOML ``text``: whether it starts at the top level of a table (outside
    any string, multi-line string, array or inline table), and the column of a comment that
    starts on it outside strings (None when there is none)."""
    lines = text.split("\n")
    top: list[bool] = []
    comments: list[int | None] = []
    state = ""  # "", '"', "'", '"""', "'''"
    depth = 0
    for line in lines:
        top.append(state == "" and depth == 0)
        comment: int | None = None
        i = 0
        if state == "" and depth == 0 and line.lstrip().startswith("["):  # a table header
            j = line.find("#", line.find("]") + 1 if "]" in line else len(line))
            comments.append(j if j >= 0 else None)
            continue
        while i < len(line):
            c = line[i]
            if state in ('"""', "'''"):
                if state == '"""' and c == "\\":
                    i += 2
                    continue
                if line.startswith(state, i):
                    state = ""
                    i += 3
                    continue
            elif state == '"':
                if c == "\\":
                    i += 2
                    continue
                if c == '"':
                    state = ""
            elif state == "'":
                if c == "'":
                    state = ""
            elif c == "#":
                comment = i
                break
            elif line.startswith('"""', i) or line.startswith("'''", i):
                state = line[i:i + 3]
                i += 3
                continue
            elif c in "\"'":
                state = c
            elif c in "[{":
                depth += 1
            elif c in "]}":
                depth = max(0, depth - 1)
            i += 1
        if state in ('"', "'"):  # a one-line string cannot span lines: the TOML is invalid anyway
            state = ""
        comments.append(comment)
    return top, comments


def set_hook_list(path: Path, key: str, names: list[str]) -> None:
    """Rewrite ``[hooks] KEY = [...]`` in the file at ``path``; see :func:`set_hook_lists`."""
    set_hook_lists(path, {key: names})


def set_hook_lists(path: Path, lists: dict[str, list[str]], *, validate: Callable[..., Any] | None = None) -> None:
    """Rewrite ``[hooks] KEY = [...]`` for every KEY of ``lists`` in the file at ``path``,
    keeping every other line, in one write. Used by ``ci-plugin hooks enable|disable``.

    Lines inside multi-line strings and arrays are never taken for a table header or a key,
    and a value spanning several lines is replaced whole (a trailing comment is kept). The
    result is checked before the file is replaced: it must parse and validate, hold exactly
    the new lists, and every other value must be what it was; if not, the file is left as it
    was and ConfigError asks for an edit by hand. The file is replaced atomically with its
    permissions kept (in place when its directory cannot be written); a file that cannot be
    written is a ConfigError, not a crash. ``validate(text, path=...)`` checks the result
    (default :func:`parse`; the CLI passes :func:`ci_plugin.config_hosts.parse`, which also
    takes a ``[[hosts]]`` list).
    """
    text = read_text(path)
    newline = "\r\n" if "\r\n" in text else "\n"
    body = text.replace("\r\n", "\n")
    for key, names in lists.items():
        body = _set_one(body, key, names)
    new_text = body if body.endswith("\n") else body + "\n"
    _check_rewrite(path, text, new_text, lists, validate)
    new_text = new_text.replace("\n", newline)
    _write(path, new_text)


def _set_one(body: str, key: str, names: list[str]) -> str:
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    top, comments = _scan_lines("\n".join(lines))
    rendered = f"{key} = [" + ", ".join(_toml_string(n) for n in names) + "]"
    start = next((i for i, line in enumerate(lines) if top[i] and _HOOKS_HEADER.match(line)), None)
    if start is None:
        lines += ["", "[hooks]", rendered]
        return "\n".join(lines) + "\n"
    end = next((j for j in range(start + 1, len(lines)) if top[j] and lines[j].lstrip().startswith("[")), len(lines))
    key_re = re.compile(rf"^\s*({re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    found = next((j for j in range(start + 1, end) if top[j] and key_re.match(lines[j])), None)
    if found is None:
        lines.insert(start + 1, rendered)
    else:
        last = next((j for j in range(found + 1, end) if top[j]), end) - 1
        comment = comments[last]
        tail = "  " + lines[last][comment:] if comment is not None else ""
        lines[found:last + 1] = [rendered + tail]
    return "\n".join(lines) + "\n"


def _toml_string(name: str) -> str:
    """A TOML basic string (names of plugins are plain, but quote safely anyway)."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _check_rewrite(path: Path, old: str, new: str, lists: dict[str, list[str]],
                   validate: Callable[..., Any] | None = None) -> None:
    """The rewritten file must parse, validate, hold the new lists and change nothing else."""
    hint = f"{path}: cannot rewrite [hooks] safely in this file"
    try:
        old_raw, new_raw = tomllib.loads(old), tomllib.loads(new)
    except (tomllib.TOMLDecodeError, RecursionError):
        raise ConfigError(f"{hint}; edit hooks.{', hooks.'.join(lists)} by hand") from None
    (validate or parse)(new, path=path)
    new_hooks = dict(new_raw.get("hooks", {}))
    old_hooks = dict(old_raw.get("hooks", {}))
    for key, names in lists.items():
        if new_hooks.pop(key, None) != names:
            raise ConfigError(f"{hint}; edit hooks.{key} by hand")
        old_hooks.pop(key, None)
    rest_old = {k: v for k, v in old_raw.items() if k != "hooks"}
    rest_new = {k: v for k, v in new_raw.items() if k != "hooks"}
    if old_hooks != new_hooks or rest_old != rest_new:
        raise ConfigError(f"{hint} (another value would change); edit hooks.{', hooks.'.join(lists)} by hand")


def _write(path: Path, text: str) -> None:
    """Replace the file atomically (same permissions), or in place when its directory is not
    writable; ConfigError when it cannot be written at all."""
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError:
        fd = None
    if fd is not None:
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(tmp, path)
            return
        except OSError:
            tmp.unlink(missing_ok=True)
    try:
        with open(path, "r+b") as file:
            file.write(data)
            file.truncate()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the configuration file: {exc.strerror or exc}") from None
