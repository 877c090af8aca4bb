"""The ``ci-plugin`` command.

Every command that prints data takes ``--json`` (one JSON document on stdout, nothing else
there). Errors go to stderr as one line, ``ci-plugin: error: ...``, with the exit code of the
error class (see :mod:`ci_plugin.errors`): 2 bad input or config, 3 host unreachable or
credentials refused, 4 not found, 5 refused (by a guard, a hook or the host), 6 host not
provisioned, 1 anything else. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from ci_plugin import __version__, config as config_module, plugins
from ci_plugin.errors import CIPluginError, NotProvisionedError

log = logging.getLogger("ci_plugin")
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register the function that runs sub-command ``name``."""

    def wrap(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = func
        return func

    return wrap


def out(text: str) -> None:
    """Print to stdout."""
    sys.stdout.write(text + "\n")


def out_json(document: Any) -> None:
    """Print one JSON document to stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def err(text: str) -> None:
    """Print a line to stderr."""
    sys.stderr.write(text + "\n")


def _register(args: argparse.Namespace):
    from ci_plugin.register import ImprovementRegister

    return ImprovementRegister(config_module.load(args.config))


# --- setup / doctor ---------------------------------------------------------------------------


@command("setup")
def cmd_setup(args: argparse.Namespace) -> int:
    from ci_plugin.provisioning import setup

    register = _register(args)
    if args.print_provisioning:
        for step in register.host.manual_steps():
            out(step.content.rstrip("\n"))
        return 0
    report = setup(register)
    if args.json:
        out_json(report.to_json())
    else:
        for change in report.changes:
            if change.action != "unchanged" or args.verbose:
                out(f"{change.action:<10}{change.what}")
        created = sum(c.action != "unchanged" for c in report.changes)
        out(f"setup: {created} change(s), {len(report.changes) - created} already in place")
        for step in report.pending:
            out(f"\nMANUAL STEP: {step.title}\n  {step.why}\n  Install this as {step.filename} and restart the host"
                f" (or run `ci-plugin setup --print-provisioning`):\n")
            out(step.content.rstrip("\n"))
    if not report.complete:
        err("ci-plugin: setup incomplete: " + "; ".join(f"{f.name}: {f.detail}" for f in report.failing))
        return NotProvisionedError.exit_code
    return 0


@command("doctor")
def cmd_doctor(args: argparse.Namespace) -> int:
    from ci_plugin.provisioning import doctor

    findings = doctor(_register(args))
    if args.json:
        out_json([{"check": f.name, "ok": f.ok, "detail": f.detail} for f in findings])
    else:
        for finding in findings:
            out(f"{'ok' if finding.ok else 'MISSING':<8}{finding.name}" + (f": {finding.detail}" if finding.detail else ""))
    missing = [f.name for f in findings if not f.ok]
    if missing:
        err(f"ci-plugin: doctor: missing: {', '.join(missing)}")
        return NotProvisionedError.exit_code
    return 0


# --- convert / sync / watch -------------------------------------------------------------------


def _print_improvement(args: argparse.Namespace, improvement, extra: dict[str, Any] | None = None) -> None:
    if args.json:
        out_json({**improvement.to_record(), **(extra or {})})
    else:
        out(improvement.id)


@command("convert")
def cmd_convert(args: argparse.Namespace) -> int:
    from ci_plugin.convert import convert

    result = convert(_register(args), args.tickets, problems=args.problem, projects=args.project,
                     category=args.category, source_kind=args.source, into=args.into, title=args.title)
    _print_improvement(args, result.improvement, {"created": result.created})
    if not args.json:
        verb = "created" if result.created else "already existed"
        err(f"improvement {result.improvement.id} {verb}: {result.improvement.url}")
    return 0


@command("sync")
def cmd_sync(args: argparse.Namespace) -> int:
    from ci_plugin.convert import sync

    report = sync(_register(args))
    _print_sync(args, report)
    return 1 if report.failed else 0


def _print_sync(args: argparse.Namespace, report) -> None:
    if args.json:
        out_json({
            "converted": [{"ticket": t, "improvement": i, "created": c} for t, i, c in report.converted],
            "failed": [{"ticket": t, "error": e} for t, e in report.failed],
        })
        return
    for ticket, improvement, created in report.converted:
        out(f"ticket {ticket} -> improvement {improvement}" + ("" if created else " (existing)"))
    for ticket, error in report.failed:
        err(f"ci-plugin: ticket {ticket} left flagged: {error}")
    err(f"sync: {len(report.converted)} converted, {len(report.failed)} failed")


@command("watch")
def cmd_watch(args: argparse.Namespace) -> int:
    from ci_plugin.convert import watch

    register = _register(args)
    interval = args.interval or register.config.section("watch")["interval"]
    err(f"watching for flagged tickets every {interval:g}s (Ctrl-C to stop)")
    watch(register, interval, passes=args.passes, on_report=lambda report: _print_sync(args, report))
    return 0


# --- link / show / register -------------------------------------------------------------------


@command("link")
def cmd_link(args: argparse.Namespace) -> int:
    from ci_plugin.linking import link

    if not args.problem and not args.project:
        raise_usage("link needs --problem ID and/or --project ID")
    result = link(_register(args), args.improvement, problems=args.problem, projects=args.project)
    if args.json:
        out_json({**result.improvement.to_record(), "added": result.added})
    else:
        added = ", ".join(f"{k[:-1]} #{i}" for k, ids in result.added.items() for i in ids)
        out(f"improvement {result.improvement.id}: " + (f"linked to {added}" if added else "links already in place"))
    return 0


@command("show")
def cmd_show(args: argparse.Namespace) -> int:
    from ci_plugin import render

    improvement = _register(args).get(args.improvement)
    if args.json:
        out_json(improvement.to_record())
    else:
        out(render.detail(improvement))
    return 0


@command("register")
def cmd_register(args: argparse.Namespace) -> int:
    from ci_plugin import render
    from ci_plugin.workflow import check_state

    states = [check_state(s) for s in args.state] if args.state else None
    improvements = list(_register(args).list(states))
    improvements.sort(key=_sort_key(args.sort))
    fmt = "json" if args.json else args.format
    if fmt == "json":
        out_json([i.to_record() for i in improvements])
    elif fmt == "csv":
        out(render.csv_text(improvements))
    else:
        out(render.table(improvements))
        err(f"{len(improvements)} improvement(s)")
    return 0


def _sort_key(order: str) -> Callable[[Any], Any]:
    if order == "rank":
        return lambda i: (i.get("rank") is None, i.get("rank") or 0, int(i.id))
    if order == "score":
        return lambda i: (i.get("score") is None, -(i.get("score") or 0), int(i.id))
    return lambda i: int(i.id)


# --- hooks ------------------------------------------------------------------------------------


@command("hooks")
def cmd_hooks(args: argparse.Namespace) -> int:
    action = args.hooks_action or "list"
    if action == "list":
        cfg = config_module.load(args.config) if (args.config or _env_config()) else None
        manager = plugins.from_config(cfg) if cfg else plugins.PluginManager()
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
    cfg = config_module.load(args.config)
    if cfg.path is None:
        raise_usage("hooks enable/disable needs a configuration file")
    hooks = cfg.section("hooks")
    enabled, disabled = list(hooks.get("enabled", [])), list(hooks.get("disabled", []))
    name = args.name
    known = {info.name for info in plugins.from_config(cfg).infos}
    if name not in known:
        raise_usage(f"no plugin named {name!r}; see `ci-plugin hooks list`")
    if action == "enable":
        if name in disabled:
            disabled.remove(name)
        if name in plugins.builtin_hook_names() and name not in enabled:
            enabled.append(name)
    else:
        if name in enabled:
            enabled.remove(name)
        if name not in plugins.builtin_hook_names() and name not in disabled:
            disabled.append(name)
    config_module.set_hook_list(cfg.path, "enabled", enabled)
    config_module.set_hook_list(cfg.path, "disabled", disabled)
    out(f"{name}: {action}d in {cfg.path}")
    return 0


def _env_config() -> str | None:
    import os

    return os.environ.get(config_module.CONFIG_ENV)


def raise_usage(message: str) -> None:
    """Stop with a usage error."""
    from ci_plugin.errors import UsageError

    raise UsageError(message)


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    def options(suppress: bool) -> argparse.ArgumentParser:
        # Sub-commands repeat the global options with SUPPRESS defaults, so that an option given
        # before the sub-command is not reset by the sub-command's own default.
        kw: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
        flags = argparse.ArgumentParser(add_help=False)
        flags.add_argument("--config", metavar="FILE", help=f"TOML configuration (default: ${config_module.CONFIG_ENV})", **kw)
        flags.add_argument("--json", action="store_true", help="print one JSON document on stdout", **kw)
        flags.add_argument("-v", "--verbose", action="store_true", help="say more (log at INFO)", **kw)
        flags.add_argument("--debug", action="store_true", help="log at DEBUG and show tracebacks", **kw)
        return flags

    common = options(suppress=True)
    parser = argparse.ArgumentParser(
        prog="ci-plugin", parents=[options(suppress=False)],
        description="ITIL 4 continual improvement register inside your service desk.",
    )
    parser.add_argument("--version", action="version", version=f"ci-plugin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text)

    p = add("setup", "provision the improvement ticket type on the host (idempotent)")
    p.add_argument("--print-provisioning", action="store_true",
                   help="print only what an admin must install by hand (RT lifecycle, Redmine script)")
    add("doctor", "check connection, credentials and everything the register needs on the host")

    p = add("convert", "convert tickets into an improvement (again on the same ticket: the same improvement)")
    p.add_argument("tickets", nargs="+", metavar="TICKET")
    p.add_argument("--problem", action="append", default=[], metavar="ID", help="link a problem record (repeatable)")
    p.add_argument("--project", action="append", default=[], metavar="ID", help="link a project record (repeatable)")
    p.add_argument("--category", choices=("service", "process", "practice", "technology", "people"))
    p.add_argument("--source", choices=("incident", "problem", "request", "change", "audit", "survey", "idea",
                                        "review", "other"), help="kind of source (default: problem for a problem record, else incident)")
    p.add_argument("--into", metavar="IMPROVEMENT", help="add the tickets to this existing improvement")
    p.add_argument("--title", help="title of the new improvement (default: the first ticket's subject)")

    add("sync", "convert every ticket an agent flagged in the host, then clear the flag (one pass)")
    p = add("watch", "run sync in a loop")
    p.add_argument("--interval", type=float, metavar="SECONDS", help="seconds between passes (default: [watch] interval)")
    p.add_argument("--passes", type=int, metavar="N", help="stop after N passes")

    p = add("link", "link an improvement to problem and/or project records")
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--problem", action="append", default=[], metavar="ID")
    p.add_argument("--project", action="append", default=[], metavar="ID")

    p = add("show", "show one improvement")
    p.add_argument("improvement", metavar="IMPROVEMENT")

    p = add("register", "list the register")
    p.add_argument("--state", action="append", metavar="STATE", help="only this workflow state (repeatable)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--sort", choices=("id", "rank", "score"), default="rank")

    p = add("hooks", "list, enable or disable plugins and built-in hooks")
    hooks_sub = p.add_subparsers(dest="hooks_action", metavar="ACTION")
    hooks_sub.add_parser("list", parents=[common], help="show every plugin, its origin, hooks and state")
    for action in ("enable", "disable"):
        q = hooks_sub.add_parser(action, parents=[common], help=f"{action} a plugin in the configuration file")
        q.add_argument("name", metavar="NAME")
    sub._name_parser_map["plugins"] = p  # `ci-plugin plugins` is `ci-plugin hooks`

    for extension in EXTENSIONS:
        extension(add)
    return parser


# Sub-command modules add their parsers here (see ci_plugin.cli_workflow).
EXTENSIONS: list[Callable[[Callable[[str, str], argparse.ArgumentParser]], None]] = []


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    _load_extensions()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="ci-plugin: %(levelname)s: %(message)s", stream=sys.stderr,
    )
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "plugins":
        args.command = "hooks"
    try:
        return COMMANDS[args.command](args)
    except CIPluginError as exc:
        if args.debug:
            raise
        err(f"ci-plugin: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        err("ci-plugin: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug
        if args.debug:
            raise
        err(f"ci-plugin: internal error: {exc.__class__.__name__}: {exc} (run again with --debug for details)")
        return 70


def _load_extensions() -> None:
    import importlib

    for module in ("ci_plugin.cli_workflow",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
