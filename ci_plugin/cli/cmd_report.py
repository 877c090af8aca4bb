"""``report``: the register as one self-contained HTML page (``--html FILE``) or one JSON document."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ci_plugin.app import open_registers
from ci_plugin.cli import hosts
from ci_plugin.cli.output import err, out_json
from ci_plugin.cli.progress import bar
from ci_plugin.errors import UsageError
from ci_plugin.ops import merged
from ci_plugin.ops.report import report
from ci_plugin.cli.report_html import render


def add_parsers(add) -> None:
    """Add ``report``."""
    p = add("report", "the register as a self-contained HTML page (matrix, pipeline, KPIs, engagement) or JSON",
            run_report)
    p.add_argument("--html", metavar="FILE", help="write the HTML page to FILE (atomically)")


def check_target(path: str) -> Path:
    """The file to write; UsageError when its directory does not exist or it is a directory."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--html {path}: is a directory; give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"--html {path}: directory {target.parent} does not exist")
    return target


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``target``, then rename it over ``target``."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def run_report(args: argparse.Namespace) -> int:
    """Write the page with ``--html``, print the document with ``--json`` (one of them is needed)."""
    if not args.html and not args.json:
        raise UsageError("report: give --html FILE or --json")
    target = check_target(args.html) if args.html else None  # checked before the host is opened
    registers = open_registers(args.config, name=hosts.chosen(args))
    if len(registers) == 1:
        document = report(registers[0], tick=bar("report"))
        if registers[0].label:
            document = merged.merge_reports([(registers[0], document)])
    else:  # every host's report, then one document (a host that fails stops it: ops.merged)
        document = merged.merge_reports([(r, merged.on_host(r, lambda: report(r, tick=bar(f"report {r.label}"))))
                                         for r in registers])
    if target is not None:
        write_atomically(target, render(document))
        if not args.json:
            err(f"report written to {target}")
    if args.json:
        out_json(document)
    return 0
