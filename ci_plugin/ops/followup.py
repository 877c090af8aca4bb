"""Follow-up improvements: "how do we keep the momentum going?" after a missed target.

A follow-up is created the way every improvement is (:func:`ci_plugin.ops.convert.create_from_draft`:
``ci_before_convert`` hooks, schema validation, one create through the register), linked to
the improvement it follows as a ``follow_ups`` link, and announced to ``ci_after_convert`` (its
source is the closed improvement) and ``ci_after_link`` (kind ``follow_up``). There is one open
follow-up per improvement and cause (the verdict and the missed KPIs with their targets,
recorded as the last line of the follow-up's description): closing a re-opened improvement
again with the same missed target reuses it; once that follow-up is closed, a new one is due.
"""

from __future__ import annotations

import logging

from ci_plugin.domain import kpi, workflow
from ci_plugin.domain.model import ConversionDraft, Improvement, Ticket
from ci_plugin.ops.convert import create_from_draft
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)


def proposal(improvement: Improvement) -> str:
    """The text proposing a follow-up for an improvement closed with a missed target."""
    missed = [m for m in improvement.get("measurements") or [] if m.get("verdict") in ("missed", "partly")]
    lines = [f"Follow-up of improvement #{improvement.id} ({improvement.title}), closed with verdict "
             f"{improvement.get('verdict')}."]
    lines += [f"- {kpi.describe(m)}" for m in missed]
    return "\n".join(lines)


def cause(improvement: Improvement) -> str:
    """What a follow-up is for: the verdict and the KPIs that missed (their names and targets),
    one line; a follow-up's description starts with it, so an existing one can be recognised."""
    missed = [m for m in improvement.get("measurements") or [] if m.get("verdict") in ("missed", "partly")]
    kpis = "; ".join(f"{m.get('kpi')} target {m.get('target')}{' ' + m['unit'] if m.get('unit') else ''}" for m in missed)
    return f"Cause: verdict {improvement.get('verdict')}" + (f", {kpis}" if kpis else "")


def existing_followup(register: ImprovementRegister, improvement: Improvement) -> str | None:
    """An open follow-up of ``improvement`` for the same cause, if there is one (a closed or
    rejected follow-up does not count: the cause came back, so a new one is due)."""
    wanted = cause(improvement)
    for followup_id in register.get(improvement.id).links.get("follow_ups", []):
        followup = register.get(followup_id, links=False)
        if followup.state not in workflow.FINAL_STATES and wanted in [line.strip() for line in followup.description.splitlines()]:
            return followup.id
    return None


def create_followup(register: ImprovementRegister, improvement: Improvement) -> str:
    """Create a follow-up improvement linked to ``improvement``; returns its id. When an open
    follow-up for the same cause exists (the improvement was re-opened and closed again with
    the same missed target), nothing is created and that follow-up's id is returned."""
    already = existing_followup(register, improvement)
    if already is not None:
        log.info("improvement %s already has follow-up %s for this cause; none created", improvement.id, already)
        return already
    values = {"source": "review", "category": improvement.get("category")}
    draft = ConversionDraft(title=f"Follow-up: {improvement.title}"[:200],
                            description=f"{proposal(improvement)}\n\n{cause(improvement)}",
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
