"""Follow-up improvements: "how do we keep the momentum going?" after a missed target."""

from __future__ import annotations

from ci_plugin import fields as register_fields
from ci_plugin import measurement
from ci_plugin.model import Improvement
from ci_plugin.register import ImprovementRegister


def proposal(improvement: Improvement) -> str:
    """The text proposing a follow-up for an improvement closed with a missed target."""
    missed = [m for m in improvement.get("measurements") or [] if m.get("verdict") in ("missed", "partly")]
    lines = [f"Follow-up of improvement #{improvement.id} ({improvement.title}), closed with verdict "
             f"{improvement.get('verdict')}."]
    lines += [f"- {measurement.describe(m)}" for m in missed]
    return "\n".join(lines)


def create_followup(register: ImprovementRegister, improvement: Improvement) -> str:
    """Create a follow-up improvement linked to ``improvement``; returns its id."""
    values = {"source": "review", "category": improvement.get("category")}
    fields = {k: register_fields.encode(k, v) for k, v in values.items() if v}
    new_id = register.host.create_improvement(f"Follow-up: {improvement.title}"[:200], proposal(improvement), fields, {})
    register.host.add_links(improvement.id, "follow_ups", [new_id])
    register.audit(improvement.id, f"Follow-up improvement #{new_id} opened for the missed target.")
    return new_id
