"""``models``, ``assess``, ``case`` and ``prioritize``: scoring, business case, ranking."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ci_plugin.app import load_config, load_plugins, open_register
from ci_plugin.cli import hosts
from ci_plugin.cli import render
from ci_plugin.cli.args import model_name, number, read_inputs
from ci_plugin.cli.progress import bar
from ci_plugin.cli.output import err, out, out_json, out_json_streamed, report_malformed, warn
from ci_plugin.config import CONFIG_ENV
from ci_plugin.domain import budget, business_case
from ci_plugin.errors import UsageError
from ci_plugin.ops.assess import assess, explain
from ci_plugin.ops.capacity import cut_line
from ci_plugin.ops.capacity import settings as capacity_settings
from ci_plugin.ops.case import record_business_case
from ci_plugin.ops.prioritize import prioritize


def add_parsers(add) -> None:
    """Add ``assess``, ``models``, ``case`` and ``prioritize``."""
    p = add("assess", "score an improvement with a scoring model and store the assessment", run_assess)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--model", help="scoring model (default: [scoring] default_model); see `ci-plugin models`")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="one model input (repeatable)")
    p.add_argument("--file", metavar="JSON", help="inputs as a JSON object (a file, or - for stdin)")
    p.add_argument("--from-evidence", action="store_true",
                   help="fill the inputs evidence answers from the source tickets (RICE reach; other models "
                        "through [scoring.<model>.evidence]); --set/--file give the rest and win")

    add("models", "list the scoring models and their inputs", run_models)

    p = add("case", "record the business case of an improvement (ROI and payback are derived)", run_case)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--benefit", type=number, help="expected yearly benefit (money)")
    p.add_argument("--benefit-kpi", help="expected benefit as a KPI statement")
    p.add_argument("--cost", type=number, help="one-off cost")
    p.add_argument("--running-cost", type=number, help="yearly running cost")
    p.add_argument("--cost-of-inaction", type=number, help="yearly cost of doing nothing")
    p.add_argument("--currency", help="ISO currency code, e.g. EUR")
    p.add_argument("--effort-days", type=number, help="effort to implement in person-days (capacity and budget)")

    p = add("prioritize", "score and rank every open improvement; write back what changed", run_prioritize)
    p.add_argument("--model", help="rank only assessments made with this model")
    p.add_argument("--dry-run", action="store_true", help="compute and print, write nothing")
    p.add_argument("--fit-budget", action="store_true",
                   help="draw the cut line: which ranked open improvements fit the period's free capacity and budget")
    p.add_argument("--period", metavar="PERIOD", help="with --fit-budget: the period (default the one holding today)")


def run_assess(args: argparse.Namespace) -> int:
    """Score and store; print the breakdown."""
    model = model_name(args.model)
    inputs = read_inputs(args, required=not args.from_evidence)
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    improvement = register.shown(assess(register, improvement_id, model, inputs,
                                        from_evidence=args.from_evidence))
    if args.json:
        out_json(improvement.to_record())
    else:
        out(explain(improvement.get("assessment")))
    return 0


def run_models(args: argparse.Namespace) -> int:
    """Every scoring model and its inputs (works without a configuration)."""
    import os

    cfg = load_config(args.config) if (args.config or os.environ.get(CONFIG_ENV)) else None
    manager = load_plugins(cfg)
    scoring = cfg.section("scoring") if cfg else {}
    listing = []
    for name, model in sorted(manager.scoring_models().items()):
        schema = model.input_schema(scoring.get(name, {}) if isinstance(scoring.get(name), dict) else {})
        listing.append({"name": name, "title": model.title, "inputs": schema.get("properties", {})})
    if args.json:
        out_json(listing)
    else:  # the name column is as wide as the longest name, plus two spaces
        width = max((len(entry["name"]) for entry in listing), default=0) + 2
        for entry in listing:
            out(f"{entry['name']:<{width}}{entry['title']}")
            for input_name, spec in entry["inputs"].items():
                out(f"{'':<{width + 2}}{input_name}: {spec.get('description', '')}".rstrip())
    return 0


def run_case(args: argparse.Namespace) -> int:
    """Store the business case; print its summary."""
    case = {"benefit": args.benefit, "benefit_kpi": args.benefit_kpi, "cost": args.cost,
            "running_cost": args.running_cost, "cost_of_inaction": args.cost_of_inaction, "currency": args.currency,
            "effort_days": args.effort_days}
    if all(v is None for v in case.values()):
        raise UsageError("give at least one of --benefit, --benefit-kpi, --cost, --running-cost, --cost-of-inaction, "
                         "--effort-days")
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    improvement = register.shown(record_business_case(register, improvement_id, case))
    if args.json:
        out_json(improvement.to_record())
    else:
        out(business_case.summary(improvement.get("business_case")))
    return 0


def run_prioritize(args: argparse.Namespace) -> int:
    """Rank; print the ranked register and how many updates were written."""
    model = model_name(args.model)
    if args.period is not None and not args.fit_budget:
        raise UsageError("--period goes with --fit-budget")
    if args.period is not None and budget.period_of_kind(args.period) is None:
        raise UsageError(f"--period {args.period!r}: not a quarter (2027-Q1) or a month (2027-01)")
    register = open_register(args.config, name=hosts.chosen(args))
    if args.period is not None:  # of [budget] period's kind, before anything is written
        budget.check_period(args.period, capacity_settings(register).get("period", "quarter"))
    report = prioritize(register, model=model, dry_run=args.dry_run, progress=bar("prioritize"))
    report_malformed(e.improvement for e in report.entries)
    line = (cut_line(register, _Improvements(report.entries), args.period)
            if args.fit_budget else None)
    if line is not None and register.label:  # ids as shown (name:id) with several hosts
        line = {**line, "fits": [register.shown_id(i) for i in line["fits"]],
                "below_line": [register.shown_id(i) for i in line["below_line"]]}
    if args.json:  # streamed entry by entry: a register of 100,000 is never one string
        head: dict = {"writes": report.writes, "dry_run": report.dry_run, "warnings": report.warnings,
                      "stale": report.stale}
        if line is not None:
            head["fit_budget"] = line
        out_json_streamed(head, "ranking", ({"rank": e.rank, "id": register.shown_id(e.id), "score": e.score, "changed": e.changed,
                                             "state": (i := e.improvement).state, "title": i.title}
                                            for e in report.entries))
        return 0
    out(render.table(_Improvements(report.entries, register.shown)))
    if line is not None:
        out(f"fit budget {line['period']} (free {line['free']['effort_days']:.12g} person-days, "
            f"{line['free']['money']:.12g} money): fits {', '.join(line['fits']) or 'none'}; "
            f"below the line {', '.join(line['below_line']) or 'none'}")
    for warning in report.warnings:
        warn(warning)
    verb = "would write" if report.dry_run else "wrote"
    changed = sum(e.changed for e in report.entries)
    err(f"prioritize: {len(report.entries)} ranked, {changed} changed, {verb} "
        f"{changed if report.dry_run else report.writes} update(s), {report.stale} stale (see `ci-plugin stale`)")
    return 0


class _Improvements(Sequence):
    """The ranked entries' improvements as a sequence rebuilt on each pass, so the table's
    two passes never hold 100,000 improvement objects at once."""

    def __init__(self, entries: list, shown: Callable[[Any], Any] | None = None):
        self.entries = entries
        self.shown = shown or (lambda improvement: improvement)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self.shown(self.entries[index].improvement)

    def __iter__(self) -> Iterator:
        return (self.shown(entry.improvement) for entry in self.entries)
