"""Recording KPIs of an improvement: baseline, target, actual; the verdict follows.

An improvement holds several KPIs (one entry per KPI name). Recording a KPI that exists updates
it (values not given are kept); the verdict of each KPI is computed direction-aware by
:mod:`ci_plugin.domain.kpi`. The whole list is written in one update, with an audit comment.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain.kpi import check as check_kpi
from ci_plugin.domain.kpi import describe as describe_kpi
from ci_plugin.errors import SchemaValidationError, UsageError
from ci_plugin.domain.model import Improvement
from ci_plugin.ops.case import refuse_malformed
from ci_plugin.register import ImprovementRegister


def measure(register: ImprovementRegister, improvement_id: str, kpi: str, *, baseline: float | None = None,
            target: float | None = None, actual: float | None = None, unit: str | None = None,
            direction: str | None = None) -> tuple[Improvement, dict[str, Any]]:
    """Record (or update) one KPI; returns the re-read improvement and the stored measurement."""
    improvement = register.get(improvement_id, links=False)
    refuse_malformed(improvement, "measurements", register)
    kpis = [dict(m) for m in improvement.get("measurements") or []]
    existing = next((m for m in kpis if m.get("kpi") == kpi), None)
    if existing is not None and existing.get("query") and (baseline is not None or actual is not None):
        raise UsageError(f"KPI {kpi!r} is defined by a query: its values are computed (measure --refresh, "
                         "or --query again to redefine it)")
    entry: dict[str, Any] = dict(existing or {"kpi": kpi})
    for key, value in (("baseline", baseline), ("target", target), ("actual", actual), ("unit", unit),
                       ("direction", direction)):
        if value is not None:
            entry[key] = value
    if actual is not None:
        entry["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if existing is None and ("baseline" not in entry or "target" not in entry):
        raise UsageError(f"KPI {kpi!r} is new: give --baseline and --target")
    entry.pop("verdict", None)
    try:
        checked = check_kpi(entry)
    except SchemaValidationError as exc:
        raise UsageError(str(exc)) from None
    kpis = [checked if m is existing else m for m in kpis] if existing else [*kpis, checked]
    register.write_values(improvement.id, {"measurements": kpis})
    register.audit(improvement.id, "Measurement: " + describe_kpi(checked))
    after = register.get(improvement.id)
    register.plugins.after_measure(improvement=after, measurement=checked, register=register)
    return after, checked
