"""Request Tracker 5 through REST2.

RT quirks handled here and nowhere else:

* ``PUT /ticket/ID`` answers HTTP 200 with a list of messages even when RT refused the change
  ("You can't change status from 'new' to 'closed'.", "Could not add a new value to custom
  field ..."); :func:`refusals` (:mod:`.refusals`) picks those out and they become
  :class:`HostRefused`.
* An invalid custom-field value on create is dropped silently: values are encoded and checked
  against the field's pattern before they are sent.
* Lifecycles cannot be created over REST2: :mod:`.lifecycle` renders the site-config snippet.
* Custom fields can be attached to a queue only when they are created; what is missing is
  reported by ``check`` with the exact fix.
* Searches are capped at 100 per page; every page is followed.
* A custom-field value that was deleted reads back as ``null`` in ``values``.

:class:`RTAdapter` is composed by inheritance, one module per job, each part a
:class:`HostAdapter` subclass that uses only the parts below it:

* :mod:`.metadata` (:class:`~.metadata.RTMetadata`): the ``[rt]`` settings, the session,
  cached reads of queues and custom fields, the REST2 pager;
* :mod:`.provisioning` (:class:`~.provisioning.RTProvisioning`): ``provision``,
  ``manual_steps`` and ``check`` (``setup`` and ``doctor``);
* :mod:`.delivery` (:class:`~.delivery.RTDelivery`): project and change tickets for ``plan``
  and ``progress``;
* :mod:`.kpi_search` (:class:`~.kpi_search.RTKpiSearch`): TicketSQL searches over a window
  and status history, for KPIs computed from tickets (``measure --query``);
* this module: the record mapping (tickets, fields, links, searches, the candidate flag) and
  :data:`PAGE_SIZE`, the page size of every collection read (the contract suite lowers it here
  to make a live host page).
"""

from __future__ import annotations

import re
from urllib.parse import quote
from collections.abc import Iterator
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import INITIAL_STATE
from ci_plugin.errors import HostRefused, NotFound, UsageError
from ci_plugin.hosts.rt.delivery import RTDelivery
from ci_plugin.hosts.rt.evidence import RTEvidence
from ci_plugin.hosts.rt.kpi_search import RTKpiSearch
from ci_plugin.hosts.rt.metadata import RTMetadata
from ci_plugin.hosts.rt.provisioning import RTProvisioning
from ci_plugin.hosts.rt.refusals import refusals

__all__ = ["PAGE_SIZE", "RTAdapter", "refusals"]

PAGE_SIZE = 100

_LINK_REFS = {
    "RefersTo": "refers-to", "ReferredToBy": "referred-to-by", "DependsOn": "depends-on",
    "DependedOnBy": "depended-on-by", "MemberOf": "parent", "HasMember": "child",
}


def _queue_id_of(data: dict[str, Any]) -> str:
    """The queue id of a ticket as REST2 returns it (an object with an id, or a bare value)."""
    queue = data.get("Queue") or {}
    return str(queue.get("id", "")) if isinstance(queue, dict) else str(queue)


def _sql_quote(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class RTAdapter(RTKpiSearch, RTEvidence, RTDelivery, RTProvisioning, RTMetadata):
    """Request Tracker 5 (REST2): improvements are tickets of one queue with custom fields."""

    name = "rt"
    label = "RT"

    @property
    def page_size(self) -> int:
        """This module's :data:`PAGE_SIZE`, read at each request (so a test can lower it)."""
        return PAGE_SIZE

    # --- records ------------------------------------------------------------------------------

    def _to_ticket(self, data: dict[str, Any], classify: bool = False) -> Ticket:
        by_name = {name: key for key, name in self.cf_names.items()}
        values: dict[str, Any] = {}
        for cf in data.get("CustomFields") or []:
            key = by_name.get(cf.get("name"))
            if key is not None:
                raw = [v for v in cf.get("values") or [] if v is not None]  # a deleted value reads as null
                values[key] = raw if register_fields.BY_KEY[key].multi else (raw[0] if raw else "")
        owner = data.get("Owner") or {}
        creator = data.get("Creator") or {}
        ticket = Ticket(
            id=str(data["id"]),
            title=data.get("Subject") or "",
            status=data.get("Status") or "",
            container=_queue_id_of(data),
            submitter=creator.get("id", "") if isinstance(creator, dict) else str(creator),
            owner="" if (owner.get("id") if isinstance(owner, dict) else owner) in ("Nobody", None) else owner.get("id", ""),
            created=data.get("Created") or "",
            url=self.ticket_url(str(data["id"])),
            fields=values,
        )
        if classify:
            ticket.links = self._classify_links(data, values.get("source_tickets") or [],
                                                outside=not self.in_register(ticket))
        elif "_hyperlinks" in data:  # search results: only what ranking needs, without extra requests
            depends = [str(l["id"]) for l in data["_hyperlinks"] if l.get("ref") == "depends-on" and l.get("type") == "ticket"]
            if depends:
                ticket.links = {"depends_on": depends}
        return ticket

    def _classify_links(self, data: dict[str, Any], source_ids: list[str], outside: bool = False) -> dict[str, list[str]]:
        """Sort a ticket's RT links into register link kinds (:func:`ci_plugin.domain.links.classify`);
        the queue of each target says its role. The queue of a recorded source does not matter,
        so it is not looked up."""
        pairs = [(str(link["id"]), link["ref"]) for link in data.get("_hyperlinks") or []
                 if link.get("type") == "ticket" and link.get("ref") in _LINK_REFS.values()]
        sources = {str(s) for s in source_ids}
        targets = sorted({t for t, _ in pairs if outside or t not in sources}, key=int)
        queue_of = self._queues_of(targets) if targets else {}
        roles = {self._queue_id(self.queue_name): link_kinds.ROLE_REGISTER}
        for name, role in ((self.problem_queue, link_kinds.ROLE_PROBLEM), (self.project_queue, link_kinds.ROLE_PROJECT),
                           (self.change_queue, link_kinds.ROLE_CHANGE)):
            queue_id = self.queue_ids().get(name)
            if queue_id is not None:
                roles.setdefault(queue_id, role)
        relations = {key: _LINK_REFS[self.link_types[key]] for key in ("problem", "project", "change")}
        relations.update(follow_up="referred-to-by", depends_on="depends-on")
        return link_kinds.classify(pairs, role_of={t: roles.get(q, link_kinds.ROLE_OTHER) for t, q in queue_of.items()},
                              relations=relations, sources=sources, outside=outside)

    def _queues_of(self, ids: list[str]) -> dict[str, str]:
        """Queue id of each ticket id, in one search per hundred ids."""
        result: dict[str, str] = {}
        for start in range(0, len(ids), self.page_size):
            chunk = ids[start : start + self.page_size]
            query = " OR ".join(f"id = {i}" for i in chunk)
            for item in self._search(query, "Queue"):
                result[str(item["id"])] = _queue_id_of(item)
        return result

    def _search(self, query: str, fields: str) -> Iterator[dict[str, Any]]:
        return self._pages("tickets", {"query": query, "fields": fields, "orderby": "id"})

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        try:
            data = self.session.request("GET", f"ticket/{ticket_id}").json()
        except NotFound:
            raise NotFound(f"RT: ticket {ticket_id} does not exist") from None
        ticket = self._to_ticket(data, classify=links)
        if not ticket.description:
            ticket.description = self._first_message(ticket_id)
        return ticket

    def peek_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """The ticket without its description (that is a second read: :meth:`describe`)."""
        try:
            data = self.session.request("GET", f"ticket/{ticket_id}").json()
        except NotFound:
            raise NotFound(f"RT: ticket {ticket_id} does not exist") from None
        return self._to_ticket(data, classify=links)

    def describe(self, ticket: Ticket) -> None:
        if not ticket.description:
            ticket.description = self._first_message(ticket.id)

    def created_ticket(self, ticket_id: str, title: str, description: str, fields: dict[str, Any],
                       links: dict[str, list[str]]) -> Ticket:
        """Built from what was sent, no read: RT's create answer holds only the id, the values
        were checked against each field's pattern before sending, and the conversion's race
        search has just found the new ticket by its stored source field."""
        return Ticket(id=ticket_id, title=title, status=self.states.host_status(INITIAL_STATE),
                      container=self._queue_id(self.queue_name), description=(description or title).strip(),
                      url=self.ticket_url(ticket_id), fields=dict(fields),
                      links={kind: [str(t) for t in targets] for kind, targets in links.items() if targets})

    def _first_message(self, ticket_id: str) -> str:
        """Text of the ticket's first plain-text message (its description), or ``""``."""
        answer = self.session.request(
            "GET", f"ticket/{ticket_id}/attachments",
            params={"fields": "Content,ContentType", "per_page": 5, "orderby": "id"},
        ).json()
        for item in answer.get("items", []):
            if str(item.get("ContentType", "")).startswith("text/plain") and item.get("Content"):
                return str(item["Content"]).strip()
        return ""

    def in_register(self, ticket: Ticket) -> bool:
        self.known_queue(ticket.container)
        return ticket.container == self._queue_id(self.queue_name)

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        name = {"problem": self.problem_queue, "project": self.project_queue}[kind]
        self.known_queue(ticket.container)
        queue_id = self.queue_id(name)
        return queue_id is not None and ticket.container == queue_id

    def find_project(self, ref: str) -> Ticket:
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def _encode_cfs(self, values: dict[str, Any]) -> dict[str, Any]:
        body = {}
        for key, raw in values.items():
            spec = register_fields.BY_KEY[key]
            pattern = spec.pattern()
            for item in raw if isinstance(raw, list) else [raw]:
                if pattern and item != "" and not re.search(re.sub(r"\(\?#[^)]*\)", "", pattern), str(item)):
                    raise UsageError(f"{key}: {item!r} is not a valid value for RT field {self.cf_names[key]!r}")
            body[self.cf_names[key]] = raw
        return body

    def create_improvement(self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]) -> str:
        body: dict[str, Any] = {
            "Queue": self.queue_name,
            "Subject": title,
            "Content": description or title,
            "ContentType": "text/plain",
            "CustomFields": self._encode_cfs(fields),
        }
        for kind, targets in links.items():
            if targets:
                link_type = self.link_type(kind)
                body.setdefault(link_type, [])
                body[link_type] += [str(t) for t in targets]
        answer = self.session.request("POST", "ticket", json=body).json()
        if not isinstance(answer, dict) or "id" not in answer:
            raise HostRefused("RT did not create the improvement", messages=[str(answer)])
        return str(answer["id"])

    def _put(self, ticket_id: str, body: dict[str, Any], what: str) -> list[str]:
        try:
            messages = self.session.request("PUT", f"ticket/{ticket_id}", json=body).json()
        except NotFound:
            raise NotFound(f"RT: ticket {ticket_id} does not exist") from None
        refused = refusals(messages)
        if refused:
            raise HostRefused(f"RT refused {what} on ticket {ticket_id}: {'; '.join(refused)}", messages=refused)
        return messages if isinstance(messages, list) else []

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        self._put(ticket_id, {"CustomFields": self._encode_cfs(fields)}, "the field update")

    def find_user(self, login: str) -> str | None:
        """RT's name of the enabled user ``login`` (``GET /user/NAME``), ``None`` when there is none."""
        try:
            data = self.session.request("GET", f"user/{quote(login, safe='')}").json()
        except NotFound:
            return None
        if not isinstance(data, dict) or not data.get("Name") or str(data.get("Disabled", "0")) not in ("0", ""):
            return None
        return str(data["Name"])

    def update_record(self, ticket_id: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """One ``PUT``: Subject, Owner and custom fields; RT's refusals inside the 200 (an owner
        without the OwnTicket right...) become HostRefused."""
        body: dict[str, Any] = {"CustomFields": self._encode_cfs(fields)} if fields else {}
        if title is not None:
            body["Subject"] = title
        if owner is not None:
            body["Owner"] = owner
        if body:
            self._put(ticket_id, body, "the update")

    def set_status(self, ticket_id: str, status: str) -> None:
        self._put(ticket_id, {"Status": status}, f"status {status!r}")

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        link_type = self.link_type(kind)
        self._put(ticket_id, {f"Add{link_type}": [str(t) for t in targets]}, f"the {kind} link")

    def comment(self, ticket_id: str, text: str) -> None:
        self.session.request("POST", f"ticket/{ticket_id}/comment", json={"Content": text, "ContentType": "text/plain"})

    def comments(self, ticket_id: str) -> list[str]:
        """The plain-text attachments of the ticket (its first message, then every comment and
        correspondence), all pages."""
        items = self._pages(f"ticket/{ticket_id}/attachments", {"fields": "Content,ContentType"})
        return [str(item["Content"]) for item in items
                if str(item.get("ContentType", "")).startswith("text/plain") and item.get("Content")]

    def improvements_from_source(self, source_id: str) -> list[str]:
        query = f"Queue = {_sql_quote(self.queue_name)} AND CF.{{{self.cf_names['source_tickets']}}} = {_sql_quote(source_id)}"
        return [str(item["id"]) for item in self._search(query, "id")]

    def _ticket_fields(self) -> str:
        return "Subject,Status,Queue,Owner,Creator,Created,CustomFields,_hyperlinks"

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        query = f"Queue = {_sql_quote(self.queue_name)}"
        if statuses:
            query += " AND (" + " OR ".join(f"Status = {_sql_quote(s)}" for s in statuses) + ")"
        for item in self._search(query, self._ticket_fields()):
            yield self._to_ticket(item)

    def flagged_tickets(self) -> Iterator[Ticket]:
        query = f"CF.{{{self.cf_names['candidate']}}} = {_sql_quote(self.candidate['value'])}"
        for item in self._search(query, self._ticket_fields()):
            yield self._to_ticket(item)

    def clear_flag(self, ticket_id: str) -> None:
        self._put(ticket_id, {"CustomFields": {self.cf_names["candidate"]: self.candidate["cleared"]}}, "clearing the flag")

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_base}/Ticket/Display.html?id={ticket_id}"

