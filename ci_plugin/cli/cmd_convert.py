"""``convert``, ``sync`` and ``watch``: tickets become improvements, never twice."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.args import parse_number
from ci_plugin.cli.progress import bar
from ci_plugin.cli.output import err, improvement_or_id, out, out_json
from ci_plugin.ops import sync as sync_ops
from ci_plugin.errors import UsageError
from ci_plugin.ops.convert import convert

CATEGORIES = ("service", "process", "practice", "technology", "people")
SOURCE_KINDS = ("incident", "problem", "request", "change", "audit", "survey", "idea", "review", "other")


def add_parsers(add) -> None:
    """Add ``convert``, ``sync`` and ``watch``."""
    p = add("convert", "convert tickets into an improvement (again on the same ticket: the same improvement)", run_convert)
    p.add_argument("tickets", nargs="+", metavar="TICKET")
    p.add_argument("--problem", action="append", default=[], metavar="ID", help="link a problem record (repeatable)")
    p.add_argument("--project", action="append", default=[], metavar="ID", help="link a project record (repeatable)")
    p.add_argument("--category", choices=CATEGORIES)
    p.add_argument("--source", choices=SOURCE_KINDS,
                   help="kind of source (default: problem for a problem record, else incident)")
    p.add_argument("--into", metavar="IMPROVEMENT", help="add the tickets to this existing improvement")
    p.add_argument("--title", help="title of the new improvement (default: the first ticket's subject)")

    add("sync", "convert every ticket an agent flagged in the host, then clear the flag (one pass)", run_sync)
    p = add("watch", "run sync in a loop", run_watch)
    p.add_argument("--interval", type=interval, metavar="SECONDS",
                   help="seconds between passes, 1 to 86400 (default: [watch] interval)")
    p.add_argument("--passes", type=positive_int, metavar="N", help="stop after N passes")


def interval(text: str) -> float:
    """An argparse ``type`` for ``--interval``: a plain number of seconds, 1 to 86400 (``-5``,
    ``nan``, ``1e-300`` would make a busy loop of requests)."""
    try:
        return sync_ops.check_interval(parse_number(text), "the interval")
    except (ValueError, UsageError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """An argparse ``type`` for ``--passes``: a whole number from 1."""
    try:
        value = parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not isinstance(value, int) or value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1")
    return value


def run_convert(args: argparse.Namespace) -> int:
    """Print the improvement id (or its record with ``--json``)."""
    into = [args.into] if args.into else []
    name, bare = hosts.target(args, *args.tickets, *args.problem, *args.project, *into)
    tickets, rest = bare[:len(args.tickets)], bare[len(args.tickets):]
    problems, rest = rest[:len(args.problem)], rest[len(args.problem):]
    projects, into = rest[:len(args.project)], rest[len(args.project):]
    register = open_register(args.config, name=name)
    result = convert(register, tickets, problems=problems, projects=projects, category=args.category,
                     source_kind=args.source, into=into[0] if into else None, title=args.title,
                     describe=bool(args.json))  # only the record printed by --json shows the description
    register.shown(result.improvement)
    improvement_or_id(args, result.improvement, {"created": result.created})
    if not args.json:
        verb = "created" if result.created else "already existed"
        err(f"improvement {result.improvement.id} {verb}: {result.improvement.url}")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    """One pass; exit 1 when a ticket failed (it stays flagged)."""
    register = open_register(args.config, name=hosts.chosen(args))
    report = sync_ops.sync(register, tick=bar("sync"))
    print_sync(args, report, register.shown_id)
    return 1 if report.failed else 0


def print_sync(args: argparse.Namespace, report: sync_ops.SyncReport,
               shown: Callable[[str], str] = str) -> None:
    """What one sync pass did, as JSON or lines; ids through ``shown`` (``name:id`` with several hosts)."""
    if args.json:
        out_json({
            "converted": [{"ticket": shown(t), "improvement": shown(i), "created": c} for t, i, c in report.converted],
            "failed": [{"ticket": shown(t), "error": e} for t, e in report.failed],
        })
        return
    for ticket, improvement, created in report.converted:
        out(f"ticket {shown(ticket)} -> improvement {shown(improvement)}" + ("" if created else " (existing)"))
    for ticket, error in report.failed:
        err(f"ci-plugin: ticket {shown(ticket)} left flagged: {error}")
    err(f"sync: {len(report.converted)} converted, {len(report.failed)} failed")


def run_watch(args: argparse.Namespace) -> int:
    """Sync every interval until SIGINT/SIGTERM (or ``--passes``)."""
    register = open_register(args.config, name=hosts.chosen(args))
    interval = sync_ops.check_interval(
        register.config.section("watch")["interval"] if args.interval is None else args.interval, "[watch] interval")
    err(f"watching for flagged tickets every {interval:g}s (Ctrl-C to stop)")
    sync_ops.watch(register, interval, passes=args.passes, on_report=lambda report: print_sync(args, report, register.shown_id))
    return 0
