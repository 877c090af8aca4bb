"""Delivery records on Jira: ``plan`` creates project and change issues, ``progress`` reads them.

:class:`JiraDelivery` builds on :class:`~ci_plugin.hosts.jira.records.JiraRecords`. A project
record is an issue of ``[jira] project_type`` (``Epic``), a change record one of ``change_type``
(``Change``), both in the register's project; the improvement is linked to it by ``[jira.links]
project`` / ``change`` (the improvement the inward end). The record is created with that link
in the same ``POST /issue`` (``update.issuelinks``), with the improvement's assignee and its
target date as ``duedate``: an answer lost in transit leaves a record the improvement's links
already show, nothing to search for.

Progress reads, per hundred ids: the improvements (``id IN (...)``, their ``issuelinks`` name the
records and their issue types), the records (their status), and the records' children
(``parent IN (...)``: the issues of an epic, the sub-tasks of a change). An item is done when its
status is of the ``done`` category. Improvements of the register are never counted.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import links as link_kinds
from ci_plugin.errors import HostRefused, NotProvisionedError
from ci_plugin.hosts.jira.adf import to_adf
from ci_plugin.hosts.jira.metadata import MISSING
from ci_plugin.hosts.jira.records import JiraRecords

_TYPE_SETTING = {"projects": "project_type", "changes": "change_type"}


def _done(item: dict[str, Any]) -> bool:
    status = (item.get("fields") or {}).get("status") or {}
    return (status.get("statusCategory") or {}).get("key") == "done"


class JiraDelivery(JiraRecords):
    """Project and change issues: created for ``plan``, read for ``progress`` (the owner's
    account through the adapter's ``find_user``)."""

    def delivery_type(self, kind: str) -> str:
        """The issue type of delivery records of ``kind`` (``projects`` or ``changes``)."""
        return self.settings[_TYPE_SETTING[kind]]

    def create_delivery(self, kind: str, improvement_id: str, *, title: str, description: str,
                        owner: str = "", target_date: str = "") -> str:
        """One ``POST /issue``: the record, its assignee and due date, and its link to the improvement."""
        issue_type = self.issue_type(self.delivery_type(kind))
        if issue_type is None:
            raise NotProvisionedError([f"issue type {self.delivery_type(kind)}: {MISSING}"])
        fields: dict[str, Any] = {"project": {"key": self.project_key}, "issuetype": {"id": str(issue_type["id"])},
                                  "summary": title, "description": to_adf(description)}
        if target_date:
            fields["duedate"] = target_date
        account = self.find_user(owner) if owner else None
        if account:
            fields["assignee"] = {"accountId": account}
        link = {"add": {"type": {"name": self.link_type(kind)}, "inwardIssue": {"id": str(improvement_id)}}}
        try:
            answer = self.session.request("POST", "issue", json={"fields": fields, "update": {"issuelinks": [link]}}).json()
        except HostRefused as exc:
            raise self._refused(exc, f"the {link_kinds.singular(kind)} record of improvement {improvement_id}") from None
        return str(answer["id"])

    def _in_batches(self, clause: str, ids: list[str], fields: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), self.page_size):
            jql = f"{clause} IN ({', '.join(ids[start:start + self.page_size])}) ORDER BY key ASC"
            found += list(self._search(jql, fields))
        return found

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]]:
        """Per improvement, its project and change records and their children -> done."""
        wanted = [str(int(i)) for i in improvement_ids]
        records: dict[str, set[str]] = {}
        for item in self._in_batches("id", wanted, ["issuetype", "project", "issuelinks", *self._source_field()]):
            ticket = self._to_ticket(item, links=True)
            records[ticket.id] = {r for kind in link_kinds.DELIVERY for r in ticket.links.get(kind, [])}
        every = sorted({r for ids in records.values() for r in ids}, key=int)
        done = {str(i["id"]): _done(i) for i in self._in_batches("id", every, ["status"])}
        children: dict[str, set[str]] = {}
        for item in self._in_batches("parent", every, ["status", "parent", "issuetype", "project"]):
            fields = item.get("fields") or {}
            if self._role({"key": str(item.get("key", "")), "fields": fields}) == link_kinds.ROLE_REGISTER:
                continue
            children.setdefault(str((fields.get("parent") or {}).get("id")), set()).add(str(item["id"]))
            done[str(item["id"])] = _done(item)
        result: dict[str, dict[str, bool]] = {}
        for improvement in wanted:
            items = set(records.get(improvement, set()))
            items |= {c for r in records.get(improvement, set()) for c in children.get(r, set())}
            items.discard(improvement)
            result[improvement] = {i: done.get(i, False) for i in sorted(items, key=int)}
        return result

    def _source_field(self) -> list[str]:
        found = self.field_named(self.cf_names["source_tickets"])
        return [found["id"]] if found else []
