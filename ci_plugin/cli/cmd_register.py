"""``link``, ``show`` and ``register``: the records of the register and their links."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

from ci_plugin.app import open_register, open_registers
from ci_plugin.cli import hosts
from ci_plugin.cli import render
from ci_plugin.cli.output import err, out, out_json, out_text, report_malformed
from ci_plugin.domain import order_keys
from ci_plugin.domain.links import id_order
from ci_plugin.domain.workflow import OPEN_STATES, check_state
from ci_plugin.errors import UsageError
from ci_plugin.ops import merged
from ci_plugin.ops.link import link
from ci_plugin.ops.progress import progress_of


def add_parsers(add) -> None:
    """Add ``link``, ``show`` and ``register``."""
    p = add("link", "link an improvement to problem and/or project records", run_link)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--problem", action="append", default=[], metavar="ID")
    p.add_argument("--project", action="append", default=[], metavar="ID")

    p = add("show", "show one improvement", run_show)
    p.add_argument("improvement", metavar="IMPROVEMENT")
    p.add_argument("--history", action="store_true",
                   help="only its assessments, newest first: when, who, model, inputs, score")

    p = add("register", "list the register", run_register)
    p.add_argument("--state", action="append", metavar="STATE", help="only this workflow state (repeatable)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--sort", choices=("id", "rank", "score"), default="rank")
    p.add_argument("--progress", action="store_true",
                   help="add each improvement's delivery progress (batched host queries, see README)")


def run_link(args: argparse.Namespace) -> int:
    """Link, idempotently; say which links were new."""
    if not args.problem and not args.project:
        raise UsageError("link needs --problem ID and/or --project ID")
    name, bare = hosts.target(args, args.improvement, *args.problem, *args.project)
    problems, projects = bare[1:1 + len(args.problem)], bare[1 + len(args.problem):]
    register = open_register(args.config, name=name)
    result = link(register, bare[0], problems=problems, projects=projects,
                  describe=bool(args.json))  # the line printed without --json needs no description
    register.shown(result.improvement)
    added = {kind: [register.shown_id(i) for i in ids] for kind, ids in result.added.items()}
    if args.json:
        out_json({**result.improvement.to_record(), "added": added})
    else:
        said = ", ".join(f"{k[:-1]} #{i}" for k, ids in added.items() for i in ids)
        out(f"improvement {result.improvement.id}: " + (f"linked to {said}" if said else "links already in place"))
    return 0


def run_show(args: argparse.Namespace) -> int:
    """One improvement in detail (or its record)."""
    name, (improvement_id,) = hosts.target(args, args.improvement)
    register = open_register(args.config, name=name)
    if args.history:
        return _show_history(register.shown(register.get(improvement_id, links=False)), args.json)
    improvement = register.get(improvement_id)
    improvement.progress = progress_of(register, [improvement.id]).get(improvement.id)
    register.shown(improvement)
    report_malformed([improvement])
    position = None
    if order_keys.valid(improvement.get("rank")):  # its position among the ranked (of every host): read their keys
        ranked = open_registers(args.config) if register.label else [register]
        position = render.positions_of(merged.read_all(ranked, list(OPEN_STATES))).get(improvement.id)
    if args.json:
        out_json(_record(improvement, position))
    else:
        out(render.detail(improvement, position))
    return 0


def _show_history(improvement: Any, as_json: bool) -> int:
    """The assessment and its stored predecessors, newest first (``show --history``)."""
    report_malformed([improvement])
    current = improvement.get("assessment") or {}
    entries = []
    if isinstance(current, dict) and "model" in current:
        keys = ("assessed_at", "assessed_by", "model", "inputs", "score", "sources")
        entries = [{k: current[k] for k in keys if k in current}] + list(current.get("history") or [])
    if as_json:
        out_json({"improvement": improvement.id, "assessments": entries})
        return 0
    if not entries:
        out(f"#{improvement.id} has not been assessed")
        return 0
    for entry in entries:
        inputs = ", ".join(f"{k}={v}" for k, v in sorted((entry.get("inputs") or {}).items()))
        out(f"{entry.get('assessed_at', '?'):<26} {entry.get('assessed_by', '?'):<12} {entry.get('model', '?'):<9} "
            f"{entry.get('score', 0):>10g}  {inputs}")
    return 0


def _record(improvement: Any, position: int | None) -> dict[str, Any]:
    """The JSON record, with ``rank`` the position (1 = do first), not the stored order key."""
    record = improvement.to_record()
    record.pop("rank", None)
    if position is not None:
        record["rank"] = position
    return record


def run_register(args: argparse.Namespace) -> int:
    """The register as a table, JSON or CSV."""
    states = [check_state(s) for s in args.state] if args.state else None
    # positions are among every ranked (open) improvement, also when only some states are listed
    read = sorted(set(states) | set(OPEN_STATES)) if states else None
    registers = open_registers(args.config, name=hosts.chosen(args))
    if len(registers) > 1:  # every host read whole first: a host that fails stops it all (ops.merged)
        listed: Iterable[Any] = merged.read_all(registers, read, progress=args.progress)
    else:
        register = registers[0]
        listed = register.list(read)
        if args.progress:
            listed = _with_progress(register, listed)
        if register.label:
            listed = map(register.shown, listed)
    if args.json or args.format == "json":
        return _register_json(listed, states, args.sort)
    improvements = list(listed)
    positions = render.positions_of(improvements)
    if states:
        improvements = [i for i in improvements if i.state in states]
    report_malformed(improvements)
    improvements.sort(key=sort_key(args.sort, positions))
    extra = ("progress",) if args.progress else ()
    if args.format == "csv":
        out_text(render.csv_text(improvements, positions, extra=extra))
    else:
        out(render.table(improvements, positions=positions, extra=extra))
        err(f"{len(improvements)} improvement(s)")
    return 0


def _with_progress(register: Any, listed: Iterable[Any], batch: int = 100) -> Iterable[Any]:
    """The improvements of ``listed``, each with its progress, asked of the host a hundred
    improvements at a time (``HostAdapter.delivery_items``)."""
    chunk: list[Any] = []
    for improvement in listed:
        chunk.append(improvement)
        if len(chunk) == batch:
            yield from _fill_progress(register, chunk)
            chunk = []
    yield from _fill_progress(register, chunk)


def _fill_progress(register: Any, chunk: list[Any]) -> list[Any]:
    found = progress_of(register, [i.id for i in chunk]) if chunk else {}
    for improvement in chunk:
        improvement.progress = found.get(improvement.id)
    return chunk


class _Listed:
    """One improvement of ``register --json`` held until the positions are known: its sort data
    and its record as compact JSON text (a fraction of the memory of the decoded object)."""

    __slots__ = ("id", "key", "score", "text")

    def __init__(self, improvement: Any):
        self.id, self.key, self.score = improvement.id, improvement.get("rank"), improvement.get("score")
        self.text = json.dumps(_record(improvement, None), sort_keys=True, separators=(",", ":"), default=str)

    def get(self, name: str) -> Any:
        """``score`` (for sorting), else None."""
        return self.score if name == "score" else None


def _register_json(listed: Iterable[Any], states: list[str] | None, order: str) -> int:
    """``register --json``, streamed: the improvements are read page by page and kept as compact
    JSON text, then written one by one (the same document ``out_json`` would print)."""
    keys: dict[str, Any] = {}
    rows: list[_Listed] = []
    for improvement in listed:
        keys[improvement.id] = improvement.get("rank")
        if not states or improvement.state in states:
            report_malformed([improvement])
            rows.append(_Listed(improvement))
    positions = order_keys.positions(keys)
    del keys
    rows.sort(key=sort_key(order, positions))
    if not rows:
        out("[]")
        return 0
    out("[")
    last = len(rows) - 1
    for n, row in enumerate(rows):
        record = json.loads(row.text)
        if row.id in positions:
            record["rank"] = positions[row.id]
        text = json.dumps(record, indent=2, sort_keys=True, default=str)
        out(textwrap.indent(text, "  ") + ("," if n < last else ""))
        rows[n] = None  # type: ignore[call-overload]  # written: let it go
    out("]")
    return 0


def sort_key(order: str, positions: dict[str, int] | None = None) -> Callable[[Any], Any]:
    """Sort key of the register by ``rank`` (position; unranked last), ``score`` (highest first) or ``id``."""
    if order == "rank":
        ranks = positions or {}
        return lambda i: (i.id not in ranks, ranks.get(i.id, 0), id_order(i.id))
    if order == "score":
        return lambda i: (i.get("score") is None, -(i.get("score") or 0), id_order(i.id))
    return lambda i: id_order(i.id)
