"""What Jira's history and search tell: status changes (the changelog), evidence of source
issues, and KPIs computed from a JQL query.

:class:`JiraHistory` builds on :class:`~ci_plugin.hosts.jira.records.JiraRecords`. The changelog
(``GET /issue/ID/changelog``, paged by ``startAt``/``total``) gives every status change as a
``status`` item with ``toString``; a reopen is a change from a status of the ``done`` category
to one that is not (categories from ``GET /status``). Evidence is one ``/search/jql`` page per
hundred ids (``id IN (...)``), fields ``created``, ``resolutiondate``, ``reporter``, ``status``:
``resolutiondate`` counts only while the status is of the done category (a workflow that does
not clear the resolution keeps it on reopening). A KPI query is the user's JQL in parentheses,
ANDed with the window on ``created`` or ``resolved`` widened to whole days (JQL dates are read in
the user's time zone, to the minute); the caller keeps exactly the window. Jira refuses a
malformed query with a 400 and its parser's words: that becomes HostRefused. Recurring tickets
for ``propose`` are the issues of ``[jira] candidate_types`` created since the day before, one
search request per hundred; their category is the issue's first component (Jira's own grouping
of a project's issues), or the value of the custom field ``group_by``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from ci_plugin.domain.evidence import TicketFacts, reopen_count
from ci_plugin.domain.recurrence import Occurrence
from ci_plugin.errors import HostBadAnswer, HostRefused, NotFound, UsageError
from ci_plugin.hosts.jira.metadata import jql_string
from ci_plugin.hosts.jira.records import JiraRecords, jira_time, plain
from ci_plugin.http import Pager

_COLUMNS = {"created": "created", "resolved": "resolved"}


def parse_jira_time(value: Any) -> datetime | None:
    """A Jira date-time (``2026-12-04T18:05:01.123+0000``) as an aware UTC datetime; None when unset."""
    text = jira_time(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        raise HostBadAnswer(f"Jira answered a date-time that is not ISO 8601: {text[:40]!r}") from None


class JiraHistory(JiraRecords):
    """Changelog reads, batched issue facts and JQL windows."""

    def _changelog(self, ticket_id: str) -> list[dict[str, Any]]:
        """Every changelog entry of the issue, oldest first (all pages)."""
        entries: list[dict[str, Any]] = []
        pager, start, page = Pager(self.page_size, what="Jira changelog"), 0, 0
        while True:
            page += 1
            try:
                answer = self.session.request("GET", f"issue/{ticket_id}/changelog",
                                              params={"startAt": start, "maxResults": self.page_size}).json()
            except NotFound:
                raise NotFound(f"Jira: issue {ticket_id} does not exist or you do not have permission to see it") from None
            values = answer.get("values")
            entries += [v for v in values or [] if isinstance(v, dict)]
            start += len(values or [])
            if not pager.more(page, values, total=answer.get("total")) or answer.get("isLast") is True:
                return sorted(entries, key=lambda e: parse_jira_time(e.get("created")) or datetime.min.replace(tzinfo=timezone.utc))

    def _status_changes(self, ticket_id: str) -> list[tuple[str, str, datetime]]:
        """``(old status, new status, when)`` of every status change, oldest first."""
        changes = []
        for entry in self._changelog(ticket_id):
            when = parse_jira_time(entry.get("created"))
            for item in entry.get("items") or []:
                if isinstance(item, dict) and item.get("field") == "status" and when is not None:
                    changes.append((str(item.get("fromString") or ""), str(item.get("toString") or ""), when))
        return changes

    def status_history(self, ticket_id: str) -> list[tuple[str, datetime]] | None:
        """Every status change of the issue, oldest first, from its changelog."""
        return [(new, when) for _, new, when in self._status_changes(ticket_id)]

    def entered_status_at(self, ticket_id: str, status: str) -> datetime | None:
        """When the issue last moved into ``status`` (its changelog), None when it never did."""
        found = None
        for _, new, when in self._status_changes(ticket_id):
            if new.lower() == status.lower():
                found = when
        return found

    def _done_statuses(self) -> set[str]:
        """Names (lowercase) of every status of the done category (``GET /status``, cached)."""
        if self._done is None:
            answer = self.session.request_json("GET", "status", expect=list)
            self._done = {str(s.get("name", "")).lower() for s in answer
                          if isinstance(s, dict) and (s.get("statusCategory") or {}).get("key") == "done"}
        return self._done

    def ticket_facts(self, ticket_ids: list[str], *, reopens: bool = True) -> list[TicketFacts]:
        """One search per hundred ids, plus one changelog read per issue with ``reopens``."""
        wanted = [str(int(i)) for i in ticket_ids]
        done = self._done_statuses()
        facts: list[TicketFacts] = []
        for start in range(0, len(wanted), self.page_size):
            jql = f"id IN ({', '.join(wanted[start:start + self.page_size])}) ORDER BY key ASC"
            for item in self._search(jql, ["created", "resolutiondate", "reporter", "status"]):
                fields = item.get("fields") or {}
                created = parse_jira_time(fields.get("created"))
                if created is None:
                    continue
                ident = str(item["id"])
                closed = str((fields.get("status") or {}).get("name", "")).lower() in done
                reporter = fields.get("reporter") or {}
                facts.append(TicketFacts(
                    id=ident, created=created,
                    resolved=parse_jira_time(fields.get("resolutiondate")) if closed else None,
                    requestor=str(reporter.get("emailAddress") or reporter.get("displayName") or reporter.get("accountId") or ""),
                    reopened=reopen_count([(old.lower() not in done, new.lower() not in done)
                                           for old, new, _ in self._status_changes(ident)]) if reopens else None))
        return facts

    def search_tickets(self, query: str, start: datetime, end: datetime,
                       basis: str) -> Iterator[tuple[datetime, datetime | None]]:
        """``(query) AND <created|resolved> >= "day before" AND ... < "day after"``, every page."""
        if not query.strip():
            raise UsageError("Jira: the KPI query is empty; give JQL, e.g. 'project = ITSM AND issuetype = Incident'")
        column = _COLUMNS[basis]
        low = (start - timedelta(days=1)).strftime("%Y-%m-%d")
        high = (end + timedelta(days=2)).strftime("%Y-%m-%d")
        jql = f'({query}) AND {column} >= "{low}" AND {column} < "{high}" ORDER BY key ASC'
        try:
            for item in self._search(jql, ["created", "resolutiondate"]):
                fields = item.get("fields") or {}
                created = parse_jira_time(fields.get("created"))
                if created is not None:
                    yield created, parse_jira_time(fields.get("resolutiondate"))
        except HostRefused as exc:
            words = " ".join(" ".join(exc.messages).split()) or " ".join(str(exc).split())
            raise HostRefused(f"Jira refused the KPI query: {words}", status=exc.status, messages=[words]) from None

    def candidate_occurrences(self, since: datetime, group_by: str | None) -> Iterator[Occurrence]:
        """``issuetype IN (<candidate types>) AND created >= "<day before>"``, every page; key the
        first component's name or the value of custom field ``group_by``."""
        types = ", ".join(jql_string(t) for t in self.settings["candidate_types"])
        low = (since - timedelta(days=1)).strftime("%Y-%m-%d")
        field = self.field_named(group_by) if group_by else None
        if group_by and field is None:
            raise UsageError(f"Jira has no custom field {group_by!r} ([propose] group_by)")
        wanted = ["summary", "created", "components", *([field["id"]] if field else [])]
        for item in self._search(f'issuetype IN ({types}) AND created >= "{low}" ORDER BY key ASC', wanted):
            fields = item.get("fields") or {}
            if field is not None:
                key = plain("category", fields.get(field["id"])) if field.get("schema", {}).get("type") == "option" \
                    else plain("model", fields.get(field["id"]))
            else:
                components = [c for c in fields.get("components") or [] if isinstance(c, dict)]
                key = str(components[0].get("name") or "") if components else ""
            created = parse_jira_time(fields.get("created"))
            yield Occurrence(str(item["id"]), key, str(fields.get("summary") or ""), created.isoformat() if created else "")
