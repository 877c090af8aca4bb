"""Register links as ``task_rel_task`` records (``parent``, ``child``, ``type``), read and written.

A ``task_rel_type`` is named ``"<what the parent sees>::<what the child sees>"``; the
improvement is always the parent, so the first half is the relation seen from the improvement
(``[servicenow.links]``, defaults in :data:`~ci_plugin.hosts.servicenow.settings.DEFAULT_LINKS`),
the second what the other record sees. A problem record's links also take in the incidents
whose ``problem_id`` reference names it. What the other record *is* comes from its
``sys_class_name`` (problem, project, change table, or the register), and
:func:`ci_plugin.domain.links.classify` sorts the links as on every host. The types are
ordinary records: ``setup`` creates the missing ones through the Table API.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.model import Ticket
from ci_plugin.errors import HostRefused, NotFound, NotProvisionedError

from ci_plugin.hosts.servicenow.metadata import ServiceNowMetadata, plain, ticket_id
from ci_plugin.hosts.servicenow.query import term
from ci_plugin.hosts.servicenow.settings import DEPENDS_ON, rel_halves

_REL_COLUMNS = ("sys_id", "parent", "child", "type")


class ServiceNowLinks(ServiceNowMetadata):
    """``task_rel_task`` links (needs the table names of ``settings``)."""

    def link_type_names(self) -> dict[str, str]:
        """Link kind (singular, plus ``depends_on``) -> ``task_rel_type`` name."""
        return {**self.settings["links"], "depends_on": DEPENDS_ON}

    def rel_types(self) -> dict[str, str]:
        """Every ``task_rel_type``: sys_id -> name (cached)."""
        if getattr(self, "_rel_types", None) is None:
            rows = self._pages("task_rel_type", "nameISNOTEMPTY", "sys_id,name", columns=("name", "sys_id"))
            self._rel_types = {plain(r.get("sys_id")): plain(r.get("name")) for r in rows}
        return self._rel_types

    def _rel_type_id(self, name: str) -> str:
        found = next((i for i, n in self.rel_types().items() if n == name), None)
        if found is None:
            raise NotProvisionedError([f"task_rel_type {name}: missing (run `ci-plugin setup`)"])
        return found

    def _roles(self) -> dict[str, str]:
        s = self.settings
        return {self.register_table: link_kinds.ROLE_REGISTER, s["problem_table"]: link_kinds.ROLE_PROBLEM,
                s["project_table"]: link_kinds.ROLE_PROJECT, s["change_table"]: link_kinds.ROLE_CHANGE}

    def relations_of(self, sys_id: str) -> list[dict[str, Any]]:
        """Every ``task_rel_task`` row with the record as parent or child."""
        query = term("parent", "=", sys_id) + "^OR" + term("child", "=", sys_id)
        return list(self._pages("task_rel_task", query, ",".join(_REL_COLUMNS), columns=_REL_COLUMNS))

    def tables_of(self, sys_ids: list[str]) -> dict[str, str]:
        """sys_id -> ``sys_class_name`` of the records, read in pages from ``task``."""
        found: dict[str, str] = {}
        for start in range(0, len(sys_ids), 100):
            chunk = ",".join(sys_ids[start:start + 100])
            for row in self._pages("task", term("sys_id", "IN", chunk), "sys_id,sys_class_name",
                                   columns=("sys_id", "sys_class_name")):
                found[plain(row.get("sys_id"))] = plain(row.get("sys_class_name"))
                self.remember(plain(row.get("sys_id")), plain(row.get("sys_class_name")))
        return found

    def classify_links(self, ticket: Ticket, sys_id: str) -> dict[str, list[str]]:
        """The ticket's links sorted into register kinds."""
        types = self.rel_types()
        pairs: list[tuple[str, str]] = []
        for row in self.relations_of(sys_id):
            parent, child = plain(row.get("parent")), plain(row.get("child"))
            halves = rel_halves(types.get(plain(row.get("type")), ""))
            other, relation = (child, halves[0]) if parent == sys_id else (parent, halves[1])
            if other:
                pairs.append((other, relation))
        if ticket.container == self.settings["problem_table"] and "problem_id" in self.columns("incident"):
            pairs += [(plain(r.get("sys_id")), "problem_id") for r in  # incidents referring to the problem
                      self._pages("incident", term("problem_id", "=", sys_id), "sys_id")]
        tables = self.tables_of(sorted({o for o, _ in pairs}))
        roles = self._roles()
        role_of = {ticket_id(o): roles.get(tables.get(o, ""), link_kinds.ROLE_OTHER) for o, _ in pairs}
        relations = {kind: rel_halves(name)[0] for kind, name in self.link_type_names().items()}
        return link_kinds.classify([(ticket_id(o), r) for o, r in pairs if o in tables], role_of=role_of,
                                   relations=relations, sources=ticket.fields.get("source_tickets") or [],
                                   outside=not self.in_register(ticket))

    def in_register(self, ticket: Ticket) -> bool:
        """Whether the record is a row of the register table."""
        return ticket.container == self.register_table

    def depends_on(self, sys_id: str) -> list[str]:
        """Ids of the records the improvement depends on (children of the depends-on type)."""
        wanted = self._rel_type_id(DEPENDS_ON)
        return sorted({ticket_id(plain(r.get("child"))) for r in self.relations_of(sys_id)
                       if plain(r.get("type")) == wanted and plain(r.get("parent")) == sys_id}, key=int)

    def add_links(self, ticket_id_: str, kind: str, targets: list[str]) -> None:
        """Link targets as children of the improvement by the kind's type; links already there
        are skipped; a missing target is refused before anything is written."""
        type_name = self.link_type_names()[link_kinds.singular(kind) if kind in link_kinds.WRITABLE else kind]
        type_id = self._rel_type_id(type_name)
        _, parent = self.locate(ticket_id_)
        children = []
        for target in targets:
            try:
                children.append(self.locate(str(target))[1])
            except NotFound:
                raise HostRefused(f"ServiceNow: cannot link {kind} {target} to {ticket_id_}: no record {target}",
                                  messages=[f"no record {target}"]) from None
        present = {(plain(r.get("child")), plain(r.get("type"))) for r in self.relations_of(parent)
                   if plain(r.get("parent")) == parent}
        for child in children:
            if (child, type_id) not in present:
                self.session.request("POST", "table/task_rel_task",
                                     json={"parent": parent, "child": child, "type": type_id})
                present.add((child, type_id))
