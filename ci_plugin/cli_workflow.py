"""CLI commands of the assessment and prioritisation workflow: assess, case, prioritize,
transition, measure. Registered into :mod:`ci_plugin.cli` when it starts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ci_plugin import cli
from ci_plugin.errors import UsageError


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return int(value) if value.is_integer() and "." not in text else value


def add_parsers(add) -> None:
    """Add the workflow sub-commands to the parser."""
    p = add("assess", "score an improvement with a scoring model and store the assessment")
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--model", help="scoring model (default: [scoring] default_model); see `ci-plugin models`")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="one model input (repeatable)")
    p.add_argument("--file", metavar="JSON", help="inputs as a JSON object (a file, or - for stdin)")

    add("models", "list the scoring models and their inputs")

    p = add("case", "record the business case of an improvement (ROI and payback are derived)")
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--benefit", type=_number, help="expected yearly benefit (money)")
    p.add_argument("--benefit-kpi", help="expected benefit as a KPI statement")
    p.add_argument("--cost", type=_number, help="one-off cost")
    p.add_argument("--running-cost", type=_number, help="yearly running cost")
    p.add_argument("--cost-of-inaction", type=_number, help="yearly cost of doing nothing")
    p.add_argument("--currency", help="ISO currency code, e.g. EUR")

    p = add("prioritize", "score and rank every open improvement; write back what changed")
    p.add_argument("--model", help="rank only assessments made with this model")
    p.add_argument("--dry-run", action="store_true", help="compute and print, write nothing")

    p = add("transition", "move an improvement to another workflow state")
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("state", metavar="STATE")
    p.add_argument("--note", help="a note for the audit comment")

    p = add("measure", "record a KPI: baseline, target and (later) actual")
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--kpi", required=True, help="KPI name, e.g. MTTR")
    p.add_argument("--baseline", type=_number)
    p.add_argument("--target", type=_number)
    p.add_argument("--actual", type=_number)
    p.add_argument("--unit")
    p.add_argument("--direction", choices=("higher", "lower"), help="which way is better (default: inferred)")


def _read_inputs(args: argparse.Namespace) -> dict[str, Any]:
    from ci_plugin.assessment import parse_assignments

    inputs: dict[str, Any] = {}
    if args.file:
        try:
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
            inputs = json.loads(text)
        except OSError as exc:
            raise UsageError(f"--file {args.file}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"--file {args.file}: not valid JSON: {exc}") from None
        if not isinstance(inputs, dict):
            raise UsageError(f"--file {args.file}: expected a JSON object of inputs")
    inputs.update(parse_assignments(args.set))
    if not inputs:
        raise UsageError("give the model's inputs with --set NAME=VALUE or --file")
    return inputs


@cli.command("assess")
def cmd_assess(args: argparse.Namespace) -> int:
    from ci_plugin.assessment import assess, explain

    improvement = assess(cli._register(args), args.improvement, args.model, _read_inputs(args))
    if args.json:
        cli.out_json(improvement.to_record())
    else:
        cli.out(explain(improvement.get("assessment")))
    return 0


@cli.command("models")
def cmd_models(args: argparse.Namespace) -> int:
    from ci_plugin import plugins

    cfg = cli.config_module.load(args.config) if (args.config or cli._env_config()) else None
    manager = plugins.from_config(cfg) if cfg else plugins.PluginManager()
    scoring = cfg.section("scoring") if cfg else {}
    listing = []
    for name, model in sorted(manager.scoring_models().items()):
        schema = model.input_schema(scoring.get(name, {}) if isinstance(scoring.get(name), dict) else {})
        listing.append({"name": name, "title": model.title, "inputs": schema.get("properties", {})})
    if args.json:
        cli.out_json(listing)
    else:
        for entry in listing:
            cli.out(f"{entry['name']:<10}{entry['title']}")
            for input_name, spec in entry["inputs"].items():
                cli.out(f"{'':<12}{input_name}: {spec.get('description', '')}".rstrip())
    return 0


@cli.command("case")
def cmd_case(args: argparse.Namespace) -> int:
    from ci_plugin import business_case
    from ci_plugin.assessment import record_business_case

    case = {"benefit": args.benefit, "benefit_kpi": args.benefit_kpi, "cost": args.cost,
            "running_cost": args.running_cost, "cost_of_inaction": args.cost_of_inaction, "currency": args.currency}
    if all(v is None for v in case.values()):
        raise UsageError("give at least one of --benefit, --benefit-kpi, --cost, --running-cost, --cost-of-inaction")
    improvement = record_business_case(cli._register(args), args.improvement, case)
    if args.json:
        cli.out_json(improvement.to_record())
    else:
        cli.out(business_case.summary(improvement.get("business_case")))
    return 0


@cli.command("prioritize")
def cmd_prioritize(args: argparse.Namespace) -> int:
    from ci_plugin.prioritize import prioritize

    show_progress = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if show_progress and (done == total or done % 50 == 0):
            sys.stderr.write(f"\rranking {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    report = prioritize(cli._register(args), model=args.model, dry_run=args.dry_run, progress=progress)
    if args.json:
        cli.out_json({
            "writes": report.writes, "dry_run": report.dry_run, "warnings": report.warnings,
            "ranking": [{"rank": e.rank, "id": e.improvement.id, "score": e.score, "changed": e.changed,
                         "state": e.improvement.state, "title": e.improvement.title} for e in report.entries],
        })
    else:
        from ci_plugin import render

        cli.out(render.table([e.improvement for e in report.entries]))
        for warning in report.warnings:
            cli.err(f"ci-plugin: warning: {warning}")
        verb = "would write" if report.dry_run else "wrote"
        changed = sum(e.changed for e in report.entries)
        cli.err(f"prioritize: {len(report.entries)} ranked, {changed} changed, {verb} "
                f"{changed if report.dry_run else report.writes} update(s)")
    return 0


@cli.command("transition")
def cmd_transition(args: argparse.Namespace) -> int:
    from ci_plugin.transitions import transition

    result = transition(cli._register(args), args.improvement, args.state, note=args.note)
    if args.json:
        cli.out_json({**result.improvement.to_record(), "from_state": result.from_state, "changed": result.changed})
    elif result.changed:
        cli.out(f"improvement {result.improvement.id}: {result.from_state} -> {result.to_state}")
    else:
        cli.out(f"improvement {result.improvement.id} is already {result.to_state}")
    return 0


@cli.command("measure")
def cmd_measure(args: argparse.Namespace) -> int:
    from ci_plugin import measurement
    from ci_plugin.measuring import measure

    improvement, entry = measure(cli._register(args), args.improvement, args.kpi, baseline=args.baseline,
                                 target=args.target, actual=args.actual, unit=args.unit, direction=args.direction)
    if args.json:
        cli.out_json(improvement.to_record())
    else:
        cli.out(measurement.describe(entry))
    return 0


cli.EXTENSIONS.append(add_parsers)
