"""KPIs from the memory host's tickets: a small filter language, and status history.

:class:`MemoryKpiSearch` is a part of :class:`~ci_plugin.hosts.memory.adapter.MemoryAdapter`.
A query is one or more conditions joined by ``AND`` (case-insensitive)::

    Queue = 'General' AND Subject LIKE 'password' AND Status != 'rejected'

Fields: ``Queue``, ``Subject``, ``Status``, ``Owner`` or ``CF.{name}`` (a custom field);
operators ``=``, ``!=`` (exact, case-insensitive) and ``LIKE``, ``NOT LIKE`` (contains);
values in single quotes (``\\'`` for a quote). Anything else is refused as a host refuses a
malformed query (HostRefused with the parser's words). A ticket's ``resolved`` time is when it
last entered ``resolved``, ``rejected`` or ``closed``; answers come a page at a time.
``candidate_occurrences`` reads the tickets of every queue but the register's, problem,
project and change queues (the memory host's candidate queues), a page of a hundred per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain.evidence import TicketFacts, reopen_count
from ci_plugin.domain.recurrence import Occurrence
from ci_plugin.errors import HostRefused
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.hosts.memory.store import RESOLVED_STATUSES

_CONDITION = re.compile(r"\s*(Queue|Subject|Status|Owner|CF\.\{[^}]+\})\s*(=|!=|NOT\s+LIKE|LIKE)\s*"
                        r"'((?:[^'\\]|\\.)*)'\s*", re.IGNORECASE)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)


def parse_query(query: str) -> Callable[[Any], bool]:
    """A predicate over store records for ``query``; HostRefused naming what is malformed."""
    tests = []
    parts = _AND.split(query.strip()) if query.strip() else [""]
    for part in parts:
        match = _CONDITION.fullmatch(part)
        if not match:
            words = f"malformed condition {part.strip()[:80]!r}: expected FIELD =|!=|LIKE|NOT LIKE 'value'"
            raise HostRefused(f"memory host refused the query: {words}", status=400, messages=[words])
        name, op, value = match.group(1), " ".join(match.group(2).upper().split()), re.sub(r"\\(.)", r"\1", match.group(3))
        tests.append((name, op, value.lower()))

    def value_of(record: Any, name: str) -> str:
        if name.upper().startswith("CF."):
            raw = record.fields.get(name[4:-1], "")
            return " ".join(raw) if isinstance(raw, list) else str(raw)
        return str(getattr(record, name.lower()))

    def match(record: Any) -> bool:
        for name, op, value in tests:
            have = value_of(record, name).lower()
            ok = {"=": have == value, "!=": have != value, "LIKE": value in have, "NOT LIKE": value not in have}[op]
            if not ok:
                return False
        return True

    return match


def _time(text: str) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class MemoryKpiSearch(HostAdapter):
    """Filter-language searches over a window, and status history (needs ``store``, ``_call``)."""

    store: Any
    page_size: int = 100

    def search_tickets(self, query: str, start: datetime, end: datetime,
                       basis: str) -> Iterator[tuple[datetime, datetime | None]]:
        """Matching tickets whose ``basis`` time lies in the window, a page per call."""
        matches = parse_query(query)

        def wanted(record: Any) -> bool:
            moment = _time(record.created if basis == "created" else record.resolved)
            return moment is not None and start <= moment < end and matches(record)

        offset = 0
        while True:
            def page_at(start: int = offset) -> tuple[list[tuple[datetime | None, datetime | None]], int]:
                found = self.store.select(wanted)
                return [(_time(r.created), _time(r.resolved)) for r in found[start:start + self.page_size]], len(found)

            page, total = self._call("search_tickets", "GET", page_at)
            yield from page  # type: ignore[misc]
            offset += self.page_size
            if offset >= total:
                return

    def candidate_occurrences(self, since: datetime, group_by: str | None) -> Iterator[Occurrence]:
        """Tickets of the candidate queues created at or after ``since``, key the queue name or
        the ``group_by`` custom field, a page per call."""
        skip = {"Improvements", "Problems", "Projects", "Changes"}

        def wanted(record: Any) -> bool:
            moment = _time(record.created)
            return record.queue not in skip and moment is not None and moment >= since

        def key_of(record: Any) -> str:
            if group_by is None:
                return str(record.queue)
            raw = record.fields.get(group_by, "")
            return ",".join(raw) if isinstance(raw, list) else str(raw)

        offset = 0
        while True:
            def page_at(start: int = offset) -> tuple[list[Occurrence], int]:
                found = self.store.select(wanted)
                return [Occurrence(r.id, key_of(r), r.subject, r.created)
                        for r in found[start:start + self.page_size]], len(found)

            page, total = self._call("candidate_occurrences", "GET", page_at)
            yield from page
            offset += self.page_size
            if offset >= total:
                return

    def entered_status_at(self, ticket_id: str, status: str) -> datetime | None:
        """When the ticket last entered ``status`` (its status history)."""
        history = self._call("entered_status_at", "GET", lambda: list(self.store.ticket(str(ticket_id)).history))
        times = [when for name, when in history if name.lower() == status.lower()]
        return _time(times[-1]) if times else None

    def status_history(self, ticket_id: str) -> list[tuple[str, datetime]] | None:
        """Every status change of the ticket, oldest first (the store's history)."""
        history = self._call("status_history", "GET", lambda: list(self.store.ticket(str(ticket_id)).history))
        return [(name, moment) for name, when in history if (moment := _time(when)) is not None]

    def ticket_facts(self, ticket_ids: list[str], *, reopens: bool = True) -> list[TicketFacts]:
        """One call per hundred ids; resolved = the last resolution while the ticket is still in
        a resolved status; reopens from the store's status history (no further call)."""
        wanted = [str(i) for i in ticket_ids]
        facts: list[TicketFacts] = []

        def read(chunk: list[str]) -> list[TicketFacts]:
            found = []
            for ident in chunk:
                record = self.store.tickets.get(ident)
                created = _time(record.created) if record is not None else None
                if record is None or created is None:
                    continue
                done = record.status in RESOLVED_STATUSES
                statuses = [name for name, _ in record.history]
                changes = list(zip([True] + [s not in RESOLVED_STATUSES for s in statuses],
                                   [s not in RESOLVED_STATUSES for s in statuses]))
                found.append(TicketFacts(id=ident, created=created, resolved=_time(record.resolved) if done else None,
                                         requestor=record.creator, reopened=reopen_count(changes) if reopens else None))
            return found
        for start in range(0, len(wanted), self.page_size):
            chunk = wanted[start : start + self.page_size]
            facts.extend(self._call("ticket_facts", "GET", lambda chunk=chunk: read(chunk)))  # type: ignore[attr-defined]
        return facts
