"""``setup`` and ``doctor``: provision the improvement ticket type on the host, and check it."""

from __future__ import annotations

import argparse

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import err, out, out_json
from ci_plugin.errors import NotProvisionedError, UsageError
from ci_plugin.ops import setup as setup_ops


def add_parsers(add) -> None:
    """Add ``setup`` and ``doctor``."""
    p = add("setup", "provision the improvement ticket type on the host (idempotent)", run_setup)
    p.add_argument("--print-provisioning", nargs="?", const="", default=None, metavar="STEP",
                   help="print only what an admin must install by hand (RT lifecycle, Redmine script); "
                        "with STEP, that step (RT: `scrip`, the initialdata file that pushes events to serve)")
    add("doctor", "check connection, credentials and everything the register needs on the host", run_doctor)


def run_setup(args: argparse.Namespace) -> int:
    """Provision the host; print what changed and any manual step; exit 6 while incomplete."""
    register = open_register(args.config, name=hosts.chosen(args))
    if args.print_provisioning is not None:
        steps = register.host.manual_steps()
        if args.print_provisioning:
            chosen = [s for s in steps if s.name and s.name == args.print_provisioning]
            if not chosen:
                named = ", ".join(s.name for s in steps if s.name) or "none"
                raise UsageError(f"no provisioning step {args.print_provisioning!r} on this host (steps: {named})")
        else:  # the host's own provisioning: every step an admin must install for setup to complete
            chosen = [s for s in steps if s.fixes] or steps[:1]
        for step in chosen:
            out(step.content.rstrip("\n"))
        return 0
    report = setup_ops.setup(register)
    if args.json:
        out_json(report.to_json())
    else:
        for change in report.changes:
            if change.action != "unchanged" or args.verbose:
                out(f"{change.action:<10}{change.what}")
        created = sum(c.action != "unchanged" for c in report.changes)
        out(f"setup: {created} change(s), {len(report.changes) - created} already in place")
        for step in report.pending:
            out(f"\nMANUAL STEP: {step.title}\n  {step.why}\n  Install this as {step.filename} and restart the host"
                f" (or run `ci-plugin setup --print-provisioning`):\n")
            out(step.content.rstrip("\n"))
    if not report.complete:
        err("ci-plugin: setup incomplete: " + "; ".join(f"{f.name}: {f.detail}" for f in report.failing))
        return NotProvisionedError.exit_code
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    """Print every check; exit 6 naming what is missing."""
    findings = setup_ops.doctor(open_register(args.config, name=hosts.chosen(args)))
    if args.json:
        out_json([{"check": f.name, "ok": f.ok, "detail": f.detail} for f in findings])
    else:
        for finding in findings:
            out(f"{'ok' if finding.ok else 'MISSING':<8}{finding.name}" + (f": {finding.detail}" if finding.detail else ""))
    missing = [f.name for f in findings if not f.ok]
    if missing:
        err(f"ci-plugin: doctor: missing: {', '.join(missing)}")
        return NotProvisionedError.exit_code
    return 0
