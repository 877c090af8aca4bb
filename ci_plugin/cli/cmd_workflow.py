"""``transition`` and ``measure``: moving through the workflow, and "did we get there?"."""

from __future__ import annotations

import argparse

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.args import number
from ci_plugin.cli.output import out, out_json
from ci_plugin.domain import kpi, kpi_metrics
from ci_plugin.errors import UsageError
from ci_plugin.ops import measure_query
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

    p = add("measure", "record a KPI (baseline, target, later actual), or compute it from the desk's tickets", run_measure)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--kpi", required=True, help="KPI name, e.g. MTTR")
    p.add_argument("--baseline", type=number)
    p.add_argument("--target", type=number)
    p.add_argument("--actual", type=number)
    p.add_argument("--unit")
    p.add_argument("--direction", choices=("higher", "lower"), help="which way is better (default: inferred)")
    p.add_argument("--query", help="define the KPI by a query in the host's search language (RT TicketSQL, "
                   "a Redmine issue-filter query string)")
    p.add_argument("--metric", help="what to compute over the query's tickets: " + ", ".join(kpi_metrics.METRICS))
    p.add_argument("--per", help="count only: tickets per " + ", ".join(kpi_metrics.PERIOD_DAYS))
    p.add_argument("--baseline-window", metavar="FROM..TO", help="window of the baseline (ISO 8601, UTC, TO exclusive)")
    p.add_argument("--refresh", action="store_true", help="compute the actual of a query-defined KPI")
    p.add_argument("--window", metavar="FROM..TO", help="window of --refresh (default: since the improvement "
                   "entered in-progress, until now)")


def run_transition(args: argparse.Namespace) -> int:
    """Move the improvement; say whether it changed."""
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    result = transition(register, improvement_id, args.state, note=args.note,
                        outcome=args.outcome, lessons=args.lessons)
    register.shown(result.improvement)
    if args.json:
        out_json({**result.improvement.to_record(), "from_state": result.from_state, "changed": result.changed})
    elif result.changed:
        out(f"improvement {result.improvement.id}: {result.from_state} -> {result.to_state}")
    else:
        out(f"improvement {result.improvement.id} is already {result.to_state}")
    return 0


def _measure_mode(args: argparse.Namespace) -> str:
    """``hand``, ``define`` or ``refresh``: which options belong together, checked before anything is read."""
    given = {name for name in ("baseline", "target", "actual", "unit", "direction", "query", "metric", "per",
                               "baseline_window", "window") if getattr(args, name) is not None}
    flag = lambda names: ", ".join("--" + n.replace("_", "-") for n in sorted(names))  # noqa: E731
    if args.refresh:
        extra = given - {"window"}
        if extra:
            raise UsageError(f"--refresh takes only --window; leave out {flag(extra)}")
        return "refresh"
    if "window" in given:
        raise UsageError("--window belongs to --refresh (a new query KPI takes --baseline-window)")
    if given & {"query", "metric", "per", "baseline_window"}:
        if args.metric is not None:
            kpi_metrics.check_metric(args.metric, args.per)
        if "per" in given and args.metric != kpi_metrics.COUNT:
            raise UsageError(f"--per scales a count: it needs --metric count, not {args.metric or 'no --metric'}")
        missing = {"query", "metric", "baseline_window", "target"} - given
        if missing:
            raise UsageError(f"a KPI defined by a query needs {flag(missing)}")
        if given & {"baseline", "actual"}:
            raise UsageError(f"a KPI defined by a query computes its values; leave out {flag(given & {'baseline', 'actual'})}")
        return "define"
    return "hand"


def run_measure(args: argparse.Namespace) -> int:
    """Record a KPI, or define one by a query (baseline computed), or refresh its actual; print it."""
    mode = _measure_mode(args)
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    if mode == "refresh":
        improvement, entry = measure_query.refresh(register, improvement_id, args.kpi, window=args.window)
    elif mode == "define":
        improvement, entry = measure_query.define(
            register, improvement_id, args.kpi, query=args.query, metric=args.metric, per=args.per,
            baseline_window=args.baseline_window, target=args.target, unit=args.unit, direction=args.direction)
    else:
        improvement, entry = measure(register, improvement_id, args.kpi, baseline=args.baseline,
                                     target=args.target, actual=args.actual, unit=args.unit, direction=args.direction)
    if args.json:
        out_json(register.shown(improvement).to_record())
    else:
        out(kpi.describe(entry))
        if entry.get("query"):
            out(kpi_metrics.provenance_line(entry))
    return 0
