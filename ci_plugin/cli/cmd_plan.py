"""``plan``: create (or find) the project or change record that carries out an improvement."""

from __future__ import annotations

import argparse

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import err, out, out_json
from ci_plugin.domain import links as link_kinds
from ci_plugin.errors import UsageError
from ci_plugin.ops.plan import plan


def add_parsers(add) -> None:
    """Add ``plan``."""
    p = add("plan", "create the project or change record of an approved improvement (idempotent)", run_plan)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--create-project", action="store_true", help="create (or find) its project record")
    what.add_argument("--create-change", action="store_true", help="create (or find) its change record")
    p.add_argument("--title", metavar="T", help="title of the new record (default: the improvement's)")
    p.add_argument("--force", action="store_true", help="plan even before the improvement is approved")


def run_plan(args: argparse.Namespace) -> int:
    """Print the record's id (stdout), and on stderr whether it was created or already linked."""
    if not args.create_project and not args.create_change:
        raise UsageError("plan needs --create-project or --create-change")
    kind = "projects" if args.create_project else "changes"
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    result = plan(register, improvement_id, kind, title=args.title, force=args.force)
    register.shown(result.improvement)
    record_id = register.shown_id(result.record_id)
    what = link_kinds.singular(kind)
    if args.json:
        out_json({"improvement": result.improvement.id, "kind": what, "id": record_id,
                  "created": result.created, "links": result.improvement.links})
    else:
        out(record_id)
        err(f"improvement {result.improvement.id}: {what} record #{record_id} "
            + ("created and linked" if result.created else "already linked"))
    return 0
