"""KPIs from RT's own tickets: TicketSQL searches for ``measure``, and when a status was entered.

:class:`RTKpiSearch` builds on :class:`~ci_plugin.hosts.rt.metadata.RTMetadata`;
:class:`~ci_plugin.hosts.rt.adapter.RTAdapter` inherits it. The user's TicketSQL is wrapped in
parentheses and ANDed with the window on ``Created`` or ``Resolved``, widened to whole days on
each side (TicketSQL dates are read in the RT user's time zone); the caller keeps exactly what
lies in the window. One ``GET /tickets`` per hundred tickets, fields ``Created,Resolved`` only:
RT carries the resolution time in the search answer, so no further request is needed. RT
answers a malformed query with HTTP 400 and its parser's words: that becomes HostRefused.
RT shows an unset ``Resolved`` as ``1970-01-01T00:00:00Z``. ``candidate_occurrences`` is one
TicketSQL search over the candidate queues (``Created`` from the day before ``since``), fields
``Subject,Queue,Created,CustomFields``, a request per hundred tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from ci_plugin.domain.recurrence import Occurrence
from ci_plugin.errors import HostBadAnswer, HostRefused, UsageError
from ci_plugin.hosts.rt.metadata import RTMetadata

_COLUMNS = {"created": "Created", "resolved": "Resolved"}


def query_refused(host: str, exc: HostRefused) -> HostRefused:
    """The host's refusal of a KPI query as one line, in the host's words."""
    words = " ".join(" ".join(exc.messages).split()) or " ".join(str(exc).split())
    return HostRefused(f"{host} refused the KPI query: {words}", status=exc.status, messages=[words])


def rt_time(value: object) -> datetime | None:
    """An RT REST2 date-time (``2026-12-02T19:22:17Z``) as an aware datetime; None when unset."""
    text = str(value or "")
    if not text or text.startswith("1970-01-01"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        raise HostBadAnswer(f"RT answered a date-time that is not ISO 8601: {text[:40]!r}") from None


class RTKpiSearch(RTMetadata):
    """TicketSQL searches over a window, and status history, for query-defined KPIs."""

    def search_tickets(self, query: str, start: datetime, end: datetime,
                       basis: str) -> Iterator[tuple[datetime, datetime | None]]:
        """``(query) AND <Created|Resolved> >= 'day before' AND ... < 'day after'``, every page."""
        if not query.strip():
            raise UsageError("RT: the KPI query is empty; give TicketSQL, e.g. \"Queue = 'General'\"")
        column = _COLUMNS[basis]
        low = (start - timedelta(days=1)).strftime("%Y-%m-%d")
        high = (end + timedelta(days=2)).strftime("%Y-%m-%d")
        sql = f"({query}) AND {column} >= '{low}' AND {column} < '{high}'"
        try:
            for item in self._pages("tickets", {"query": sql, "fields": "Created,Resolved", "orderby": "id"}):
                created = rt_time(item.get("Created"))
                if created is not None:
                    yield created, rt_time(item.get("Resolved"))
        except HostRefused as exc:
            raise query_refused("RT", exc) from None

    def candidate_occurrences(self, since: datetime, group_by: str | None) -> Iterator[Occurrence]:
        """``(Queue = 'A' OR ...) AND Created >= 'day before since'``, every page; key the queue
        name or the value of custom field ``group_by``."""
        queues = " OR ".join("Queue = '" + q.replace("\\", "\\\\").replace("'", "\\'") + "'"
                             for q in self.candidate_queues)
        low = (since - timedelta(days=1)).strftime("%Y-%m-%d")
        sql = f"({queues}) AND Created >= '{low}'"
        names: dict[str, str] = {}
        for item in self._pages("tickets", {"query": sql, "fields": "Subject,Queue,Created,CustomFields", "orderby": "id"}):
            if group_by is None:
                queue = item.get("Queue") or {}
                queue_id = str(queue.get("id", "")) if isinstance(queue, dict) else str(queue)
                if queue_id not in names:
                    found = self.queue(queue_id) if queue_id else None
                    names[queue_id] = str(found.get("Name") or queue_id) if isinstance(found, dict) else queue_id
                key = names[queue_id]
            else:
                values = [v for cf in item.get("CustomFields") or [] if cf.get("name") == group_by
                          for v in cf.get("values") or [] if v is not None]
                key = ",".join(str(v) for v in values)
            created = rt_time(item.get("Created"))
            yield Occurrence(str(item["id"]), key, str(item.get("Subject") or ""),
                             created.isoformat() if created else "")

    def entered_status_at(self, ticket_id: str, status: str) -> datetime | None:
        """The time of the ticket's last ``Status`` transaction to ``status`` (its history, all pages)."""
        found = None
        for item in self._pages(f"ticket/{ticket_id}/history", {"fields": "Type,Field,NewValue,Created"}):
            if item.get("Type") == "Status" and str(item.get("NewValue", "")).lower() == status.lower():
                found = rt_time(item.get("Created")) or found
        return found

    def status_history(self, ticket_id: str) -> list[tuple[str, datetime]] | None:
        """Every ``Status`` transaction of the ticket, oldest first (its history, all pages)."""
        changes = []
        for item in self._pages(f"ticket/{ticket_id}/history", {"fields": "Type,Field,NewValue,Created"}):
            when = rt_time(item.get("Created"))
            if item.get("Type") == "Status" and when is not None:
                changes.append((str(item.get("NewValue", "")), when))
        return sorted(changes, key=lambda change: change[1])

    def container_name(self, ticket) -> str:  # type: ignore[no-untyped-def]
        """The name of the ticket's queue (``container`` holds its id; from the cached queue ids)."""
        self.known_queue(ticket.container)
        names = {queue_id: name for name, queue_id in self.queue_ids().items()}
        return names.get(ticket.container, ticket.container)
