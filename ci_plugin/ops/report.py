"""``report``: the register as one document for the HTML page and ``report --json``.

:func:`report` assembles, from one ranked read (``prioritize`` without writes), one paged read of
every improvement, ``stats`` and ``due``: the ranked open register, the value/effort matrix
points (:mod:`ci_plugin.domain.matrix`), KPI progress per improvement (baseline -> target ->
actual, verdict), the pipeline (count per state), the capacity per period (``capacity``), the engagement figures and the overdue reviews.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import kpi, matrix, workflow
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


def report(register: ImprovementRegister, *, tick: Tick | None = None) -> dict[str, Any]:
    """The report document: ``register``, ``matrix``, ``kpis``, ``pipeline``, ``engagement``, ``capacity``, ``overdue``."""
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
