"""``link``, ``show`` and ``register``: the records of the register and their links."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ci_plugin.app import open_register
from ci_plugin.cli import render
from ci_plugin.cli.output import err, out, out_json
from ci_plugin.domain import order_keys
from ci_plugin.domain.workflow import OPEN_STATES, check_state
from ci_plugin.errors import UsageError
from ci_plugin.ops.link import link


def add_parsers(add) -> None:
    """Add ``link``, ``show`` and ``register``."""
    p = add("link", "link an improvement to problem and/or project records", run_link)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--problem", action="append", default=[], metavar="ID")
    p.add_argument("--project", action="append", default=[], metavar="ID")

    p = add("show", "show one improvement", run_show)
    p.add_argument("improvement", metavar="IMPROVEMENT")

    p = add("register", "list the register", run_register)
    p.add_argument("--state", action="append", metavar="STATE", help="only this workflow state (repeatable)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--sort", choices=("id", "rank", "score"), default="rank")


def run_link(args: argparse.Namespace) -> int:
    """Link, idempotently; say which links were new."""
    if not args.problem and not args.project:
        raise UsageError("link needs --problem ID and/or --project ID")
    result = link(open_register(args.config), args.improvement, problems=args.problem, projects=args.project)
    if args.json:
        out_json({**result.improvement.to_record(), "added": result.added})
    else:
        added = ", ".join(f"{k[:-1]} #{i}" for k, ids in result.added.items() for i in ids)
        out(f"improvement {result.improvement.id}: " + (f"linked to {added}" if added else "links already in place"))
    return 0


def run_show(args: argparse.Namespace) -> int:
    """One improvement in detail (or its record)."""
    register = open_register(args.config)
    improvement = register.get(args.improvement)
    position = None
    if order_keys.valid(improvement.get("rank")):  # its position among the ranked: read their keys
        position = render.positions_of(register.list(list(OPEN_STATES))).get(improvement.id)
    if args.json:
        out_json(_record(improvement, position))
    else:
        out(render.detail(improvement, position))
    return 0


def _record(improvement: Any, position: int | None) -> dict[str, Any]:
    """The JSON record, with ``rank`` the position (1 = do first), not the stored order key."""
    record = improvement.to_record()
    record.pop("rank", None)
    if position is not None:
        record["rank"] = position
    return record


def run_register(args: argparse.Namespace) -> int:
    """The register as a table, JSON or CSV."""
    states = [check_state(s) for s in args.state] if args.state else None
    # positions are among every ranked (open) improvement, also when only some states are listed
    read = sorted(set(states) | set(OPEN_STATES)) if states else None
    improvements = list(open_register(args.config).list(read))
    positions = render.positions_of(improvements)
    if states:
        improvements = [i for i in improvements if i.state in states]
    improvements.sort(key=sort_key(args.sort, positions))
    fmt = "json" if args.json else args.format
    if fmt == "json":
        out_json([_record(i, positions.get(i.id)) for i in improvements])
    elif fmt == "csv":
        out(render.csv_text(improvements, positions))
    else:
        out(render.table(improvements, positions=positions))
        err(f"{len(improvements)} improvement(s)")
    return 0


def sort_key(order: str, positions: dict[str, int] | None = None) -> Callable[[Any], Any]:
    """Sort key of the register by ``rank`` (position; unranked last), ``score`` (highest first) or ``id``."""
    if order == "rank":
        ranks = positions or {}
        return lambda i: (i.id not in ranks, ranks.get(i.id, 0), int(i.id))
    if order == "score":
        return lambda i: (i.get("score") is None, -(i.get("score") or 0), int(i.id))
    return lambda i: int(i.id)
