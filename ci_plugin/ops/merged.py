"""One register read across several hosts: ``register``, ``show`` and ``report`` merge.

Each host's register is read whole (page by page, as one host's is) before anything is printed;
the improvements carry their ids as the user sees them (``name:id``, see
:meth:`~ci_plugin.register.ImprovementRegister.shown`). A host that cannot be read stops the
read: its error is raised with its own class and exit code (3 unreachable or credentials
refused, 6 not provisioned, ...), its message prefixed with the host's name, once; no partial
register is printed, since a register missing one host's improvements would rank wrongly.

The ranking merges by order key: each host keeps its own order, and the hosts interleave by
their keys (ties: by id as shown). A position shown by ``show`` is the
one ``register`` shows.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ci_plugin.domain.model import Improvement
from ci_plugin.errors import CIPluginError
from ci_plugin.ops.progress import progress_of
from ci_plugin.register import ImprovementRegister

T = TypeVar("T")


def on_host(register: ImprovementRegister, action: Callable[[], T]) -> T:
    """``action()``, its error (a :class:`CIPluginError`) re-raised with the host's name in front
    when several hosts are configured; same class, same exit code."""
    try:
        return action()
    except CIPluginError as exc:
        if register.label and len(exc.args) == 1 and not str(exc).startswith(f"host {register.label}: "):
            exc.args = (f"host {register.label}: {exc.args[0]}",)
        raise


def read_all(registers: Sequence[ImprovementRegister], states: list[str] | None = None, *,
             progress: bool = False) -> list[Improvement]:
    """Every improvement of every register (in ``states`` when given), ids as shown, with their
    delivery progress when ``progress`` (asked of each host in batches of a hundred)."""
    found: list[Improvement] = []
    for register in registers:
        improvements = on_host(register, lambda: list(register.list(states)))
        if progress:
            on_host(register, lambda: _fill_progress(register, improvements))
        found.extend(register.shown(i) for i in improvements)
    return found


def _fill_progress(register: ImprovementRegister, improvements: list[Improvement], batch: int = 100) -> None:
    for start in range(0, len(improvements), batch):
        chunk = improvements[start:start + batch]
        values = progress_of(register, [i.id for i in chunk])
        for improvement in chunk:
            improvement.progress = values.get(improvement.id)


def merge_reports(documents: Sequence[tuple[ImprovementRegister, dict[str, Any]]]) -> dict[str, Any]:
    """One report document of several hosts' (:func:`ci_plugin.ops.report.report` each).

    ``register`` rows merge by score, highest first (the rule of ``prioritize``), each host's
    own order kept, and are numbered again; ``matrix`` points, ``kpis``, ``overdue`` and
    ``warnings`` are joined, ids as shown; ``pipeline`` counts add up; ``engagement`` and
    ``capacity`` are figures of one host each (their medians and budgets do not add up), so
    they are given per host under ``hosts``, and the top-level ones are None."""
    def shown(register: ImprovementRegister, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**row, "id": register.shown_id(str(row["id"]))} for row in rows]

    def score(row: dict[str, Any]) -> tuple[bool, float]:
        value = row.get("score")
        return (not isinstance(value, (int, float)), -(value or 0) if isinstance(value, (int, float)) else 0)

    ranked = heapq.merge(*(shown(r, sorted(d["register"], key=lambda row: row["rank"])) for r, d in documents),
                         key=score)
    pipeline: dict[str, int] = {}
    for _, document in documents:
        for state, count in document["pipeline"].items():
            pipeline[state] = pipeline.get(state, 0) + count
    first = documents[0][1]
    return {
        "generated": first["generated"],
        "register": [{**row, "rank": n} for n, row in enumerate(ranked, start=1)],
        "matrix": {"threshold": first["matrix"]["threshold"],
                   "points": [p for r, d in documents for p in shown(r, d["matrix"]["points"])]},
        "kpis": [k for r, d in documents for k in shown(r, d["kpis"])],
        "pipeline": pipeline,
        "engagement": None,
        "capacity": None,
        "overdue": sorted((o for r, d in documents for o in shown(r, d["overdue"])), key=lambda o: o["days"]),
        "warnings": [f"host {r.label}: {w}" for r, d in documents for w in d["warnings"]],
        "hosts": {r.label: {"engagement": d["engagement"], "capacity": d["capacity"]} for r, d in documents},
    }
