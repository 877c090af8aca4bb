"""``stats``: engagement figures of the register (who raises improvements, lead times, outcomes)."""

from __future__ import annotations

import argparse
from typing import Any

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import document_or_text
from ci_plugin.cli.progress import bar
from ci_plugin.domain.engagement import parse_since
from ci_plugin.ops.stats import stats


def add_parsers(add) -> None:
    """Add ``stats``."""
    p = add("stats", "engagement figures: raised per month and source, submitters, lead times, state times, "
                     "closed and met", run_stats)
    p.add_argument("--since", metavar="DATE", help="only improvements created (stays ended, closings made) "
                                                  "on or after DATE (YYYY-MM-DD)")


def run_stats(args: argparse.Namespace) -> int:
    """Print the figures as text, or one JSON document with ``--json``."""
    since = parse_since(args.since)  # checked before the host is opened
    figures = stats(open_register(args.config, name=hosts.chosen(args)), since, tick=bar("stats"))
    document_or_text(args, figures, text)
    return 0


def _counts(title: str, counts: dict[str, int]) -> list[str]:
    return [title] + [f"  {key:<24} {value:>6}" for key, value in counts.items()] if counts else [f"{title} none"]


def _hours(value: Any) -> str:
    return "-" if value is None else f"{value:.1f} h"


def text(figures: dict[str, Any]) -> str:
    """The figures as a few short tables."""
    since = f" since {figures['since']}" if figures["since"] else ""
    lines = [f"{figures['raised']} improvement(s) raised{since} ({figures['improvements']} in the register)"]
    lines += _counts("raised per month:", figures["raised_per_month"])
    lines += _counts("per source kind:", figures["by_source_kind"])
    lines += _counts("per source queue/tracker:", figures["by_source_container"])
    for key, title in (("top_submitters", "top submitters:"), ("top_converters", "top converting agents:")):
        lines += _counts(title, {entry["name"]: entry["count"] for entry in figures[key]})
    lead = figures["conversion_lead_time"]
    lines.append(f"conversion lead time: median {_hours(lead['median_hours'])}, mean {_hours(lead['mean_hours'])} "
                 f"over {lead['count']} conversion(s)")
    if figures["state_times"] is None:
        lines.append("time in each state: the host keeps no status history ci-plugin can read")
    else:
        lines.append("median time in each state (completed stays):")
        lines += [f"  {state:<24} {_hours(entry['median_hours']):>10}  ({entry['stays']} stay(s))"
                  for state, entry in figures["state_times"].items()]
        lines.append("closed per month:" if figures["closed_per_month"] else "closed per month: none")
        for period, entry in figures["closed_per_month"].items():
            share = entry["share"]
            lines.append(f"  {period}  {entry['closed']:>4} closed  met {share['met']:.0%}  "
                         f"partly {share['partly']:.0%}  missed {share['missed']:.0%}")
    return "\n".join(lines)
