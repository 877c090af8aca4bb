"""No closing without a measurement verdict: "did we get there?" must be answered.

A guard on ``ci_guard_transition``: ``-> closed`` needs at least one KPI, each with an actual
value, so that the verdict (met, partly, missed) can be computed.
"""

from __future__ import annotations

from ci_plugin import hookimpl


@hookimpl
def ci_guard_transition(improvement, from_state, to_state, register):
    """Refuse closing an improvement whose KPIs are missing or not all measured."""
    if to_state != "closed":
        return None
    kpis = improvement.get("measurements") or []
    if not kpis:
        return f"improvement {improvement.id} has no KPI: record one with `ci-plugin measure {improvement.id} --kpi ...`"
    unmeasured = [m["kpi"] for m in kpis if m.get("actual") is None]
    if unmeasured:
        return f"no actual value yet for KPI {', '.join(unmeasured)}: record it with `ci-plugin measure --actual`"
    return None
