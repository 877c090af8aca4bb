"""Redmine issue relations as register links: reading them from either issue, sorting them into
link kinds, and writing them idempotently.

:class:`RedmineRelations` builds on :class:`~ci_plugin.hosts.redmine.metadata.RedmineMetadata`;
:class:`~ci_plugin.hosts.redmine.adapter.RedmineAdapter` inherits it. A relation is stored once,
from one issue; :meth:`~RedmineRelations._relations` reads it from the other side with the
reverse type. Sorting goes through :func:`ci_plugin.domain.links.classify` (the tracker of each
related issue says its role). A relation that already exists is a 422, "has already been taken"
or, for a ``relates`` stored the other way round, "would create a circular dependency": such a
422 is checked against the issue's relations and then taken as success.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ci_plugin.domain import links as link_kinds
from ci_plugin.errors import HostRefused, NotFound
from ci_plugin.hosts.redmine.metadata import RedmineMetadata

DEPENDS_ON = "blocked"  # from the improvement's side: A depends on B == B blocks A

# Relation type as seen from the other issue.
_REVERSE = {
    "relates": "relates", "duplicates": "duplicated", "duplicated": "duplicates", "blocks": "blocked",
    "blocked": "blocks", "precedes": "follows", "follows": "precedes", "copied_to": "copied_from",
    "copied_from": "copied_to",
}
_ALREADY = re.compile(r"already exists|has already been taken", re.IGNORECASE)


class RedmineRelations(RedmineMetadata):
    """Issue relations read, classified and written for the register."""

    @staticmethod
    def _relations(ticket_id: str, relations: list[dict[str, Any]]) -> list[tuple[str, str]]:
        """``(other issue, relation type from this issue's side)`` of each relation."""
        found = []
        for rel in relations:
            source, target, kind = str(rel.get("issue_id")), str(rel.get("issue_to_id")), rel.get("relation_type", "")
            if source == ticket_id:
                found.append((target, kind))
            elif target == ticket_id:
                found.append((source, _REVERSE.get(kind, kind)))
        return found

    def _classify_links(self, ticket_id: str, relations: list[dict[str, Any]], source_ids: list[str],
                        outside: bool = False) -> dict[str, list[str]]:
        """Sort an issue's relations into register link kinds (:func:`ci_plugin.domain.links.classify`);
        the tracker of each related issue says its role."""
        pairs = self._relations(ticket_id, relations)
        sources = {str(s) for s in source_ids}
        tracker_of = self._trackers_of(sorted({o for o, _ in pairs if outside or o not in sources}, key=int))
        roles = {self.tracker_name: link_kinds.ROLE_REGISTER, self.problem_tracker: link_kinds.ROLE_PROBLEM}
        if self.project_mode == "issue":
            roles.setdefault(self.project_tracker, link_kinds.ROLE_PROJECT)
        roles.setdefault(self.change_tracker, link_kinds.ROLE_CHANGE)
        wanted = {key: self.link_types[key] for key in ("problem", "project", "change", "follow_up")}
        return link_kinds.classify(pairs, role_of={o: roles.get(t, link_kinds.ROLE_OTHER) for o, t in tracker_of.items()},
                              relations={**wanted, "depends_on": DEPENDS_ON}, sources=sources, outside=outside)

    def _trackers_of(self, ids: list[str]) -> dict[str, str]:
        """Tracker name of each issue id, in one request per hundred ids."""
        result: dict[str, str] = {}
        for start in range(0, len(ids), self.page_size):
            chunk = ids[start : start + self.page_size]
            for item in self._issues({"issue_id": ",".join(chunk), "status_id": "*"}):
                result[str(item["id"])] = (item.get("tracker") or {}).get("name", "")
        return result

    def _relate(self, ticket_id: str, kind: str, targets: Iterable[str]) -> None:
        """One relation per target, from the improvement's side; an existing one is success."""
        relation_type = DEPENDS_ON if kind == "depends_on" else self.link_type(kind)
        for target in targets:
            body = {"relation": {"issue_to_id": int(target), "relation_type": relation_type}}
            try:
                self.session.request("POST", f"issues/{ticket_id}/relations.json", json=body)
            except NotFound:
                raise NotFound(f"Redmine: issue {ticket_id} does not exist") from None
            except HostRefused as exc:
                if any(_ALREADY.search(m) for m in exc.messages) or self._related(ticket_id, str(target), relation_type):
                    continue
                words = "; ".join(exc.messages) or str(exc)
                raise HostRefused(f"Redmine refused the {kind} link {ticket_id} -> {target} ({relation_type}): {words}",
                                  status=exc.status, messages=exc.messages) from None

    def _related(self, ticket_id: str, target: str, relation_type: str) -> bool:
        """Whether the relation is already there. Redmine refuses a duplicate with 422, in words
        that depend on the direction: "Related issue has already been taken", or "This relation
        would create a circular dependency" when the same ``relates`` is stored the other way."""
        answer = self.session.request("GET", f"issues/{ticket_id}/relations.json").json()
        return (target, relation_type) in self._relations(ticket_id, answer.get("relations") or [])
