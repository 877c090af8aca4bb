"""Keep the momentum going: when an improvement closes with a missed (or partly met) target,
open a follow-up improvement linked to it.

A notifier on ``ci_after_transition``. Settings: ``[hooks.followup_on_missed] on = ["missed"]``
(add ``"partly"`` to follow up partly met targets too). Without this hook, closing with a missed
target only proposes a follow-up in the audit comment.
"""

from __future__ import annotations

from ci_plugin import hookimpl


@hookimpl
def ci_after_transition(improvement, from_state, to_state, register):
    """Create and link a follow-up improvement for a missed target."""
    if to_state != "closed":
        return
    verdict = improvement.get("verdict")
    if verdict not in register.config.hook_settings("followup_on_missed").get("on", ["missed"]):
        return
    from ci_plugin.ops.followup import create_followup

    create_followup(register, improvement)
