"""What the records say about themselves: evidence facts and state history.

* :meth:`ticket_facts`: one ``task`` read per hundred ids (``sys_created_on``, ``opened_by``,
  ``closed_at``), then one read per record table that has ``resolved_at``, ``caller_id`` or
  ``reopen_count`` (``incident`` has all three: ServiceNow's own business rules fill them),
  per hundred ids. A record counts as resolved while ``resolved_at`` or ``closed_at`` is set.
* :meth:`status_history` and :meth:`entered_status_at`: the ``sys_audit`` rows of the record's
  ``state`` (``documentkey``, ``fieldname``, ``newvalue``, ``sys_created_on``), labels from
  ``sys_choice``; one read.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain.evidence import TicketFacts
from ci_plugin.hosts.servicenow.metadata import plain, sys_id_prefix, ticket_id
from ci_plugin.hosts.servicenow.query import term

_EXTRA = ("resolved_at", "caller_id", "reopen_count")


def sn_time(text: Any) -> datetime | None:
    """A Table API time (``2026-12-04 18:07:31``, UTC) as an aware datetime; ``None`` when empty."""
    value = plain(text).strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


class ServiceNowEvidence:
    """``ticket_facts``, ``status_history``, ``entered_status_at`` (needs the metadata reads)."""

    def _by_prefix(self, ids: list[str]) -> str:
        prefixes = [p for p in (sys_id_prefix(i) for i in ids) if p]
        return "^OR".join(term("sys_id", "STARTSWITH", p) for p in prefixes)

    def ticket_facts(self, ticket_ids: list[str], *, reopens: bool = True) -> list[TicketFacts]:
        """Created, resolved, requestor and reopen count of each existing record."""
        wanted = sorted({str(int(i)) for i in ticket_ids}, key=int)
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            query = self._by_prefix(wanted[start:start + 100])
            if query:
                for row in self._pages("task", query, "sys_id,sys_class_name,sys_created_on,opened_by,closed_at"):  # type: ignore[attr-defined]
                    rows[plain(row.get("sys_id"))] = dict(row)
        by_table: dict[str, list[str]] = {}
        for sys_id, row in rows.items():
            by_table.setdefault(plain(row.get("sys_class_name")), []).append(sys_id)
        for table, sys_ids in by_table.items():
            extra = [c for c in _EXTRA if c in self.columns(table)]  # type: ignore[attr-defined]
            for start in range(0, len(sys_ids), 100):
                if not extra:
                    break
                chunk = ",".join(sys_ids[start:start + 100])
                for row in self._pages(table, term("sys_id", "IN", chunk), ",".join(["sys_id", *extra])):  # type: ignore[attr-defined]
                    rows[plain(row.get("sys_id"))].update({c: row.get(c) for c in extra})
        facts = []
        for sys_id, row in rows.items():
            created = sn_time(row.get("sys_created_on"))
            if created is None:
                continue
            count = plain(row.get("reopen_count"))
            facts.append(TicketFacts(
                id=ticket_id(sys_id), created=created,
                resolved=sn_time(row.get("resolved_at")) or sn_time(row.get("closed_at")),
                requestor=plain(row.get("caller_id")) or plain(row.get("opened_by")),
                reopened=(int(count) if count.isdigit() else 0) if reopens and "reopen_count" in row else None))
        return sorted(facts, key=lambda f: int(f.id))

    def _state_audit(self, ticket: str) -> tuple[str, list[tuple[str, datetime]]]:
        table, sys_id = self.locate(ticket)  # type: ignore[attr-defined]
        query = term("documentkey", "=", sys_id) + "^fieldname=state^ORDERBYsys_created_on"
        changes = [(self.state_label(table, r.get("newvalue")), when)  # type: ignore[attr-defined]
                   for r in self._pages("sys_audit", query, "newvalue,sys_created_on")  # type: ignore[attr-defined]
                   if (when := sn_time(r.get("sys_created_on"))) is not None]
        return table, changes

    def status_history(self, ticket_id_: str) -> list[tuple[str, datetime]] | None:
        """Every state change of the record, oldest first, from ``sys_audit``."""
        return self._state_audit(ticket_id_)[1]

    def entered_status_at(self, ticket_id_: str, status: str) -> datetime | None:
        """When the record last entered state ``status`` (``sys_audit``), or ``None``."""
        found = None
        for label, when in self._state_audit(ticket_id_)[1]:
            if label.strip().lower() == status.strip().lower():
                found = when
        return found
