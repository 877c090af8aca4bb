"""Delivery records on RT: ``plan`` creates project and change tickets, ``progress`` reads them.

:class:`RTDelivery` builds on :class:`~ci_plugin.hosts.rt.metadata.RTMetadata`;
:class:`~ci_plugin.hosts.rt.adapter.RTAdapter` inherits it. A project record is a ticket of
``[rt] project_queue``, a change record one of ``[rt] change_queue``; the improvement is linked
to it by ``[rt.links] project`` / ``change`` (``MemberOf`` by default: the improvement is a child
of its project). The record is created with that link in the same POST (the reverse link type,
e.g. ``HasMember``), so an answer lost in transit leaves a record that the improvement's links
already show: nothing to search for.

Progress reads, for a batch of improvements: one search for the records linked to them (their
``_hyperlinks`` name the improvements and the ``MemberOf`` children), then per hundred records
and children one search for their queues and one for those in an inactive status
(``Status = '__Inactive__'``, which RT resolves per queue lifecycle). Tickets of the register
queue (the improvement itself, other improvements) are never counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ci_plugin.domain import links as link_kinds
from ci_plugin.errors import HostRefused
from ci_plugin.hosts.rt.metadata import RTMetadata

#: Each RT link type and the type of the same link seen from the other ticket.
REVERSE = {"RefersTo": "ReferredToBy", "ReferredToBy": "RefersTo", "DependsOn": "DependedOnBy",
           "DependedOnBy": "DependsOn", "MemberOf": "HasMember", "HasMember": "MemberOf"}
#: The ``ref`` of each link type in REST2 ``_hyperlinks``.
REFS = {"RefersTo": "refers-to", "ReferredToBy": "referred-to-by", "DependsOn": "depends-on",
        "DependedOnBy": "depended-on-by", "MemberOf": "parent", "HasMember": "child"}
#: Improvements per search for their delivery records (keeps the TicketSQL in a URL short).
BATCH = 50


def _quote(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _queue_id(item: dict[str, Any]) -> str:
    queue = item.get("Queue") or {}
    return str(queue.get("id", "")) if isinstance(queue, dict) else str(queue)


class RTDelivery(RTMetadata):
    """Project and change tickets: created for ``plan``, read for ``progress``."""

    def delivery_queue(self, kind: str) -> str:
        """The queue of delivery records of ``kind`` (``projects`` or ``changes``)."""
        return {"projects": self.project_queue, "changes": self.change_queue}[kind]

    def create_delivery(self, kind: str, improvement_id: str, *, title: str, description: str,
                        owner: str = "", target_date: str = "") -> str:
        """One POST: the ticket in the kind's queue, linked to the improvement by the reverse of
        the kind's link type, with owner and due date."""
        queue = self.delivery_queue(kind)
        self._queue_id(queue)  # NotFound naming the queue and `setup` when it is missing
        body: dict[str, Any] = {"Queue": queue, "Subject": title, "Content": description, "ContentType": "text/plain",
                                REVERSE[self.link_type(kind)]: [str(improvement_id)]}
        if owner:
            body["Owner"] = owner
        if target_date:
            body["Due"] = f"{target_date} 00:00:00"
        answer = self.session.request_json("POST", "ticket", expect=(dict, list), json=body)
        if not isinstance(answer, dict) or "id" not in answer:
            raise HostRefused(f"RT did not create the {link_kinds.singular(kind)} record", messages=[str(answer)])
        return str(answer["id"])

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]]:
        wanted = [str(i) for i in improvement_ids]
        records: dict[str, set[str]] = {i: set() for i in wanted}  # improvement -> record ids
        children: dict[str, set[str]] = {}  # record -> child ids
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            for record_id, improvements, kids in self._records_of(chunk):
                children.setdefault(record_id, set()).update(kids)
                for improvement in improvements:
                    records[improvement].add(record_id)
        everything = sorted(set(children) | {c for kids in children.values() for c in kids}, key=int)
        done = self._done_outside_register(everything)
        result: dict[str, dict[str, bool]] = {}
        for improvement, ids in records.items():
            items = {r for r in ids if r in done} | {c for r in ids for c in children[r] if c in done}
            items.discard(improvement)
            result[improvement] = {i: done[i] for i in sorted(items, key=int)}
        return result

    def _records_of(self, chunk: list[str]) -> Iterator[tuple[str, set[str], set[str]]]:
        """``(record id, improvements of chunk it is linked to, its MemberOf children)`` of every
        project or change ticket linked to an improvement of ``chunk`` (one paged search)."""
        clauses, ref_of = [], {}
        for kind in link_kinds.DELIVERY:
            queue = self.queue(self.delivery_queue(kind))
            if queue is None:
                continue
            reverse = REVERSE[self.link_type(kind)]
            ref_of[str(queue["id"])] = REFS[reverse]
            linked = " OR ".join(f"{reverse} = {i}" for i in chunk)
            clauses.append(f"(Queue = {_quote(self.delivery_queue(kind))} AND ({linked}))")
        if not clauses:
            return
        members = set(chunk)
        params = {"query": " OR ".join(clauses), "fields": "Queue,_hyperlinks", "orderby": "id"}
        for item in self._pages("tickets", params):
            ref = ref_of.get(_queue_id(item))
            hyperlinks = [h for h in item.get("_hyperlinks") or [] if h.get("type") == "ticket"]
            improvements = {str(h["id"]) for h in hyperlinks if h.get("ref") == ref and str(h["id"]) in members}
            kids = {str(h["id"]) for h in hyperlinks if h.get("ref") == "child"}
            if improvements:
                yield str(item["id"]), improvements, kids

    def _done_outside_register(self, ids: list[str]) -> dict[str, bool]:
        """Of ``ids``, those outside the register queue, each -> whether its status is inactive:
        per hundred ids one search for the queues and one for the inactive ones."""
        register = self._queue_id(self.queue_name)
        result: dict[str, bool] = {}
        for start in range(0, len(ids), self.page_size):
            chunk = ids[start : start + self.page_size]
            where = "(" + " OR ".join(f"id = {i}" for i in chunk) + ")"
            outside = {str(item["id"]) for item in self._pages("tickets", {"query": where, "fields": "Queue", "orderby": "id"})
                       if _queue_id(item) != register}
            inactive = {str(item["id"]) for item in self._pages(
                "tickets", {"query": f"{where} AND Status = '__Inactive__'", "fields": "id", "orderby": "id"})}
            result.update({i: i in inactive for i in chunk if i in outside})
        return result
