"""The ``ci-plugin`` command: global options, one sub-command per operation, one error policy.

Every command that prints data takes ``--json`` (one JSON document on stdout, nothing else
there). Errors go to stderr as one line, ``ci-plugin: error: ...``, with the exit code of the
error class (see :mod:`ci_plugin.errors`): 2 bad input or config, 3 host unreachable or
credentials refused, 4 not found, 5 refused (by a guard, a hook or the host), 6 host not
provisioned, 1 other host errors, 70 an internal error (a bug). ``--debug`` adds the traceback
and never changes the exit code.

Each ``cmd_*`` module adds its sub-commands with ``add(name, help, function)``; the function is
stored with ``set_defaults(func=...)`` and called with the parsed arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tomllib
import traceback
from collections.abc import Callable
from typing import Any, TextIO

from ci_plugin.version import __version__
from ci_plugin.cli import (cmd_assess, cmd_capacity, cmd_convert, cmd_evidence, cmd_hooks, cmd_plan, cmd_propose,
                           cmd_record, cmd_register, cmd_report, cmd_serve, cmd_setup, cmd_stats,
                           cmd_workflow)
from ci_plugin.cli.output import err
from ci_plugin.config import CONFIG_ENV
from ci_plugin.errors import CIPluginError, one_line, redact, register_secret

#: The modules that add sub-commands, in the order ``--help`` lists them.
COMMAND_MODULES = (cmd_setup, cmd_convert, cmd_register, cmd_hooks, cmd_assess, cmd_workflow, cmd_plan, cmd_record,
                   cmd_stats, cmd_capacity, cmd_report, cmd_evidence, cmd_propose, cmd_serve)


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """The options every sub-command takes too. Sub-commands repeat them with SUPPRESS defaults,
    so that an option given before the sub-command is not reset by the sub-command's default."""
    kw: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--config", metavar="FILE", help=f"TOML configuration (default: ${CONFIG_ENV})", **kw)
    flags.add_argument("--host", metavar="NAME", help="with several [[hosts]] configured: the one to act on", **kw)
    flags.add_argument("--json", action="store_true", help="print one JSON document on stdout", **kw)
    flags.add_argument("-v", "--verbose", action="store_true", help="say more (log at INFO)", **kw)
    flags.add_argument("--debug", action="store_true", help="log at DEBUG and show tracebacks", **kw)
    return flags


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    common = _global_options(suppress=True)
    parser = argparse.ArgumentParser(
        prog="ci-plugin", parents=[_global_options(suppress=False)],
        description="ITIL 4 continual improvement register inside your service desk.",
    )
    parser.add_argument("--version", action="version", version=f"ci-plugin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, func: Callable[[argparse.Namespace], int], *,
            aliases: list[str] | tuple[str, ...] = (), parent: Any = None) -> argparse.ArgumentParser:
        p = (parent or sub).add_parser(name, parents=[common], help=help_text, description=help_text,
                                       aliases=list(aliases))
        p.set_defaults(func=func)
        return p

    for module in COMMAND_MODULES:
        module.add_parsers(add)
    return parser


class RedactingStream:
    """A text stream that redacts every registered secret from what is written through it
    (stdout and stderr of the CLI: data, messages, log lines and tracebacks alike)."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with the secrets replaced."""
        return self.stream.write(redact(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class RedactingFilter(logging.Filter):
    """Redacts every registered secret from a log record (message, arguments and traceback are
    rendered into the message first), whichever handler shows it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` with its rendered, redacted message; never drops a record."""
        record.msg, record.args = redact(record.getMessage()), None
        return True


def _register_config_secrets(args: argparse.Namespace) -> None:
    """Register the secrets the configuration names before anything can echo them: ``host.token``
    whatever its type (a schema error would print it back), and the values of the variables named
    by ``host.token_env`` and ``webhooks.secret_env``; the same for every ``[[hosts]]`` entry. An
    unreadable file is left to the command to report."""
    path = getattr(args, "config", None) or os.environ.get(CONFIG_ENV)
    if not path:
        return
    try:
        with open(path, "rb") as file:
            raw = tomllib.load(file)
    except (OSError, ValueError, RecursionError):
        return
    hooks = raw.get("webhooks")
    name = hooks.get("secret_env") if isinstance(hooks, dict) else None
    register_secret(os.environ.get(name if isinstance(name, str) else "CI_PLUGIN_WEBHOOK_SECRET"))
    listed = raw.get("hosts")
    for host in [raw.get("host"), *(listed if isinstance(listed, list) else [])]:
        if isinstance(host, dict):
            register_secret(host.get("token"))
            if isinstance(host.get("token_env"), str):
                register_secret(os.environ.get(host["token_env"]))


def _setup_output(args: argparse.Namespace) -> None:
    """Route stdout, stderr and logging through the redaction of :mod:`ci_plugin.errors`."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="ci-plugin: %(levelname)s: %(message)s", stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def _value_options(parser: argparse.ArgumentParser) -> tuple[set[str], set[str]]:
    """Of ``parser`` and every sub-parser below it: the option strings that take exactly one
    value, and every option string."""
    takes_value: set[str] = set()
    every: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                sub_value, sub_every = _value_options(sub)
                takes_value |= sub_value
                every |= sub_every
            continue
        every.update(action.option_strings)
        if action.option_strings and action.nargs is None and isinstance(
                action, (argparse._StoreAction, argparse._AppendAction)):
            takes_value.update(action.option_strings)
    return takes_value, every


def join_dash_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--title "-3+4"`` -> ``--title=-3+4``: a value that begins with ``-`` is taken as the value
    of the option before it, as a user means it, unless it is itself an option of ci-plugin (or
    the start of one, as argparse abbreviates). argparse alone would take ``-3+4`` for an unknown
    option. Nothing after ``--`` is touched."""
    takes_value, every = _value_options(parser)
    longs = [o for o in every if o.startswith("--")]
    result: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            result.extend(argv[i:])
            break
        following = argv[i + 1] if i + 1 < len(argv) else None
        if (token in takes_value and following is not None and following.startswith("-")
                and following not in ("-", "--")):
            name = following.split("=", 1)[0]
            is_option = name in every or (name.startswith("--") and any(o.startswith(name) for o in longs))
            if not is_option:
                result.append(f"{token}={following}")
                i += 2
                continue
        result.append(token)
        i += 1
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code.

    Every line it prints or logs, whatever its origin, passes one redaction (the secrets
    registered by :func:`ci_plugin.errors.register_secret`); error lines are cut to
    :data:`ci_plugin.errors.MAX_LINE` characters."""
    parser = build_parser()
    args = parser.parse_args(join_dash_values(parser, sys.argv[1:] if argv is None else [str(a) for a in argv]))
    _register_config_secrets(args)
    _setup_output(args)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except CIPluginError as exc:
        if args.debug:  # --debug adds the traceback, never changes the exit code
            traceback.print_exc()
        err(one_line(f"ci-plugin: error: {exc}"))
        return exc.exit_code
    except KeyboardInterrupt:
        err("ci-plugin: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug
        if args.debug:
            traceback.print_exc()
        err(one_line(f"ci-plugin: internal error: {exc.__class__.__name__}: {exc}", 260)
            + " (run again with --debug for details)")
        return 70
