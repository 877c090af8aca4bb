"""KPIs from Redmine's own issues: issue-filter searches for ``measure``, and status history.

:class:`RedmineKpiSearch` builds on :class:`~ci_plugin.hosts.redmine.metadata.RedmineMetadata`;
:class:`~ci_plugin.hosts.redmine.adapter.RedmineAdapter` inherits it. A KPI query is the query
string of Redmine's issue list (``project_id=helpdesk&tracker_id=1&subject=~password``); the
window is added as ``created_on`` or ``closed_on`` ``><`` a range of whole days (widened by a
day on each side, since Redmine reads dates in the user's time zone; the caller keeps exactly
what lies in the window), with ``status_id=*`` unless the query names a status. One
``GET /issues.json`` per hundred issues; the answer carries ``created_on`` and ``closed_on``, so
resolution times need no further request. Redmine ignores filter names it does not know, and
answers a bad filter value with HTTP 422 and its words (HostRefused). The query may not set
what the window and the pager set (``created_on``, ``closed_on``, ``limit``, ``offset``).
``candidate_occurrences`` is one ``issues.json`` search over the candidate trackers
(``tracker_id=1|2``, ``created_on>=`` the day before ``since``, every status), a request per
hundred issues; the answer carries the category and the custom fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from ci_plugin.domain.recurrence import Occurrence
from ci_plugin.errors import HostBadAnswer, HostRefused, UsageError
from ci_plugin.hosts.redmine.metadata import RedmineMetadata
from ci_plugin.http import Pager

_COLUMNS = {"created": "created_on", "resolved": "closed_on"}
_RESERVED = ("created_on", "closed_on", "limit", "offset")


def query_refused(exc: HostRefused) -> HostRefused:
    """Redmine's refusal of a KPI query (its ``errors``) as one line, in its words."""
    words = " ".join(" ".join(exc.messages).split()) or " ".join(str(exc).split())
    return HostRefused(f"Redmine refused the KPI query: {words}", status=exc.status, messages=[words])


def redmine_time(value: object) -> datetime | None:
    """A Redmine date-time (``2026-12-02T19:22:17Z``) as an aware datetime; None when unset."""
    text = str(value or "")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        raise HostBadAnswer(f"Redmine answered a date-time that is not ISO 8601: {text[:40]!r}") from None


def query_params(query: str) -> list[tuple[str, str]]:
    """The pairs of an issue-filter query string; UsageError when it is not one."""
    text = query.strip().lstrip("?")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise UsageError(f"Redmine: the KPI query {query[:80]!r} is not an issue-filter query string "
                         "(name=value&name=value, e.g. tracker_id=1&subject=~password)") from None
    reserved = sorted({name for name, _ in pairs if name in _RESERVED})
    if reserved:
        raise UsageError(f"Redmine: the KPI query may not set {', '.join(reserved)}: the window and the pager set them")
    return pairs


class RedmineKpiSearch(RedmineMetadata):
    """Issue-filter searches over a window, and status history, for query-defined KPIs."""

    def search_tickets(self, query: str, start: datetime, end: datetime,
                       basis: str) -> Iterator[tuple[datetime, datetime | None]]:
        """``/issues.json?<query>&<created_on|closed_on>=><day before|day after>&status_id=*``, every page."""
        pairs = query_params(query)
        low = (start - timedelta(days=1)).strftime("%Y-%m-%d")
        high = (end + timedelta(days=1)).strftime("%Y-%m-%d")
        pairs.append((_COLUMNS[basis], f"><{low}|{high}"))
        if not any(name == "status_id" for name, _ in pairs):
            pairs.append(("status_id", "*"))
        pairs.append(("sort", "id"))
        try:
            for issue in self._issue_pages(pairs):
                created = redmine_time(issue.get("created_on"))
                if created is not None:
                    yield created, redmine_time(issue.get("closed_on"))
        except HostRefused as exc:
            raise query_refused(exc) from None

    def candidate_occurrences(self, since: datetime, group_by: str | None) -> Iterator[Occurrence]:
        """``/issues.json?tracker_id=<candidate trackers>&created_on=>=<day before>&status_id=*``,
        every page; key the issue category's name or the value of custom field ``group_by``."""
        trackers = "|".join(str(self._tracker_id(name)) for name in self.candidate_trackers)
        low = (since - timedelta(days=1)).strftime("%Y-%m-%d")
        pairs = [("tracker_id", trackers), ("created_on", f">={low}"), ("status_id", "*"), ("sort", "id")]
        for issue in self._issue_pages(pairs):
            if group_by is None:
                key = str((issue.get("category") or {}).get("name") or "")
            else:
                raw = next((cf.get("value") for cf in issue.get("custom_fields") or []
                            if isinstance(cf, dict) and cf.get("name") == group_by), "")
                key = ",".join(str(v) for v in raw) if isinstance(raw, list) else str(raw or "")
            created = redmine_time(issue.get("created_on"))
            yield Occurrence(str(issue["id"]), key, str(issue.get("subject") or ""),
                             created.isoformat() if created else "")

    def _issue_pages(self, pairs: list[tuple[str, str]]) -> Iterator[dict]:
        """Like ``_issues``, for a query given as pairs (a name may repeat, e.g. ``f[]``)."""
        offset, page, pager = 0, 1, Pager(self.page_size, what="Redmine issues.json")
        while True:
            params = [*pairs, ("limit", str(self.page_size)), ("offset", str(offset))]
            answer = self.session.request_json("GET", "issues.json", expect=dict, params=params)
            items = answer.get("issues") or []
            more = pager.more(page, items, total=answer.get("total_count"))
            yield from (item for item in items if isinstance(item, dict))
            offset += len(items)
            if not more:
                return
            page += 1

    def entered_status_at(self, ticket_id: str, status: str) -> datetime | None:
        """The time of the issue's last journal that set its status to ``status`` (one request)."""
        wanted = self._status(status)
        if wanted is None:
            return None
        found = None
        for _, new, created_on in self._status_changes(ticket_id):
            if new == str(wanted.get("id")):
                found = redmine_time(created_on) or found
        return found

    def status_history(self, ticket_id: str) -> list[tuple[str, datetime]] | None:
        """Every journal that changed the issue's status, oldest first (one request)."""
        names = {str(s.get("id")): str(s.get("name", "")) for s in self.statuses()}
        changes = [(names.get(new, new), when) for _, new, created_on in self._status_changes(ticket_id)
                   if (when := redmine_time(created_on)) is not None]
        return sorted(changes, key=lambda change: change[1])
