"""``evidence`` and ``stale``: what the source tickets say, and which assessments are out of date."""

from __future__ import annotations

import argparse
from typing import Any

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import document_or_text, out, out_json
from ci_plugin.ops.evidence import evidence
from ci_plugin.ops.stale import check_days, stale


def add_parsers(add) -> None:
    """Add ``evidence`` and ``stale``."""
    p = add("evidence", "summarise an improvement's source tickets: count, period, requestors, "
                        "time to resolve, breaches, reopens", run_evidence)
    p.add_argument("improvement", metavar="IMPROVEMENT")

    p = add("stale", "open improvements whose assessment is older than the window or whose sources grew "
                     "by more than [evidence] stale_growth since", run_stale)
    p.add_argument("--older-than", metavar="DAYS", help="the window in days (default [evidence] stale_days, 90)")


def run_evidence(args: argparse.Namespace) -> int:
    """Print the evidence figures as text, or one JSON document with ``--json``."""
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    document = evidence(register, improvement_id)
    for key in ("ticket_ids", "via_problems", "missing"):
        if isinstance(document.get(key), list):
            document[key] = [register.shown_id(str(i)) for i in document[key]]
    document["improvement"] = register.shown_id(document["improvement"])
    document_or_text(args, document, text)
    return 0


def run_stale(args: argparse.Namespace) -> int:
    """Print the stale improvements, one a line, or a JSON list with ``--json``."""
    days = check_days(args.older_than)  # checked before the host is opened
    register = open_register(args.config, name=hosts.chosen(args))
    found = [{**entry, "id": register.shown_id(entry["id"])} for entry in stale(register, days)]
    if args.json:
        out_json(found)
        return 0
    for entry in found:
        out(f"#{entry['id']:<8} {entry['state']:<12} {entry['why']:<32} {entry['title']}")
    if not found:
        out("no stale assessments")
    return 0


def _value(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}" if isinstance(value, (int, float)) else str(value)


def text(document: dict[str, Any]) -> str:
    """The evidence figures as a few lines."""
    lines = [f"evidence of #{document['improvement']}: {document['count']} source ticket(s)",
             f"  period              {document['first_created'] or '-'} .. {document['last_created'] or '-'}"
             f" ({_value(document['period_days'], ' d')})",
             f"  requestors          {document['requestors']} ({_value(document['requestors_per_quarter'])} per quarter)",
             f"  resolved            {document['resolved']}",
             f"  time to resolve     total {_value(document['total_resolve_hours'], ' h')}, "
             f"median {_value(document['median_resolve_hours'], ' h')}",
             f"  over {document['threshold_hours']:g} h          {document['breached']}",
             f"  reopened            {_value(document['reopened'])}"]
    if document.get("via_problems"):
        lines.append(f"  through its problem records: {', '.join(document['via_problems'])}")
    if document.get("missing"):
        lines.append(f"  not found on the host: {', '.join(document['missing'])}")
    return "\n".join(lines)
