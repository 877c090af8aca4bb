"""``report``: the register as one document for the HTML page and ``report --json``.

:func:`report` assembles, from one paged read of every improvement (shared by ``prioritize``
without writes, ``stats``, ``capacity`` and ``due``): the ranked open register, the value/effort matrix
points (:mod:`ci_plugin.domain.matrix`), KPI progress per improvement (baseline -> target ->
actual, verdict), the pipeline (count per state), the capacity per period (``capacity``), the engagement figures and the overdue reviews.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import kpi, matrix, workflow
from ci_plugin.domain.model import Improvement
from ci_plugin.ops.capacity import capacity
from ci_plugin.ops.due import due
from ci_plugin.ops.prioritize import prioritize
from ci_plugin.ops.stats import Tick, stats
from ci_plugin.register import ImprovementRegister


def _kpis(measurements: Any) -> list[dict[str, Any]]:
    rows = []
    for m in measurements if isinstance(measurements, list) else []:
        if not isinstance(m, dict) or not all(isinstance(m.get(k), (int, float)) for k in ("baseline", "target")):
            continue
        share = kpi.progress(m)
        rows.append({"kpi": str(m.get("kpi", "")), "unit": str(m.get("unit") or ""), "baseline": m["baseline"],
                     "target": m["target"], "actual": m.get("actual"), "verdict": kpi.verdict(m),
                     "progress": share})
    return rows


class ReadOnce:
    """The register, with :meth:`list` answered from one paged read of every improvement, so
    that the report's parts (ranking, listing, ``stats``, ``capacity``, ``due``) do not each
    read the whole register again. Everything else is the register's own."""

    def __init__(self, register: ImprovementRegister):
        self._register = register
        self._all: list[Improvement] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._register, name)

    def list(self, states: list[str] | None = None) -> Iterator[Improvement]:
        """The improvements of the one read, optionally only those in ``states``."""
        if self._all is None:
            self._all = list(self._register.list())
        wanted = set(states) if states else None
        return iter([imp for imp in self._all if wanted is None or imp.state in wanted])


def report(register: ImprovementRegister, *, tick: Tick | None = None) -> dict[str, Any]:
    """The report document: ``register``, ``matrix``, ``kpis``, ``pipeline``, ``engagement``, ``capacity``, ``overdue``.

    The register is read once (:class:`ReadOnce`); nothing is written."""
    register = ReadOnce(register)  # type: ignore[assignment]
    ranked = prioritize(register, dry_run=True)
    positions = {entry.improvement.id: (entry.rank, entry.score) for entry in ranked.entries}
    pipeline: Counter[str] = Counter()
    rows, points, kpis = [], [], []
    for imp in register.list():
        pipeline[imp.state] += 1
        if imp.id not in positions:
            measured = _kpis(imp.get("measurements"))
            if measured:
                kpis.append({"id": imp.id, "title": imp.title, "url": imp.url, "kpis": measured})
            continue
        position, score = positions[imp.id]
        rows.append({"rank": position, "id": imp.id, "title": imp.title, "state": imp.state,
                     "category": str(imp.get("category") or ""), "owner": imp.owner or "", "score": score,
                     "url": imp.url})
        assessment = imp.get("assessment")
        if isinstance(assessment, dict) and isinstance(assessment.get("inputs"), dict):
            axes = matrix.value_effort(str(assessment.get("model")), assessment["inputs"])
            if axes:
                points.append({"id": imp.id, "title": imp.title, "value": axes[0], "effort": axes[1],
                               "quadrant": matrix.quadrant(*axes), "url": imp.url})
        measured = _kpis(imp.get("measurements"))
        if measured:
            kpis.append({"id": imp.id, "title": imp.title, "url": imp.url, "kpis": measured})
    rows.sort(key=lambda row: row["rank"])
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "register": rows,
        "matrix": {"threshold": matrix.THRESHOLD, "points": points},
        "kpis": kpis,
        "pipeline": {state: pipeline.get(state, 0) for state in workflow.STATES},
        "engagement": stats(register, tick=tick),
        "capacity": capacity(register),
        "overdue": [item.to_record() for item in due(register, 0) if item.first.overdue],
        "warnings": ranked.warnings,
    }
