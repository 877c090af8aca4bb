"""``capacity``: committed effort and money per period against the ``[budget]`` capacity."""

from __future__ import annotations

import argparse
from typing import Any

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import document_or_text
from ci_plugin.domain import budget
from ci_plugin.errors import UsageError
from ci_plugin.ops.capacity import capacity


def add_parsers(add) -> None:
    """Add ``capacity``."""
    p = add("capacity", "committed effort and money per period (approved, planned, in-progress) "
                        "against capacity and budget", run_capacity)
    p.add_argument("--period", metavar="PERIOD", help="one period: a quarter (2027-Q1) or a month (2027-01), "
                                                      "of [budget] period's kind")


def run_capacity(args: argparse.Namespace) -> int:
    """Print the periods as a table, or the :func:`ci_plugin.ops.capacity.capacity` document with ``--json``."""
    if args.period is not None and budget.period_of_kind(args.period) is None:  # before the host is opened
        raise UsageError(f"--period {args.period!r}: not a quarter (2027-Q1) or a month (2027-01)")
    register = open_register(args.config, name=hosts.chosen(args))
    document = capacity(register, args.period)
    for entry in document["periods"]:  # ids as shown (name:id with several hosts)
        entry["improvements"] = [register.shown_id(i) for i in entry["improvements"]]
    document["unscheduled"] = [register.shown_id(i) for i in document["unscheduled"]]
    document_or_text(args, document, text)
    return 0


def _n(value: float) -> str:
    return f"{value:.12g}"


def text(document: dict[str, Any]) -> str:
    """One line per period: effort and money committed / capacity, free, and OVER when over-committed."""
    lines = [f"{'period':<9} {'effort days committed/capacity':>31} {'free':>8}  "
             f"{'money committed/capacity':>25} {'free':>10}  improvements"]
    for entry in document["periods"]:
        effort, money = entry["effort_days"], entry["money"]
        mark = "  OVER-COMMITTED" if entry["over_committed"] else ""
        ids = ", ".join(entry["improvements"]) or "-"
        lines.append(f"{entry['period']:<9} {_n(effort['committed']) + ' / ' + _n(effort['capacity']):>31} "
                     f"{_n(effort['free']):>8}  {_n(money['committed']) + ' / ' + _n(money['capacity']):>25} "
                     f"{_n(money['free']):>10}  {ids}{mark}")
    if len(lines) == 1:
        lines.append("no period holds a committed improvement and [budget] lists none")
    if document["unscheduled"]:
        lines.append(f"unscheduled (committed, no target date): {', '.join(document['unscheduled'])}")
    return "\n".join(lines)
