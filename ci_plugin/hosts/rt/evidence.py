"""Evidence from RT's tickets: creation, resolution, requestor and reopen counts, in batches.

:class:`RTEvidence` builds on :class:`~ci_plugin.hosts.rt.metadata.RTMetadata`;
:class:`~ci_plugin.hosts.rt.adapter.RTAdapter` inherits it. One TicketSQL search (``id = a OR
id = b ...``, fields ``Created,Resolved,Status,Requestor,Creator``) per hundred tickets; RT keeps
``Resolved`` when a ticket is reopened, so a ticket counts as resolved only while its status
is inactive. A reopen is a ``Status`` transaction from an inactive status (RT's default
lifecycle: ``resolved``, ``rejected``, ``deleted``) to an active one: one history read per
ticket (``ticket/N/history``, all pages), so the reopen counts cost N more requests.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain.evidence import TicketFacts, reopen_count
from ci_plugin.hosts.rt.kpi_search import rt_time
from ci_plugin.hosts.rt.metadata import RTMetadata

#: Statuses of RT's default lifecycle that are inactive.
INACTIVE = ("resolved", "rejected", "deleted")


def _requestor(item: dict[str, Any]) -> str:
    """The first requestor's name, else the creator's (a ticket made through the API may have none)."""
    people = item.get("Requestor") or []
    first = people[0] if isinstance(people, list) and people else item.get("Creator") or {}
    return str(first.get("id", "")) if isinstance(first, dict) else str(first)


class RTEvidence(RTMetadata):
    """Batched ticket facts for ``evidence``."""

    def ticket_facts(self, ticket_ids: list[str], *, reopens: bool = True) -> list[TicketFacts]:
        """One search per hundred ids, plus one history read per ticket with ``reopens``."""
        wanted = [str(int(i)) for i in ticket_ids]
        facts: list[TicketFacts] = []
        for start in range(0, len(wanted), self.page_size):
            where = " OR ".join(f"id = {i}" for i in wanted[start : start + self.page_size])
            for item in self._pages("tickets", {"query": where, "fields": "Created,Resolved,Status,Requestor,Creator",
                                                "orderby": "id"}):
                created = rt_time(item.get("Created"))
                if created is None:
                    continue
                ident = str(item["id"])
                done = str(item.get("Status", "")).lower() in INACTIVE
                facts.append(TicketFacts(id=ident, created=created, resolved=rt_time(item.get("Resolved")) if done else None,
                                         requestor=_requestor(item),
                                         reopened=self._reopens(ident) if reopens else None))
        return facts

    def _reopens(self, ticket_id: str) -> int:
        changes = []
        for item in self._pages(f"ticket/{ticket_id}/history", {"fields": "Type,OldValue,NewValue"}):
            if item.get("Type") == "Status":
                changes.append((str(item.get("OldValue", "")).lower() not in INACTIVE,
                                str(item.get("NewValue", "")).lower() not in INACTIVE))
        return reopen_count(changes)
