"""Delivery records on RT: ``plan`` creates project and change tickets, ``progress`` reads them.

:class:`RTDelivery` builds on :class:`~ci_plugin.hosts.rt.metadata.RTMetadata`;
:class:`~ci_plugin.hosts.rt.adapter.RTAdapter` inherits it. A project record is a ticket of
``[rt] project_queue``, a change record one of ``[rt] change_queue``; the improvement is linked
to it by ``[rt.links] project`` / ``change`` (``MemberOf`` by default: the improvement is a child
of its project). The record is created with that link in the same POST (the reverse link type,
e.g. ``HasMember``), so an answer lost in transit leaves a record that the improvement's links
already show: nothing to search for.

Progress reads, per hundred ids, searched by ``id`` only: the improvements (their ``_hyperlinks``
name the linked tickets), the linked tickets (queue, and ``_hyperlinks`` naming their
``MemberOf`` children), then the records and children: their queues, and those in an inactive
status (``Status = '__Inactive__'``, which RT resolves per queue lifecycle). Link clauses
(``HasMember = 7``) are avoided: each is a join, and past SQLite's limit of 64 RT answers an
empty list, not an error. Tickets of the register
queue (the improvement itself, other improvements) are never counted.
"""

from __future__ import annotations

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
        queue_of_kind = {}
        for kind in link_kinds.DELIVERY:
            queue_id = self.queue_id(self.delivery_queue(kind))
            if queue_id is not None:
                queue_of_kind[kind] = queue_id
        targets: dict[str, set[tuple[str, str]]] = {}  # improvement -> (target, kind) by the kind's link
        refs = {kind: REFS[self.link_type(kind)] for kind in queue_of_kind}  # both "parent" by default
        for item in self._by_ids(wanted, "_hyperlinks"):
            targets[str(item["id"])] = {(str(h["id"]), kind) for h in item.get("_hyperlinks") or []
                                        for kind, ref in refs.items() if h.get("type") == "ticket" and h.get("ref") == ref}
        candidates = sorted({t for pairs in targets.values() for t, _ in pairs}, key=int)
        records: dict[str, tuple[str, set[str]]] = {}  # record -> (queue id, its MemberOf children)
        for item in self._by_ids(candidates, "Queue,_hyperlinks"):
            kids = {str(h["id"]) for h in item.get("_hyperlinks") or [] if h.get("type") == "ticket" and h.get("ref") == "child"}
            records[str(item["id"])] = (_queue_id(item), kids)
        linked = {imp: {t for t, kind in pairs if t in records and records[t][0] == queue_of_kind[kind]}
                  for imp, pairs in targets.items()}
        everything = sorted({r for ids in linked.values() for r in ids}
                            | {c for ids in linked.values() for r in ids for c in records[r][1]}, key=int)
        done = self._done_outside_register(everything)
        result: dict[str, dict[str, bool]] = {}
        for improvement in wanted:
            ids = linked.get(improvement, set())
            items = {r for r in ids if r in done} | {c for r in ids for c in records[r][1] if c in done}
            items.discard(improvement)
            result[improvement] = {i: done[i] for i in sorted(items, key=int)}
        return result

    def _by_ids(self, ids: list[str], fields: str) -> list[dict[str, Any]]:
        """The tickets ``ids`` with ``fields``, one search per hundred ids (``id =`` clauses need no
        join: link clauses such as ``HasMember = 7`` each add one, and past SQLite's 64 RT
        answers an empty list instead of an error)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), self.page_size):
            where = " OR ".join(f"id = {i}" for i in ids[start : start + self.page_size])
            found.extend(self._pages("tickets", {"query": where, "fields": fields, "orderby": "id"}))
        return found

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
