"""Follow-up improvements: "how do we keep the momentum going?" after a missed target.

A follow-up is created the way every improvement is (:func:`ci_plugin.ops.convert.create_from_draft`:
``ci_before_convert`` hooks, schema validation, one create through the register), linked to
the improvement it follows as a ``follow_ups`` link, and announced to ``ci_after_convert`` (its
source is the closed improvement) and ``ci_after_link`` (kind ``follow_up``).
"""

from __future__ import annotations

from ci_plugin.domain import kpi
from ci_plugin.domain.model import ConversionDraft, Improvement, Ticket
from ci_plugin.ops.convert import create_from_draft
from ci_plugin.register import ImprovementRegister


def proposal(improvement: Improvement) -> str:
    """The text proposing a follow-up for an improvement closed with a missed target."""
    missed = [m for m in improvement.get("measurements") or [] if m.get("verdict") in ("missed", "partly")]
    lines = [f"Follow-up of improvement #{improvement.id} ({improvement.title}), closed with verdict "
             f"{improvement.get('verdict')}."]
    lines += [f"- {kpi.describe(m)}" for m in missed]
    return "\n".join(lines)


def create_followup(register: ImprovementRegister, improvement: Improvement) -> str:
    """Create a follow-up improvement linked to ``improvement``; returns its id."""
    values = {"source": "review", "category": improvement.get("category")}
    draft = ConversionDraft(title=f"Follow-up: {improvement.title}"[:200], description=proposal(improvement),
                            values={k: v for k, v in values.items() if v})
    origin = _as_ticket(improvement)
    new_id = create_from_draft(register, draft, [origin], {})
    register.add_links(improvement.id, "follow_ups", [new_id])
    register.audit(improvement.id, f"Follow-up improvement #{new_id} opened for the missed target.")
    followup = register.get(new_id)
    register.plugins.after_convert(improvement=followup, sources=[origin], created=True, register=register)
    register.plugins.after_link(improvement=register.get(improvement.id), kind="follow_up",
                                target=_as_ticket(followup), register=register)
    return new_id


def _as_ticket(improvement: Improvement) -> Ticket:
    """An improvement as the host record hooks are told about (``sources``, a link ``target``)."""
    return Ticket(id=improvement.id, title=improvement.title, status=improvement.host_status, url=improvement.url,
                  description=improvement.description, submitter=improvement.submitter, owner=improvement.owner,
                  created=improvement.created)
