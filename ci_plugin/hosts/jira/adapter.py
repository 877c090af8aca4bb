"""Jira Service Management Cloud through its REST API v3, as a ci-plugin host: :class:`JiraAdapter`.

The register is the issues of one issue type (``[jira] issue_type``, "Improvement") in one
project (``[jira] project``); problem, project and change records are issues of the types
``problem_type``, ``project_type`` and ``change_type`` in any project. Register fields are
custom fields found by name (``GET /field``); comments are internal notes; links are issue links.

Jira quirks handled here and nowhere else:

* Ids: the adapter names issues by their numeric id (``10042``), which every endpoint takes in
  place of the key (``CI-7``); ids only grow.
* Descriptions, comments and multi-line text fields are ADF documents, both ways (:mod:`.adf`).
* A status is never written: ``GET /issue/ID/transitions`` lists the transitions valid from the
  current status, the one whose ``to`` is the wanted status is posted by its id. None leading
  there is a :class:`HostRefused` naming both statuses (Jira would answer a bare 400).
* Internal notes: a comment with the ``sd.public.comment`` property ``{"internal": true}`` is
  agent-only in a JSM project (``jsdPublic`` false), on any issue (the service desk API's
  ``public: false`` works only on requests of a service project).
* ``/search/jql`` has no total: pages are followed by ``nextPageToken`` until Jira leaves it
  out (the :class:`~ci_plugin.http.Pager` bounds a host that never does); ``fields`` must be
  asked for (the default is the id only), and an unbounded query is refused, so every search
  names a project or a field.
* Text search (``~``) matches *words*, not substrings: several source ids live in one text
  field as ``,11,12,`` and ``cf[N] ~ "11"`` finds the candidates, then the ids are compared
  exactly. The search index may lag a write by a moment (Jira Cloud is eventually consistent).
* A duplicate ``POST /issueLink`` "succeeds": links are compared first so nothing is sent twice.
* 429 (with or without ``Retry-After``, with ``RateLimit-Reason``) and 503 with ``Retry-After``
  are waited out by the one :class:`~ci_plugin.http.HostSession`.

Composed of one module per job: :mod:`.metadata` (settings, session, cached metadata, search),
:mod:`.records` (issues, values, links), :mod:`.provisioning` (``setup``, ``doctor``),
:mod:`.history` (changelog, evidence, KPI search), :mod:`.delivery` (project and change records
for ``plan`` and progress), this module (creating, updating, workflow,
comments, searches, flags, owners) and :data:`PAGE_SIZE`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.fields import decode_ids
from ci_plugin.domain.model import Ticket
from ci_plugin.errors import HostRefused, NotFound
from ci_plugin.hosts.jira.adf import to_adf, to_text
from ci_plugin.hosts.jira.delivery import JiraDelivery
from ci_plugin.hosts.jira.history import JiraHistory
from ci_plugin.hosts.jira.metadata import jql_string
from ci_plugin.hosts.jira.provisioning import JiraProvisioning
from ci_plugin.http import HostSession, Pager

__all__ = ["PAGE_SIZE", "JiraAdapter"]

PAGE_SIZE = 100  # /search/jql returns at most 100 issues a page when fields are asked for
#: The entity property that makes a comment an internal note in Jira Service Management.
INTERNAL = {"key": "sd.public.comment", "value": {"internal": True}}


class JiraAdapter(JiraHistory, JiraDelivery, JiraProvisioning):
    """Jira Cloud (REST v3): improvements are issues of one type in one project, with custom fields."""

    name = "jira"
    label = "Jira"

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)

    @property
    def page_size(self) -> int:
        """This module's :data:`PAGE_SIZE`, read at each request (so a test can lower it)."""
        return PAGE_SIZE

    def _register_jql(self) -> str:
        return f"project = {jql_string(self.project_key)} AND issuetype = {jql_string(self.type_name)}"

    # --- records ------------------------------------------------------------------------------

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """Read an issue; ``links=True`` sorts its issue links into kinds."""
        return self._to_ticket(self._read(ticket_id), links=links)

    def find_project(self, ref: str) -> Ticket:
        """A project record is an issue (of ``project_type``), named by its id."""
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def create_improvement(self, title: str, description: str, fields: dict[str, Any],
                           links: dict[str, list[str]]) -> str:
        """One ``POST /issue`` with the values and every link (``update.issuelinks``)."""
        body: dict[str, Any] = {"fields": {"project": {"key": self.project_key},
                                           "issuetype": {"id": self.register_type_id()}, "summary": title,
                                           "description": to_adf(description or title),
                                           **{k: v for k, v in self._encode(fields).items() if v is not None}}}
        made = self._new_issue_links({k: v for k, v in links.items() if v})
        if made:
            body["update"] = {"issuelinks": made}
        try:
            answer = self.session.request("POST", "issue", json=body).json()
        except HostRefused as exc:
            raise self._refused(exc, "the new improvement") from None
        self._project_of[str(answer["id"])] = self.project_key
        return str(answer["id"])

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Write register fields in one ``PUT``."""
        values = self._encode(fields)
        if values:
            self._put(ticket_id, values)

    def find_user(self, login: str) -> str | None:
        """The account id of the active user whose email (or, where the site hides emails, whose
        display name) is exactly ``login``."""
        found = self.session.request_json("GET", "user/search", params={"query": login, "maxResults": 50}, expect=list)
        for user in found:
            if isinstance(user, dict) and user.get("active", True) and login.lower() in (
                    str(user.get("emailAddress", "")).lower(), str(user.get("displayName", "")).lower()):
                return str(user["accountId"])
        return None

    def update_record(self, ticket_id: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """Title, assignee and register fields in one ``PUT`` (Jira takes all or nothing)."""
        body = self._encode(fields) if fields else {}
        if title is not None:
            body["summary"] = title
        if owner is not None:
            body["assignee"] = {"accountId": owner}
        if body:
            self._put(ticket_id, body)

    # --- workflow -----------------------------------------------------------------------------

    def transitions(self, ticket_id: str) -> list[dict[str, Any]]:
        """The transitions valid from the issue's current status."""
        try:
            answer = self.session.request("GET", f"issue/{ticket_id}/transitions").json()
        except NotFound:
            raise NotFound(f"Jira: issue {ticket_id} does not exist or you do not have permission to see it") from None
        return [t for t in answer.get("transitions") or [] if isinstance(t, dict)]

    def set_status(self, ticket_id: str, status: str) -> None:
        """Post the transition leading to ``status``; none from here is a refusal naming both statuses."""
        found = find_transition(self.transitions(ticket_id), status)
        if found is None:
            current = self.get_ticket(ticket_id).status
            if current.lower() == status.lower():
                return
            raise HostRefused(f"Jira has no transition from {current!r} to {status!r} on issue {ticket_id} "
                              "(the workflow of the register's issue type does not allow it)", messages=[])
        try:
            self.session.request("POST", f"issue/{ticket_id}/transitions", json={"transition": {"id": str(found["id"])}})
        except HostRefused as exc:
            raise self._refused(exc, f"the transition of issue {ticket_id} to {status!r}") from None

    # --- comments -----------------------------------------------------------------------------

    def comment(self, ticket_id: str, text: str) -> None:
        """An internal note (agents only), its text as ADF."""
        try:
            self.session.request("POST", f"issue/{ticket_id}/comment", json={"body": to_adf(text), "properties": [INTERNAL]})
        except NotFound:
            raise NotFound(f"Jira: issue {ticket_id} does not exist or you do not have permission to see it") from None

    def comments(self, ticket_id: str) -> list[str]:
        """The description, then every comment, oldest first, as plain text (all pages)."""
        texts = [self.get_ticket(ticket_id).description]
        pager, start, page = Pager(self.page_size, what="Jira comments"), 0, 0
        while True:
            page += 1
            answer = self.session.request("GET", f"issue/{ticket_id}/comment",
                                          params={"startAt": start, "maxResults": self.page_size, "orderBy": "created"}).json()
            items = answer.get("comments")
            texts += [to_text(c.get("body")) for c in items or [] if isinstance(c, dict)]
            start += len(items or [])
            if not pager.more(page, items, total=answer.get("total")):
                return [t for t in texts if t]

    # --- searches -----------------------------------------------------------------------------

    def improvements_from_source(self, source_id: str) -> list[str]:
        """Improvements whose source field holds the id (found by word, then compared exactly)."""
        source_id = str(source_id).strip()
        field = self.field_of("source_tickets")
        jql = f"{self._register_jql()} AND {self.clause('source_tickets')} ~ {jql_string(source_id)} ORDER BY key ASC"
        return [str(item["id"]) for item in self._search(jql, ["issuetype", "project", field["id"]])
                if source_id in decode_ids((item.get("fields") or {}).get(field["id"]) or "")]

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        """Every improvement (all pages), each with the improvements it depends on."""
        jql = self._register_jql()
        if statuses:
            jql += f" AND status IN ({', '.join(jql_string(s) for s in statuses)})"
        for item in self._search(jql + " ORDER BY key ASC"):
            yield self._to_ticket(item)

    def flagged_tickets(self) -> Iterator[Ticket]:
        """Every issue whose candidate field holds the flag value."""
        jql = f"{self.clause('candidate')} = {jql_string(self.candidate['value'])} ORDER BY key ASC"
        for item in self._search(jql):
            yield self._to_ticket(item)

    def clear_flag(self, ticket_id: str) -> None:
        """Set the candidate field to the cleared value (or empty it)."""
        self.update_fields(ticket_id, {"candidate": self.candidate["cleared"]})


def find_transition(transitions: list[dict[str, Any]], status: str) -> dict[str, Any] | None:
    """The transition whose target status is ``status`` (by name, case-insensitive), or None."""
    wanted = status.lower()
    return next((t for t in transitions if str((t.get("to") or {}).get("name", "")).lower() == wanted), None)
