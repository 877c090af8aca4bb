"""No approval beyond capacity: refuse ``-> approved`` when it would over-commit the period.

A guard on ``ci_guard_transition``. The improvement's period is the one holding its target
date; its effort and money are added to what the period's approved, planned and in-progress
improvements already commit, and compared with ``[budget]`` (see ``ci-plugin capacity``).
ITIL 4: time and budget for continual improvement are secured before work is committed to.
An improvement without a target date is not refused (it holds no period yet).
"""

from __future__ import annotations

from ci_plugin import hookimpl
from ci_plugin.ops.capacity import overcommitment


@hookimpl
def ci_guard_transition(improvement, from_state, to_state, register):
    """Refuse approval of an improvement that would over-commit its period's effort or money."""
    if to_state != "approved":
        return None
    return overcommitment(register, improvement)
