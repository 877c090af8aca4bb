"""No approval without an assessment: refuse ``-> approved`` until a scoring model was applied.

A guard on ``ci_guard_transition``. ITIL 4: opportunities are assessed and prioritised before
time and budget are committed to them.
"""

from __future__ import annotations

from ci_plugin import hookimpl


@hookimpl
def ci_guard_transition(improvement, from_state, to_state, register):
    """Refuse approval of an improvement that has no assessment."""
    if to_state == "approved" and not improvement.get("assessment"):
        return f"improvement {improvement.id} has no assessment: run `ci-plugin assess {improvement.id}` first"
    return None
