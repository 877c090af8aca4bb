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

Trackers, statuses, custom-field definitions and the project are kept in the on-disk metadata
cache (:mod:`ci_plugin.hosts.cached_metadata`): a warm process sends none of these reads. A
name not found in cached metadata is read afresh before it is an error, and a write refused
while cached ids were in use is retried once with metadata read afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from ci_plugin.domain.workflow import StateMap, earlier_statuses
from ci_plugin.domain import fields as register_fields
from ci_plugin.errors import NotFound, NotProvisionedError, PermissionDenied, UsageError
from ci_plugin.hosts.cached_metadata import CachedMetadata
from ci_plugin.http import HostSession, Pager

#: The fix named for anything only the provisioning script creates.
MISSING = "missing: run the provisioning script (`ci-plugin setup --print-provisioning`)"


class RedmineMetadata(CachedMetadata):
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
        def load() -> dict[str, dict[str, Any]]:
            answer = self.session.request_json("GET", "trackers.json", expect=dict)
            return {t["name"]: t for t in answer.get("trackers", []) if isinstance(t, dict) and "name" in t}
        return self._metadata("trackers", load, lambda v: isinstance(v, dict) and all(
            isinstance(t, dict) and "id" in t for t in v.values()))

    def _tracker_id(self, name: str) -> int:
        tracker = self.trackers().get(name)
        if tracker is None and self._refresh_if_cached("trackers"):
            tracker = self.trackers().get(name)
        if tracker is None:
            raise NotProvisionedError([f"tracker {name}: {MISSING}"])
        return int(tracker["id"])

    def statuses(self) -> list[dict[str, Any]]:
        """Every issue status (cached)."""
        def load() -> list[dict[str, Any]]:
            return self.session.request_json("GET", "issue_statuses.json", expect=dict).get("issue_statuses", [])
        return self._metadata("statuses", load, _list_of_records)

    def _status(self, name: str) -> dict[str, Any] | None:
        """The status named exactly ``name`` (Redmine's "New" is not ci-plugin's "new")."""
        found = next((s for s in self.statuses() if s.get("name") == name), None)
        if found is None and self._refresh_if_cached("statuses"):
            found = next((s for s in self.statuses() if s.get("name") == name), None)
        return found

    def custom_fields(self) -> list[dict[str, Any]]:
        """Every custom-field definition (cached; needs an administrator's API key)."""
        def load() -> list[dict[str, Any]]:
            try:
                answer = self.session.request_json("GET", "custom_fields.json", expect=dict)
            except PermissionDenied as exc:
                raise PermissionDenied(
                    "Redmine: reading the custom-field definitions (GET /custom_fields.json) needs an "
                    "administrator's API key", status=exc.status, host_message=exc.host_message,
                ) from None
            return [cf for cf in answer.get("custom_fields", []) if isinstance(cf, dict) and cf.get("customized_type") == "issue"]
        return self._metadata("custom_fields", load, _list_of_records)

    def _cf_named(self, name: str) -> dict[str, Any] | None:
        found = next((cf for cf in self.custom_fields() if cf.get("name") == name), None)
        if found is None and self._refresh_if_cached("custom_fields"):
            found = next((cf for cf in self.custom_fields() if cf.get("name") == name), None)
        return found

    def _cf(self, key: str) -> dict[str, Any]:
        """The custom field of register field ``key``; NotProvisionedError when it is missing."""
        name = self.cf_names[key]
        cf = self._cf_named(name)
        if cf is None:
            raise NotProvisionedError([f"custom field {name}: {MISSING}"])
        return cf

    def _encode_cfs(self, values: dict[str, Any], tracker: str | None) -> list[dict[str, Any]]:
        """Register values as Redmine ``custom_fields`` (ids from the cached definitions); refuses what Redmine would drop silently
        (a field not enabled for ``tracker``) before anything is sent."""
        body = []
        for key, raw in values.items():
            spec = register_fields.BY_KEY[key]
            cf = self._cf(key)
            enabled = {t.get("name") for t in cf.get("trackers") or []}
            if tracker is not None and tracker not in enabled:
                raise NotProvisionedError([f"custom field {cf['name']}: not enabled for tracker {tracker} "
                                           "(Redmine would drop the value silently)"])
            if spec.kind == "ids":
                value: Any = register_fields.encode_checked_ids(key, raw)
            elif isinstance(raw, list):
                value = [str(v) for v in raw] if spec.multi else (str(raw[0]) if raw else "")
            else:
                value = "" if raw is None else str(raw)
            self._check_listed(key, cf, value)
            body.append({"id": cf["id"], "value": value})
        return body

    @staticmethod
    def _check_listed(key: str, cf: dict[str, Any], value: Any) -> None:
        """Refuse a value outside a list field's possible values before Redmine answers 422 in
        words that do not name the value."""
        allowed = [str(v.get("value")) for v in cf.get("possible_values") or []]
        if cf.get("field_format") != "list" or not allowed:
            return
        for item in value if isinstance(value, list) else [value]:
            if item != "" and item not in allowed:
                raise UsageError(f"{key}: {item!r} is not a valid value for Redmine field {cf['name']!r} "
                                 f"(one of: {', '.join(allowed)})")

    def _project_cf(self) -> dict[str, Any]:
        """The custom field that keeps project links (project_mode "project")."""
        cf = self._cf_named(self.project_field)
        if cf is None:
            raise NotProvisionedError([f"custom field {self.project_field}: {MISSING}"])
        return cf

    def project(self) -> dict[str, Any] | None:
        """The register's project with its trackers and modules (cached), or None."""
        def load() -> dict[str, Any] | None:
            try:
                answer = self.session.request_json(
                    "GET", f"projects/{quote(self.project_ident, safe='')}.json", expect=dict,
                    params={"include": "trackers,enabled_modules"},
                )
            except NotFound:
                return None
            project = answer.get("project")
            return project if isinstance(project, dict) else None
        return self._metadata("project", load, lambda v: isinstance(v, dict) and "id" in v)

    def forget_project(self) -> None:
        """Read the project again next time (``setup`` changed it)."""
        self.__dict__.setdefault("_meta", {}).pop("project", None)
        self.metadata_cache.invalidate()

    def _register_project(self) -> dict[str, Any]:
        project = self.project()
        if project is None and self._refresh_if_cached("project"):
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

    def _issues(self, params: dict[str, Any] | Callable[[], dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Every issue of ``/issues.json`` for ``params``, following ``total_count`` to the end.
        ``params`` built from cached ids may be a callable: a 404 on the first page (a project
        id that no longer exists) then drops the cache and builds them once more."""
        offset, page, pager = 0, 1, Pager(self.page_size, what="Redmine issues.json")
        build = params if callable(params) else (lambda: params)
        fixed = build()
        while True:
            query = {**fixed, "limit": self.page_size, "offset": offset}
            try:
                answer = self.session.request_json("GET", "issues.json", expect=dict, params=query)
            except NotFound:
                if page > 1 or not callable(params) or not self._refresh_if_cached():
                    raise
                fixed = build()
                answer = self.session.request_json("GET", "issues.json", expect=dict, params={**query, **fixed})
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


def _list_of_records(value: Any) -> bool:
    """Whether a cached value is a list of records with ids."""
    return isinstance(value, list) and all(isinstance(item, dict) and "id" in item for item in value)
