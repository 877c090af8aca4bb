"""Register links as Zammad links, read and written from the improvement's side.

Zammad has three link types: ``normal`` (no direction), ``parent`` and ``child``. Sources and
problems are ``normal`` links, a project is the improvement's ``parent``, an improvement depends
on its ``child`` improvements, and a follow-up is a ``normal`` link between two improvements.
Reading, the adapter says for each link which ticket it points at, the link type, and what the
linked ticket is (its group), and :func:`ci_plugin.domain.links.classify` sorts the links, as on
every host. The one thing the adapter adds: ``normal`` has no direction, but a follow-up is always
created after its original and ids only grow, so a ``normal`` link to a *newer* improvement is
told to ``classify`` as :data:`FOLLOWED_BY`.

``POST /links/add`` names the source ticket by its *number*, the target by its *id*; a link that
exists already is a 422 "Object already exists!": links are compared first and that 422 is taken
as success.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.model import Ticket
from ci_plugin.errors import HostRefused, NotFound

from ci_host_zammad.records import ZammadRecords

#: Zammad link type of each link kind (singular names, as :data:`ci_plugin.domain.links.WRITABLE`
#: gives them, plus ``depends_on``): what the *other* ticket is to the improvement.
LINK_TYPES = {"source": "normal", "problem": "normal", "project": "parent", "follow_up": "normal",
              "depends_on": "child"}
#: The relation a ``normal`` link to a newer improvement is given for ``classify``.
FOLLOWED_BY = "normal, to a newer improvement"
#: Host relations for :func:`ci_plugin.domain.links.classify`.
RELATIONS = {"problem": LINK_TYPES["problem"], "project": LINK_TYPES["project"], "follow_up": FOLLOWED_BY,
             "depends_on": LINK_TYPES["depends_on"]}
_REVERSE = {"parent": "child", "child": "parent"}


def zammad_link_type(kind: str, *, source_side: bool = False) -> str:
    """Zammad link type of a register link kind (``problems``, ``depends_on``...), as the *other*
    ticket is to the improvement (``source_side``: as the improvement is to the other ticket)."""
    link_type = LINK_TYPES[link_kinds.singular(kind) if kind in link_kinds.WRITABLE else kind]
    return _REVERSE.get(link_type, link_type) if source_side else link_type


class ZammadLinks(ZammadRecords):
    """Links: sorted into kinds when read, added idempotently (needs the three group names)."""

    group_name: str
    problem_group: str
    project_group: str

    def _classify(self, ticket: Ticket, links: list[dict[str, Any]], group_of: dict[str, str]) -> dict[str, list[str]]:
        """Sort a ticket's links into register link kinds; the group of each linked ticket
        (``group_of``, else read) says its role."""
        targets = [(str(link.get("link_object_value")), str(link.get("link_type"))) for link in links
                   if link.get("link_object") == "Ticket"]
        roles = {self.group_name: link_kinds.ROLE_REGISTER}
        roles.setdefault(self.problem_group, link_kinds.ROLE_PROBLEM)
        roles.setdefault(self.project_group, link_kinds.ROLE_PROJECT)
        role_of: dict[str, str] = {}
        for other, _ in targets:
            group = group_of.get(other)
            if group is None:
                group = self._group_name(self._read(other).get("group_id"))
            role_of[other] = roles.get(group, link_kinds.ROLE_OTHER)
        pairs = [(other, FOLLOWED_BY if link_type == "normal" and role_of[other] == link_kinds.ROLE_REGISTER
                  and int(other) > int(ticket.id) else link_type) for other, link_type in targets]
        return link_kinds.classify(pairs, role_of=role_of, relations=RELATIONS,
                                   sources=ticket.fields.get("source_tickets") or [],
                                   outside=not self.in_register(ticket))

    def in_register(self, ticket: Ticket) -> bool:
        """Whether the ticket is in the register's group."""
        return ticket.container == self.group_name

    def _links_body(self, links: dict[str, list[str]]) -> dict[str, list[int]]:
        """Links of a new ticket, from the new ticket's side (it is the links' source)."""
        body: dict[str, list[int]] = {}
        for kind, targets in links.items():
            body.setdefault(zammad_link_type(kind, source_side=True), []).extend(int(t) for t in targets)
        return body

    def _links_of(self, ticket_id: str) -> list[dict[str, Any]]:
        try:
            answer = self.session.request("GET", "links", params={"link_object": "Ticket",
                                                                  "link_object_value": ticket_id}).json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None
        return [l for l in answer.get("links") or [] if l.get("link_object") == "Ticket"]

    def _depends_on(self, ticket_id: str) -> list[str]:
        """The improvements a ticket depends on (its ``child`` tickets), read from its links."""
        wanted = LINK_TYPES["depends_on"]
        return sorted({str(l["link_object_value"]) for l in self._links_of(ticket_id) if l.get("link_type") == wanted},
                      key=int)

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        """Link targets to the improvement (the link's target), skipping links already there."""
        link_type = zammad_link_type(kind)
        present = {(str(l.get("link_object_value")), l.get("link_type")) for l in self._links_of(ticket_id)}
        for target in targets:
            if (str(target), link_type) in present:
                continue
            body = {"link_type": link_type, "link_object_source": "Ticket",
                    "link_object_source_number": self._number(str(target)),
                    "link_object_target": "Ticket", "link_object_target_value": int(ticket_id)}
            try:
                self.session.request("POST", "links/add", json=body)
            except HostRefused as exc:
                if any("already exists" in m for m in exc.messages):
                    continue
                raise HostRefused(f"Zammad refused the {kind} link {ticket_id} -> {target}: "
                                  f"{'; '.join(exc.messages) or exc}", status=exc.status, messages=exc.messages) from None
