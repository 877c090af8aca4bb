"""Delivery records for ``plan`` and progress: ``pm_project`` and ``change_request`` rows.

:meth:`create_delivery` makes the record in one POST (``short_description``, ``description``
ending with the marker line, ``assigned_to``, ``due_date``) and links it with one
``task_rel_task`` POST: two requests, so it first looks for a record of the table whose
description ends with the marker (made by an earlier call whose answer was lost) and links that
one instead. :meth:`delivery_items` reads, per hundred improvements, their delivery links, the
delivery records and the ``task`` rows whose ``parent`` is one of them (project and change
tasks); an item is done once ServiceNow made it inactive (``active=false``: closed, cancelled).
"""

from __future__ import annotations

from ci_plugin.domain import links as link_kinds
from ci_plugin.hosts.servicenow.metadata import plain, ticket_id
from ci_plugin.hosts.servicenow.query import term


class ServiceNowDelivery:
    """``create_delivery`` and ``delivery_items`` (needs links, metadata reads, ``settings``)."""

    def _delivery_table(self, kind: str) -> str:
        return self.settings["project_table" if kind == "projects" else "change_table"]  # type: ignore[attr-defined]

    def create_delivery(self, kind: str, improvement_id: str, *, title: str, description: str,
                        owner: str = "", target_date: str = "") -> str:
        """A row of the project or change table, linked to the improvement."""
        table = self._delivery_table(kind)
        marker = link_kinds.delivery_marker(kind, improvement_id)
        for row in self._pages(table, term("description", "LIKE", marker), "sys_id,description"):  # type: ignore[attr-defined]
            if plain(row.get("description")).rstrip().splitlines()[-1:] == [marker]:
                found = self.remember(plain(row.get("sys_id")), table)  # type: ignore[attr-defined]
                self.add_links(improvement_id, kind, [found])  # type: ignore[attr-defined]
                return found
        body = {"short_description": title, "description": description}
        if owner:
            body["assigned_to"] = owner
        if target_date:
            body["due_date"] = f"{target_date} 00:00:00"
        answer = self.session.request("POST", f"table/{table}", json=body,  # type: ignore[attr-defined]
                                      params={"sysparm_fields": "sys_id"}).json()
        made = self.remember(plain(answer["result"]["sys_id"]), table)  # type: ignore[attr-defined]
        self.add_links(improvement_id, kind, [made])  # type: ignore[attr-defined]
        return made

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]]:
        """Improvement id -> {delivery record or child id: done}."""
        names = self.link_type_names()  # type: ignore[attr-defined]
        wanted = {self._rel_type_id(names["project"]), self._rel_type_id(names["change"])}  # type: ignore[attr-defined]
        delivery_tables = {self._delivery_table("projects"), self._delivery_table("changes")}
        parents = {self.locate(i)[1]: i for i in improvement_ids}  # type: ignore[attr-defined]
        records: dict[str, set[str]] = {i: set() for i in improvement_ids}
        ids = list(parents)
        for start in range(0, len(ids), 100):
            query = term("parent", "IN", ",".join(ids[start:start + 100]))
            for row in self._pages("task_rel_task", query, "parent,child,type",  # type: ignore[attr-defined]
                                   columns=("parent", "child", "type")):
                if plain(row.get("type")) in wanted:
                    records[parents[plain(row.get("parent"))]].add(plain(row.get("child")))
        every = sorted({r for found in records.values() for r in found})
        state: dict[str, bool] = {}
        children: dict[str, set[str]] = {}
        for start in range(0, len(every), 100):
            chunk = ",".join(every[start:start + 100])
            for row in self._pages("task", term("sys_id", "IN", chunk), "sys_id,active,sys_class_name"):  # type: ignore[attr-defined]
                if plain(row.get("sys_class_name")) in delivery_tables:
                    state[plain(row.get("sys_id"))] = plain(row.get("active")) == "false"
            for row in self._pages("task", term("parent", "IN", chunk), "sys_id,parent,active,sys_class_name"):  # type: ignore[attr-defined]
                if plain(row.get("sys_class_name")) != self.register_table:  # type: ignore[attr-defined]
                    state[plain(row.get("sys_id"))] = plain(row.get("active")) == "false"
                    children.setdefault(plain(row.get("parent")), set()).add(plain(row.get("sys_id")))
        result: dict[str, dict[str, bool]] = {}
        for improvement, found in records.items():
            items = {r for r in found if r in state}
            items |= {c for r in items for c in children.get(r, ())}
            result[improvement] = {ticket_id(i): state[i] for i in sorted(items)}
        return result
