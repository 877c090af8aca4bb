"""What the Redmine adapter reads about Redmine itself: the ``[redmine]`` settings, trackers,
issue statuses, custom-field definitions and the register's project (each fetched once per
process and cached), and the pager of ``/issues.json``.

:class:`RedmineMetadata` is the bottom part of
:class:`~ci_plugin.hosts.redmine.adapter.RedmineAdapter`:
:class:`~ci_plugin.hosts.redmine.provisioning.RedmineProvisioning` and
:class:`~ci_plugin.hosts.redmine.relations.RedmineRelations` build on it, and the adapter adds
the record mapping on top. It stays abstract (a :class:`HostAdapter` without records).

Lists are capped at 100 per page and counted by ``total_count``: :meth:`RedmineMetadata._issues`
follows every page, ``self.page_size`` issues at a time (the adapter's module sets it).
Custom-field definitions can only be read with an administrator's API key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from ci_plugin.domain.workflow import StateMap, earlier_statuses
from ci_plugin.errors import NotFound, NotProvisionedError, PermissionDenied
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.http import HostSession, Pager

#: The fix named for anything only the provisioning script creates.
MISSING = "missing: run the provisioning script (`ci-plugin setup --print-provisioning`)"


class RedmineMetadata(HostAdapter):
    """The ``[redmine]`` settings and Redmine's trackers, statuses, custom fields and project, cached."""

    #: Issues per page of ``/issues.json`` (Redmine caps ``limit`` at 100).
    page_size: int

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        redmine = config.section("redmine")
        self.project_ident: str = redmine["project"]
        self.tracker_name: str = redmine["tracker"]
        self.problem_tracker: str = redmine["problem_tracker"]
        self.project_mode: str = redmine["project_mode"]
        self.project_tracker: str = redmine["project_tracker"]
        self.project_field: str = redmine["project_field"]
        self.change_tracker: str = redmine["change_tracker"]
        self.candidate_trackers: list[str] = redmine["candidate_trackers"]
        self._trackers: dict[str, dict[str, Any]] | None = None
        self._statuses: list[dict[str, Any]] | None = None
        self._cfs: list[dict[str, Any]] | None = None
        self._project: dict[str, Any] | None = None
        self._project_read = False

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        return HostSession.from_config(config, host_name="Redmine", auth=lambda key: {"X-Redmine-API-Key": key})

    def about(self) -> dict[str, Any]:
        """Who the key belongs to. Redmine's REST API does not tell its version.

        ``/users/current.json`` answers 401 to the anonymous user, so a wrong key is caught
        here even without ``login_required`` (other reads would be served as anonymous).
        """
        body = self.session.request("GET", "users/current.json").json()
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict) or "login" not in user:
            raise NotFound("Redmine: /users/current.json did not describe a user: is this Redmine with the REST API on?")
        return {"user": user["login"], "admin": bool(user.get("admin"))}

    def desk_states(self) -> StateMap:
        """The status names of this desk: the configured ones, except on a desk provisioned before
        the stock mapping (its register tracker starts in ``new``, not ``New``), where the states
        mapped to stock names keep the lowercase statuses that desk was given."""
        tracker = self.trackers().get(self.tracker_name) or {}
        default = str((tracker.get("default_status") or {}).get("name") or "")
        want = self.states.host_status("new")
        if default != want and default.lower() == want.lower() == "new":
            return StateMap(earlier_statuses("redmine", self.states.to_host))
        return self.states

    def trackers(self) -> dict[str, dict[str, Any]]:
        """Every tracker by exact name (cached)."""
        if self._trackers is None:
            answer = self.session.request("GET", "trackers.json").json()
            self._trackers = {t["name"]: t for t in answer.get("trackers", [])}
        return self._trackers

    def _tracker_id(self, name: str) -> int:
        tracker = self.trackers().get(name)
        if tracker is None:
            raise NotProvisionedError([f"tracker {name}: {MISSING}"])
        return int(tracker["id"])

    def statuses(self) -> list[dict[str, Any]]:
        """Every issue status (cached)."""
        if self._statuses is None:
            self._statuses = self.session.request("GET", "issue_statuses.json").json().get("issue_statuses", [])
        return self._statuses

    def _status(self, name: str) -> dict[str, Any] | None:
        """The status named exactly ``name`` (Redmine's "New" is not ci-plugin's "new")."""
        return next((s for s in self.statuses() if s.get("name") == name), None)

    def custom_fields(self) -> list[dict[str, Any]]:
        """Every custom-field definition (cached; needs an administrator's API key)."""
        if self._cfs is None:
            try:
                answer = self.session.request("GET", "custom_fields.json").json()
            except PermissionDenied as exc:
                raise PermissionDenied(
                    "Redmine: reading the custom-field definitions (GET /custom_fields.json) needs an "
                    "administrator's API key", status=exc.status, host_message=exc.host_message,
                ) from None
            self._cfs = [cf for cf in answer.get("custom_fields", []) if cf.get("customized_type") == "issue"]
        return self._cfs

    def _cf_named(self, name: str) -> dict[str, Any] | None:
        return next((cf for cf in self.custom_fields() if cf.get("name") == name), None)

    def _cf(self, key: str) -> dict[str, Any]:
        """The custom field of register field ``key``; NotProvisionedError when it is missing."""
        name = self.cf_names[key]
        cf = self._cf_named(name)
        if cf is None:
            raise NotProvisionedError([f"custom field {name}: {MISSING}"])
        return cf

    def _project_cf(self) -> dict[str, Any]:
        """The custom field that keeps project links (project_mode "project")."""
        cf = self._cf_named(self.project_field)
        if cf is None:
            raise NotProvisionedError([f"custom field {self.project_field}: {MISSING}"])
        return cf

    def project(self) -> dict[str, Any] | None:
        """The register's project with its trackers and modules (cached), or None."""
        if not self._project_read:
            try:
                answer = self.session.request(
                    "GET", f"projects/{quote(self.project_ident, safe='')}.json",
                    params={"include": "trackers,enabled_modules"},
                ).json()
                self._project = answer.get("project")
            except NotFound:
                self._project = None
            self._project_read = True
        return self._project

    def _register_project(self) -> dict[str, Any]:
        project = self.project()
        if project is None:
            raise NotProvisionedError([f"project {self.project_ident}: missing: run `ci-plugin setup`"])
        return project

    def _status_changes(self, issue_id: str) -> list[tuple[str, str, Any]]:
        """Every status change of the issue as ``(old status id, new status id, the journal's
        created_on)``, in journal order: one ``issues/N.json?include=journals`` read. What KPI
        windows, ``stats`` state times and ``evidence`` reopen counts are read from."""
        issue = self.session.request_json("GET", f"issues/{issue_id}.json", expect=dict,
                                          params={"include": "journals"}).get("issue") or {}
        changes = []
        for journal in issue.get("journals") or []:
            for detail in (journal.get("details") or []) if isinstance(journal, dict) else []:
                if isinstance(detail, dict) and detail.get("property") == "attr" and detail.get("name") == "status_id":
                    changes.append((str(detail.get("old_value")), str(detail.get("new_value")), journal.get("created_on")))
        return changes

    def _issues(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every issue of ``/issues.json`` for ``params``, following ``total_count`` to the end."""
        offset, page, pager = 0, 1, Pager(self.page_size, what="Redmine issues.json")
        while True:
            query = {**params, "limit": self.page_size, "offset": offset}
            answer = self.session.request_json("GET", "issues.json", expect=dict, params=query)
            items = answer.get("issues")
            more = pager.more(page, items, total=answer.get("total_count"))
            yield from items
            offset += len(items)
            if not more:
                return
            page += 1

    def _register_filter(self) -> dict[str, Any]:
        """Query parameters selecting the register: its project (not subprojects) and tracker."""
        return {
            "project_id": self._register_project()["id"],
            "subproject_id": "!*",
            "tracker_id": self._tracker_id(self.tracker_name),
            "sort": "id",
        }
