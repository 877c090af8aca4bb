"""Plan and implement: create the project or change record that carries out an improvement.

``plan`` refuses before anything is written while the improvement is not ``approved`` or later
(:data:`ci_plugin.domain.delivery.PLANNABLE_STATES`), unless forced. A record of the kind that is
already linked is returned instead of creating a second one (a project linked with ``link``
counts too), so running ``plan`` again returns the same record; after an answer lost in transit
the adapter finds the record it made (see ``HostAdapter.create_delivery``). The new record gets
the improvement's (or the given) title, its description followed by the delivery marker, its
owner and target date; the improvement gets an audit comment and ``ci_after_link`` hooks are told.
"""

from __future__ import annotations

from dataclasses import dataclass

from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.delivery import PLANNABLE_STATES
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import UsageError
from ci_plugin.ops.link import notify_links
from ci_plugin.register import ImprovementRegister

#: Longest title of a delivery record (the register's own limit).
MAX_TITLE = 200


@dataclass
class PlanResult:
    """The improvement (re-read), the delivery record's id and kind, and whether it is new."""

    improvement: Improvement
    kind: str
    record_id: str
    created: bool


def plan(register: ImprovementRegister, improvement_id: str, kind: str, *, title: str | None = None,
         force: bool = False) -> PlanResult:
    """Create (or find) the ``projects`` or ``changes`` record of an improvement; idempotent."""
    if kind not in link_kinds.DELIVERY:
        raise UsageError(f"plan: unknown delivery kind {kind!r}")
    if title is not None:
        title = title.strip()
        if not title or len(title) > MAX_TITLE or any(ord(c) < 32 for c in title):
            raise UsageError(f"--title must be 1 to {MAX_TITLE} characters on one line")
    improvement = register.get(improvement_id)
    what = link_kinds.singular(kind)
    if improvement.state not in PLANNABLE_STATES and not force:
        raise UsageError(f"improvement {improvement.id} is {improvement.state!r}: a {what} record is planned from "
                         f"'approved' on ({', '.join(PLANNABLE_STATES)}); use --force to plan anyway")
    existing = improvement.links.get(kind) or []
    if existing:
        return PlanResult(improvement, kind, existing[0], created=False)
    marker = link_kinds.delivery_marker(kind, improvement.id)
    description = "\n\n".join(part for part in (improvement.description.strip(), marker) if part)
    record_id = register.create_delivery(kind, improvement, title=title or improvement.title, description=description)
    register.audit(improvement.id, f"Planned: {what} record #{record_id} created and linked")
    improvement = register.get(improvement.id)
    target = register.host.get_ticket(record_id) if kind == "changes" else register.host.find_project(record_id)
    notify_links(register, improvement, {kind: [target]}, {kind: [record_id]})
    return PlanResult(improvement, kind, record_id, created=True)
