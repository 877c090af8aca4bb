"""``propose``: improvements proposed from recurring incidents (and made with ``--create``)."""

from __future__ import annotations

import argparse
from typing import Any

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import document_or_text
from ci_plugin.domain.engagement import parse_since
from ci_plugin.ops.propose import check_inputs, propose


def add_parsers(add) -> None:
    """Add ``propose``."""
    p = add("propose", "propose improvements from recurring tickets of the candidate queues/trackers", run_propose)
    p.add_argument("--since", metavar="DATE", help="tickets created on or after DATE (YYYY-MM-DD; "
                                                  "default: [propose] days ago, 30)")
    p.add_argument("--min-count", type=int, metavar="N", help="tickets a group needs (default: [propose] min_count, 5)")
    p.add_argument("--create", action="store_true", help="turn each proposal into one improvement")


def run_propose(args: argparse.Namespace) -> int:
    """Print the proposals as text, or one JSON document with ``--json``."""
    since = parse_since(args.since)
    check_inputs(since, args.min_count)  # checked before the host is opened
    register = open_register(args.config, name=hosts.chosen(args))
    document = propose(register, since, args.min_count, create=args.create)
    for proposal in document["proposals"]:  # ids as shown (name:id with several hosts)
        proposal["tickets"] = [register.shown_id(i) for i in proposal["tickets"]]
        if proposal["improvement"]:
            proposal["improvement"] = register.shown_id(proposal["improvement"])
    document_or_text(args, document, text)
    return 0


def text(document: dict[str, Any]) -> str:
    """One line per proposal: key, count, first and last seen, ticket ids (and the improvement)."""
    proposals = document["proposals"]
    lines = [f"{len(proposals)} proposal(s) from {document['tickets_read']} ticket(s) since {document['since']} "
             f"(groups of at least {document['min_count']})"]
    for p in proposals:
        made = f" -> improvement {p['improvement']}" if p["improvement"] else ""
        lines.append(f"  {p['key'] or '(none)'}: {p['count']} ticket(s), first {p['first_seen']}, "
                     f"last {p['last_seen']}: {', '.join(p['tickets'])}{made}")
    return "\n".join(lines)
