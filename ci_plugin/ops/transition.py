"""Moving an improvement through the workflow, with guards, and never assuming success.

The improvement is re-read from the host first (its state there is the truth). The move must be
a transition of :mod:`ci_plugin.domain.workflow`; then every ``ci_guard_transition`` hook is asked.
Entering ``closed`` computes the measurement verdict first, so guards can judge it. The host
status is changed, the improvement is read again, and only a state the host confirms counts:
a refusal (RT answers HTTP 200 with a refusal message) is reported with the host's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from ci_plugin.domain import kpi, workflow
from ci_plugin.errors import HostRefused, UsageError, VetoError
from ci_plugin.domain.model import Improvement
from ci_plugin.ops.update import closure_values
from ci_plugin.register import ImprovementRegister


@dataclass
class TransitionResult:
    """The improvement as the host has it after the move."""

    improvement: Improvement
    from_state: str
    to_state: str
    changed: bool


def transition(register: ImprovementRegister, improvement_id: str, to_state: str, *, note: str | None = None,
               outcome: str | None = None, lessons: str | None = None) -> TransitionResult:
    """Move an improvement to ``to_state``; raise VetoError (workflow or guard) or HostRefused.
    ``outcome`` and ``lessons`` (closing only: ``closed`` or ``rejected``) are checked first and
    written with the verdict once the host confirmed the state."""
    workflow.check_state(to_state)
    closure = closure_values(outcome, lessons)
    if closure and to_state not in workflow.FINAL_STATES:
        raise UsageError(f"--outcome and --lessons are given when closing (to {' or '.join(workflow.FINAL_STATES)}), "
                         f"not when moving to {to_state}")
    improvement = register.get(improvement_id)
    from_state = improvement.state
    if from_state == to_state:
        return TransitionResult(improvement, from_state, to_state, False)
    if not workflow.allowed(from_state, to_state):
        allowed = ", ".join(workflow.TRANSITIONS.get(from_state, ())) or "none"
        raise VetoError("workflow", f"{from_state} -> {to_state} is not a transition of the workflow "
                        f"(from {from_state}: {allowed})", "transition")
    verdict = None
    if to_state == "closed":
        verdict = kpi.overall(improvement.get("measurements") or [])
        if verdict is not None:
            improvement.values["verdict"] = verdict
    improvement.values.update(closure)  # guards judge the closure as it will be
    register.plugins.guard_transition(improvement=improvement, from_state=from_state, to_state=to_state,
                                      register=register)
    register.set_state(improvement.id, to_state)
    after = register.get(improvement.id)
    if after.state != to_state:  # only a state the host confirms counts; nothing else is written then
        raise HostRefused(f"{register.host.label} did not move improvement {improvement.id} to {to_state}: "
                          f"it is still {after.state} ({after.host_status})")
    leaving: dict[str, object] = {}
    if verdict is not None:
        leaving["verdict"] = verdict
    leaving.update({key: value or None for key, value in closure.items()})
    if to_state in workflow.FINAL_STATES and improvement.get("rank") is not None:
        leaving["rank"] = None  # out of the ranked (open) register
    if leaving:
        register.write_values(improvement.id, leaving)
        after.values.update(leaving)
    text = f"State: {from_state} -> {to_state}"
    if verdict:
        text += f"\nMeasurement verdict: {verdict}"
    if verdict == "missed" and not register.plugins.is_enabled("followup_on_missed"):
        text += "\nThe target was missed: a follow-up improvement is proposed (`ci-plugin convert` or enable the\n" \
                "followup_on_missed hook to open it automatically)."
    for key, value in closure.items():
        text += f"\n{key.capitalize()}: {value or '(cleared)'}"
    if note:
        text += f"\nNote: {note}"
    register.audit(improvement.id, text)
    register.plugins.after_transition(improvement=after, from_state=from_state, to_state=to_state,
                                      register=register)
    return TransitionResult(after, from_state, to_state, True)
