"""Linking improvements to problem and project records.

A problem link must target a record of the configured problem queue/tracker and a project link a
project record (RT: a ticket of the project queue; Redmine: a project or an issue of the project
tracker); anything else is refused before anything is written. Links already present are not
written again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.model import Improvement, Ticket
from ci_plugin.errors import NotFound
from ci_plugin.register import ImprovementRegister


def resolve_targets(register: ImprovementRegister, *, problems=(), projects=()) -> dict[str, list[Ticket]]:
    """Read and check every link target; raise NotFound naming a target that does not qualify."""
    host = register.host
    found: dict[str, list[Ticket]] = {}
    for ref in problems:
        ticket = host.peek_ticket(register_fields.parse_ticket_id(ref, "problem"))
        if not host.container_of(ticket, "problem"):
            raise NotFound(f"ticket {ticket.id} is not a problem record (not in the configured problem queue/tracker)")
        found.setdefault("problems", []).append(ticket)
    for ref in projects:
        ticket = host.find_project(ref)
        if not host.container_of(ticket, "project"):
            raise NotFound(f"{ref} is not a project record (not in the configured project queue/tracker)")
        found.setdefault("projects", []).append(ticket)
    return found


@dataclass
class LinkResult:
    """The improvement after linking (re-read from the host) and the links that were new."""

    improvement: Improvement
    added: dict[str, list[str]] = field(default_factory=dict)


def link(register: ImprovementRegister, improvement_id: str, *, problems=(), projects=(),
         describe: bool = True) -> LinkResult:
    """Link an improvement to problem and/or project records; idempotent. ``describe=False``:
    the result may lack the improvement's description where reading it is a request of its own."""
    improvement = register.get(improvement_id, describe=describe)
    targets = resolve_targets(register, problems=problems, projects=projects)
    added: dict[str, list[str]] = {}
    for kind, tickets in targets.items():
        fresh = [t.id for t in tickets if t.id not in improvement.links.get(kind, [])]
        if fresh:
            register.add_links(improvement.id, kind, fresh)
            added[kind] = fresh
    if not added:
        return LinkResult(improvement, {})
    lines = [f"Linked to {link_kinds.singular(k)} #{i}" for k, ids in added.items() for i in ids]
    register.audit(improvement.id, "\n".join(lines))
    for kind, ids in added.items():  # the writes succeeded: no need to read the links back
        improvement.links[kind] = sorted({*improvement.links.get(kind, []), *ids}, key=_link_order)
    notify_links(register, improvement, targets, added)
    return LinkResult(improvement, added)


def _link_order(target: str) -> tuple[int, int, str]:
    """Ticket ids in numeric order (as the adapters list links), identifiers after them."""
    return (0, int(target), "") if target.isdigit() else (1, 0, target)


def notify_links(register: ImprovementRegister, improvement: Improvement, targets: dict[str, list[Ticket]],
                 added: dict[str, list[str]]) -> None:
    """Tell ``ci_after_link`` of each link in ``added`` (kind -> ids) whose target was read."""
    for kind, tickets in targets.items():
        for ticket in tickets:
            if ticket.id in added.get(kind, []):
                register.plugins.after_link(improvement=improvement, kind=link_kinds.singular(kind),
                                            target=ticket, register=register)
