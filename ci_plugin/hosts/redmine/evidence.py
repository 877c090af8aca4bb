"""Evidence from Redmine's issues: creation, closing, author and reopen counts, in batches.

:class:`RedmineEvidence` builds on :class:`~ci_plugin.hosts.redmine.metadata.RedmineMetadata`;
:class:`~ci_plugin.hosts.redmine.adapter.RedmineAdapter` inherits it. One ``issues.json?
issue_id=a,b,...&status_id=*`` per hundred issues; ``closed_on`` counts only while the issue's
status is closed (Redmine keeps it on reopening). The requestor is the issue's author. A reopen
is a journal changing ``status_id`` from a closed status to an open one: ``issues.json`` gives
no journals, so the reopen counts cost one ``issues/N.json?include=journals`` per issue.
"""

from __future__ import annotations

from ci_plugin.domain.evidence import TicketFacts, reopen_count
from ci_plugin.hosts.redmine.kpi_search import redmine_time
from ci_plugin.hosts.redmine.metadata import RedmineMetadata


class RedmineEvidence(RedmineMetadata):
    """Batched issue facts for ``evidence``."""

    def ticket_facts(self, ticket_ids: list[str], *, reopens: bool = True) -> list[TicketFacts]:
        """One search per hundred ids, plus one journal read per issue with ``reopens``."""
        wanted = [str(int(i)) for i in ticket_ids]
        closed = {str(s.get("id")) for s in self.statuses() if s.get("is_closed")}
        facts: list[TicketFacts] = []
        for start in range(0, len(wanted), self.page_size):
            params = {"issue_id": ",".join(wanted[start : start + self.page_size]), "status_id": "*", "sort": "id"}
            for item in self._issues(params):
                created = redmine_time(item.get("created_on"))
                if created is None:
                    continue
                ident = str(item["id"])
                done = str((item.get("status") or {}).get("id")) in closed
                facts.append(TicketFacts(
                    id=ident, created=created, resolved=redmine_time(item.get("closed_on")) if done else None,
                    requestor=str((item.get("author") or {}).get("name", "")),
                    reopened=self._reopens(ident, closed) if reopens else None))
        return facts

    def _reopens(self, issue_id: str, closed: set[str]) -> int:
        return reopen_count([(old not in closed, new not in closed) for old, new, _ in self._status_changes(issue_id)])
