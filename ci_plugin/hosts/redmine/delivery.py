"""Delivery records on Redmine: ``plan`` creates project and change records, ``progress`` reads them.

:class:`RedmineDelivery` builds on :class:`~ci_plugin.hosts.redmine.relations.RedmineRelations`;
:class:`~ci_plugin.hosts.redmine.adapter.RedmineAdapter` inherits it.

* A change record is an issue of ``[redmine] change_tracker`` in the register's project; a
  project record an issue of ``project_tracker`` there (``project_mode = "issue"``) or, with
  ``project_mode = "project"``, a Redmine project with the identifier ``<register project>-<id>``
  recorded in ``project_field``. Issues are related to the improvement by ``[redmine.links]``
  ``project`` / ``change`` and get the improvement's assignee and target date (``due_date``).
* Redmine cannot create an issue and its relation in one request: the description ends with
  :func:`ci_plugin.domain.links.delivery_marker`, and before creating, the tracker is searched
  for an issue with that marker (left by a create whose answer was lost), which is related
  instead. A project's identifier is its own idempotency key.
* Progress reads, for a batch of improvements, per hundred ids: the improvements with their
  relations, the related issues (tracker, status), and their subtasks (``parent_id`` takes a
  list). A Redmine project record counts itself (done when closed or archived) and its issues,
  two requests per project (plus one per further hundred issues). Done is a closed status;
  issues of the register's tracker are never counted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.fields import decode_ids
from ci_plugin.errors import HostRefused, NotFound, NotProvisionedError
from ci_plugin.hosts.redmine.relations import RedmineRelations

#: Redmine project statuses that mean the project is over (closed, archived).
PROJECT_DONE = (5, 9)


class RedmineDelivery(RedmineRelations):
    """Project and change records: created for ``plan``, read for ``progress``."""

    def delivery_tracker(self, kind: str) -> str:
        """The tracker of delivery issues of ``kind`` (``projects`` or ``changes``)."""
        return {"projects": self.project_tracker, "changes": self.change_tracker}[kind]

    def _closed(self, status: dict[str, Any]) -> bool:
        if "is_closed" in status:
            return bool(status["is_closed"])
        return any(s.get("id") == status.get("id") and s.get("is_closed") for s in self.statuses())

    # --- plan ---------------------------------------------------------------------------------

    def create_delivery(self, kind: str, improvement_id: str, *, title: str, description: str,
                        owner: str = "", target_date: str = "") -> str:
        if kind == "projects" and self.project_mode == "project":
            return self._create_project(improvement_id, title, description)
        project = self._register_project()
        tracker = self.delivery_tracker(kind)
        tracker_id = self._tracker_id(tracker)
        if tracker_id not in {t["id"] for t in project.get("trackers") or []}:
            raise NotProvisionedError([f"project {self.project_ident}: tracker {tracker} not enabled: run `ci-plugin setup`"])
        marker = link_kinds.delivery_marker(kind, improvement_id)
        found = [str(i["id"]) for i in self._issues({"project_id": project["id"], "tracker_id": tracker_id, "status_id": "*",
                                                      "description": f"~{marker}", "sort": "id"})
                 if marker in str(i.get("description") or "")]
        if found:
            new_id = found[0]
        else:
            issue: dict[str, Any] = {"project_id": project["id"], "tracker_id": tracker_id, "subject": title,
                                     "description": description}
            current = self.session.request_json("GET", f"issues/{improvement_id}.json", expect=dict).get("issue") or {}
            assignee = (current.get("assigned_to") or {}).get("id") if isinstance(current, dict) else None
            if assignee:
                issue["assigned_to_id"] = assignee
            if target_date:
                issue["due_date"] = target_date
            created = self.session.request_json("POST", "issues.json", expect=dict, json={"issue": issue}).get("issue") or {}
            new_id = str(created.get("id", ""))
            if not new_id or (created.get("tracker") or {}).get("id") != tracker_id:
                if new_id:  # a stray issue of another tracker: deleted again
                    self.session.request("DELETE", f"issues/{new_id}.json", ok=(200, 204, 404))
                raise HostRefused(f"Redmine did not create the {link_kinds.singular(kind)} record with tracker {tracker!r}",
                                  messages=[])
        self._relate(str(improvement_id), kind, [new_id])
        return new_id

    def _create_project(self, improvement_id: str, title: str, description: str) -> str:
        """A Redmine project named after the improvement; its identifier makes it idempotent."""
        ident = f"{self.project_ident}-{improvement_id}"
        try:
            self.session.request("GET", f"projects/{quote(ident, safe='')}.json")
        except NotFound:
            body = {"project": {"name": title[:255], "identifier": ident, "description": description,
                                "is_public": False}}
            self.session.request("POST", "projects.json", json=body)
        self.add_links(str(improvement_id), "projects", [ident])
        return ident

    # --- progress -----------------------------------------------------------------------------

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]]:
        wanted = [str(i) for i in improvement_ids]
        tracker_of = {kind: self.delivery_tracker(kind) for kind in link_kinds.DELIVERY}
        if self.project_mode == "project":
            tracker_of.pop("projects")
        candidates: dict[str, set[tuple[str, str]]] = {i: set() for i in wanted}  # improvement -> (issue, kind)
        projects: dict[str, list[str]] = {}
        for item in self._batch(wanted, "issue_id", include="relations"):
            imp = str(item["id"])
            if self.project_mode == "project":
                projects[imp] = decode_ids(next((cf.get("value") for cf in item.get("custom_fields") or []
                                                 if cf.get("name") == self.project_field), ""))
            for other, relation in self._relations(imp, item.get("relations") or []):
                for kind in tracker_of:
                    if self.link_type(kind) == relation:
                        candidates[imp].add((other, kind))
        records: dict[str, tuple[str, bool]] = {}  # issue -> (tracker, done)
        ids = sorted({o for pairs in candidates.values() for o, _ in pairs}, key=int)
        for item in self._batch(ids, "issue_id"):
            records[str(item["id"])] = ((item.get("tracker") or {}).get("name", ""), self._closed(item.get("status") or {}))
        children: dict[str, dict[str, bool]] = {}
        for item in self._batch(sorted(records, key=int), "parent_id"):
            if (item.get("tracker") or {}).get("name") != self.tracker_name:
                parent = str((item.get("parent") or {}).get("id", ""))
                children.setdefault(parent, {})[str(item["id"])] = self._closed(item.get("status") or {})
        result: dict[str, dict[str, bool]] = {}
        for imp in wanted:
            items: dict[str, bool] = {}
            for other, kind in candidates[imp]:
                if other in records and records[other][0] == tracker_of[kind] and records[other][0] != self.tracker_name:
                    items[other] = records[other][1]
                    items.update(children.get(other, {}))
            for ident in projects.get(imp, []):
                items.update(self._project_items(ident))
            items.pop(imp, None)
            result[imp] = dict(sorted(items.items(), key=lambda kv: link_kinds.id_order(kv[0])))
        return result

    def _batch(self, ids: list[str], key: str, include: str = "") -> list[dict[str, Any]]:
        """Issues whose ``key`` (``issue_id``, ``parent_id``) is one of ``ids``, a hundred ids a request."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), self.page_size):
            params = {key: ",".join(ids[start : start + self.page_size]), "status_id": "*", "sort": "id"}
            if include:
                params["include"] = include
            found.extend(self._issues(params))
        return found

    def _project_items(self, ident: str) -> dict[str, bool]:
        """A Redmine project record (by identifier) and its issues, outside the register's tracker."""
        try:
            project = self.session.request_json("GET", f"projects/{quote(ident, safe='')}.json", expect=dict)["project"]
        except NotFound:
            return {}
        items = {ident: int(project.get("status") or 1) in PROJECT_DONE}
        for item in self._issues({"project_id": project["id"], "subproject_id": "!*", "status_id": "*", "sort": "id"}):
            if (item.get("tracker") or {}).get("name") != self.tracker_name:
                items[str(item["id"])] = self._closed(item.get("status") or {})
        return items
