"""No approval without a business case: refuse ``-> approved`` until benefit (money or KPI) is stated.

A guard on ``ci_guard_transition``.
"""

from __future__ import annotations

from ci_plugin import hookimpl


@hookimpl
def ci_guard_transition(improvement, from_state, to_state, register):
    """Refuse approval of an improvement without a business case."""
    case = improvement.get("business_case") or {}
    if to_state == "approved" and not (case.get("benefit") is not None or case.get("benefit_kpi")):
        return f"improvement {improvement.id} has no business case: run `ci-plugin case {improvement.id} --benefit ...` first"
    return None
