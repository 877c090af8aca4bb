"""``update`` and ``due``: editing an improvement's record, and the dates that have come."""

from __future__ import annotations

import argparse

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import out, out_json
from ci_plugin.cli.render import detail
from ci_plugin.errors import UsageError
from ci_plugin.ops.due import DEFAULT_WITHIN, MAX_WITHIN, due
from ci_plugin.ops.update import choices, update


def _days(text: str) -> int:
    """``--within``: a whole number of days (ASCII digits)."""
    if not text.isascii() or not text.isdigit() or int(text) > MAX_WITHIN:
        raise argparse.ArgumentTypeError(f"give a whole number of days from 0 to {MAX_WITHIN}")
    return int(text)


def add_parsers(add) -> None:
    """Add ``update`` and ``due``."""
    p = add("update", "change an improvement's title, owner, size, category, dates, outcome or lessons", run_update)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--title", metavar="T")
    p.add_argument("--owner", metavar="USER", help="login of the host user who owns the improvement")
    p.add_argument("--size", metavar="|".join(choices("size")), help="T-shirt size ('' clears)")
    p.add_argument("--category", metavar="C", help=f"one of {', '.join(choices('category'))} ('' clears)")
    p.add_argument("--target-date", metavar="YYYY-MM-DD", help="date the improvement should be achieved by")
    p.add_argument("--review-date", metavar="YYYY-MM-DD", help="date of the next review")
    p.add_argument("--outcome", metavar="|".join(choices("outcome")), help="closure outcome ('' clears)")
    p.add_argument("--lessons", metavar="TEXT", help="lessons learned")

    p = add("due", "open improvements whose review or target date has passed or comes soon", run_due)
    p.add_argument("--within", type=_days, default=DEFAULT_WITHIN, metavar="DAYS",
                   help=f"also list dates within this many days (default {DEFAULT_WITHIN})")


def run_update(args: argparse.Namespace) -> int:
    """Change the given fields in one write; print what changed (or the record with --json)."""
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    result = update(register, improvement_id, title=args.title, owner=args.owner,
                    size=args.size, category=args.category, target_date=args.target_date,
                    review_date=args.review_date, outcome=args.outcome, lessons=args.lessons)
    register.shown(result.improvement)
    if args.json:
        out_json({**result.improvement.to_record(), "changed": sorted(result.changes)})
    elif result.changes:
        out(f"improvement {result.improvement.id}: updated {', '.join(result.changes)}")
        out(detail(result.improvement))
    else:
        out(f"improvement {result.improvement.id}: nothing changed")
    return 0


def run_due(args: argparse.Namespace) -> int:
    """List the due improvements, overdue first."""
    if args.within < 0:
        raise UsageError("--within: give a whole number of days")
    register = open_register(args.config, name=hosts.chosen(args))
    items = due(register, args.within)
    for item in items:
        register.shown(item.improvement)
    if args.json:
        out_json([item.to_record() for item in items])
        return 0
    if not items:
        out(f"nothing due within {args.within} days")
        return 0
    for item in items:
        first = item.first
        when = (f"{-first.days} days overdue" if first.overdue else "due today" if first.days == 0
                else f"due in {first.days} days")
        what = "review" if first.field == "review_date" else "target"
        out(f"#{item.improvement.id:<6} {first.date} {what:<6} {when:<18} {item.improvement.state:<12} "
            f"{item.improvement.title[:60]}")
    return 0
