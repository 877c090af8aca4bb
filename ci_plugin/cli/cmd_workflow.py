"""``transition`` and ``measure``: moving through the workflow, and "did we get there?"."""

from __future__ import annotations

import argparse

from ci_plugin.app import open_register
from ci_plugin.cli.args import number
from ci_plugin.cli.output import out, out_json
from ci_plugin.domain import kpi
from ci_plugin.ops.measure import measure
from ci_plugin.ops.transition import transition


def add_parsers(add) -> None:
    """Add ``transition`` and ``measure``."""
    p = add("transition", "move an improvement to another workflow state", run_transition)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("state", metavar="STATE")
    p.add_argument("--note", help="a note for the audit comment")
    p.add_argument("--outcome", metavar="successful|unsuccessful|withdrawn", help="closure outcome (closing only)")
    p.add_argument("--lessons", metavar="TEXT", help="lessons learned (closing only)")

    p = add("measure", "record a KPI: baseline, target and (later) actual", run_measure)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--kpi", required=True, help="KPI name, e.g. MTTR")
    p.add_argument("--baseline", type=number)
    p.add_argument("--target", type=number)
    p.add_argument("--actual", type=number)
    p.add_argument("--unit")
    p.add_argument("--direction", choices=("higher", "lower"), help="which way is better (default: inferred)")


def run_transition(args: argparse.Namespace) -> int:
    """Move the improvement; say whether it changed."""
    result = transition(open_register(args.config), args.improvement, args.state, note=args.note,
                        outcome=args.outcome, lessons=args.lessons)
    if args.json:
        out_json({**result.improvement.to_record(), "from_state": result.from_state, "changed": result.changed})
    elif result.changed:
        out(f"improvement {result.improvement.id}: {result.from_state} -> {result.to_state}")
    else:
        out(f"improvement {result.improvement.id} is already {result.to_state}")
    return 0


def run_measure(args: argparse.Namespace) -> int:
    """Record a KPI; print it with its verdict."""
    improvement, entry = measure(open_register(args.config), args.improvement, args.kpi, baseline=args.baseline,
                                 target=args.target, actual=args.actual, unit=args.unit, direction=args.direction)
    if args.json:
        out_json(improvement.to_record())
    else:
        out(kpi.describe(entry))
    return 0
