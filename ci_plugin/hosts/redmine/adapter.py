"""Redmine 5 through its REST API.

The register is the issues of one tracker (``[redmine] tracker``, "Improvement") in one project
(``[redmine] project``, "improvements"); register fields are issue custom fields, links are
issue relations, comments are private notes.

Redmine quirks handled here and nowhere else:

* ``PUT /issues/ID.json`` answers 204 without a body, and a status change the workflow does not
  allow is dropped *silently* (204, status unchanged): :meth:`RedmineAdapter.set_status` reads
  the issue back and raises :class:`HostRefused` naming the statuses when nothing moved.
* A custom field that is not enabled for the issue's tracker is dropped silently on create and
  update: values are checked against the field's trackers before they are sent, and the 201
  answer of a create is compared with what was sent.
* An unknown or disabled ``tracker_id`` is silently replaced by the project's first tracker on
  create: the tracker of the answer is checked (the stray issue is deleted again).
* Validation errors are 422 ``{"errors": [...]}`` (:class:`HostRefused` with Redmine's words).
  A relation that already exists is a 422 too, "has already been taken" or, for a ``relates``
  stored the other way round, "would create a circular dependency": linking is idempotent
  because such a 422 is checked against the issue's relations and then taken as success
  (:mod:`.relations`).
* Relations cannot be created with the issue: they follow the create, and a failure deletes the
  new issue again so that a retried conversion starts clean.
* Lists hide closed issues unless ``status_id=*``, are capped at 100 per page and counted by
  ``total_count``: every page is followed. Several source ids live in one string custom field
  as ``,11,12,`` so that the contains filter (``cf_N=~,11,``) finds exactly one id.
* A wrong API key is served as the anonymous user unless the setting ``login_required`` is on
  (then it is a 401): ``check`` probes it, and the provisioning script turns it on.
* Trackers, statuses, workflows, custom fields and settings cannot be created over REST:
  :meth:`RedmineAdapter.manual_steps` prints a ``rails runner`` script (see
  :mod:`.rails_script`).
* Custom-field definitions (``/custom_fields.json``) can only be read with an administrator's
  API key.

:class:`RedmineAdapter` is composed by inheritance, one module per job, each part a
:class:`HostAdapter` subclass that uses only the parts below it:

* :mod:`.metadata` (:class:`~.metadata.RedmineMetadata`): the ``[redmine]`` settings, the
  session, cached reads of trackers, statuses, custom fields and the project, the pager;
* :mod:`.provisioning` (:class:`~.provisioning.RedmineProvisioning`): ``provision``,
  ``manual_steps`` and ``check`` (``setup`` and ``doctor``), with :mod:`.rails_script`;
* :mod:`.relations` (:class:`~.relations.RedmineRelations`): issue relations as links;
* :mod:`.delivery` (:class:`~.delivery.RedmineDelivery`): project and change records for
  ``plan`` and ``progress``;
* :mod:`.kpi_search` (:class:`~.kpi_search.RedmineKpiSearch`): issue-filter searches over a window
  and status journals, for KPIs computed from issues (``measure --query``);
* this module: the record mapping (issues, custom-field values, status, searches, the
  candidate flag) and :data:`PAGE_SIZE`, the page size of every list (the contract suite
  lowers it here to make a live host page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.fields import decode_ids, encode_ids
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import STOCK_STATUSES
from ci_plugin.errors import HostBadAnswer, HostRefused, NotFound, NotProvisionedError, UsageError
from ci_plugin.hosts.redmine.delivery import RedmineDelivery
from ci_plugin.hosts.redmine.evidence import RedmineEvidence
from ci_plugin.hosts.redmine.kpi_search import RedmineKpiSearch
from ci_plugin.hosts.redmine.metadata import MISSING, RedmineMetadata
from ci_plugin.hosts.redmine.provisioning import RedmineProvisioning
from ci_plugin.hosts.redmine.relations import DEPENDS_ON, RedmineRelations
from ci_plugin.http import HostSession

__all__ = ["DEPENDS_ON", "PAGE_SIZE", "PROJECT_CONTAINER", "RedmineAdapter", "decode_ids", "encode_ids"]

PAGE_SIZE = 100  # Redmine caps ``limit`` at 100
PROJECT_CONTAINER = "(project)"  # container of a Redmine project seen as a link target (project_mode "project")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")


class RedmineAdapter(RedmineKpiSearch, RedmineEvidence, RedmineDelivery, RedmineRelations, RedmineProvisioning, RedmineMetadata):
    """Redmine 5 (REST): improvements are issues of one tracker in one project, with custom fields."""

    name = "redmine"
    label = "Redmine"

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        self._project_of: dict[str, int] = {}  # issue id -> project id, for in_register
        self._created: dict[str, dict[str, Any]] = {}  # issue id -> the 201 answer of its create

    @property
    def page_size(self) -> int:
        """This module's :data:`PAGE_SIZE`, read at each request (so a test can lower it)."""
        return PAGE_SIZE

    # --- records ------------------------------------------------------------------------------

    def _values(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Register field values of an issue (raw strings) and, in project mode, its project links."""
        by_name = {name: key for key, name in self.cf_names.items()}
        values: dict[str, Any] = {}
        projects: list[str] = []
        for cf in data.get("custom_fields") or []:
            name, raw = cf.get("name"), cf.get("value")
            if self.project_mode == "project" and name == self.project_field:
                projects = decode_ids(raw)
            key = by_name.get(name)
            if key is None:
                continue
            spec = register_fields.BY_KEY[key]
            if spec.kind == "ids":
                values[key] = decode_ids(raw)
            elif isinstance(raw, list):
                values[key] = [str(v) for v in raw] if spec.multi else (str(raw[0]) if raw else "")
            else:
                values[key] = "" if raw is None else str(raw)
        return values, projects

    def _to_ticket(self, data: dict[str, Any], classify: bool = False) -> Ticket:
        values, projects = self._values(data)
        ticket_id = str(data["id"])
        if isinstance(data.get("project"), dict):
            self._project_of[ticket_id] = int(data["project"]["id"])
        ticket = Ticket(
            id=ticket_id,
            title=data.get("subject") or "",
            status=(data.get("status") or {}).get("name", ""),
            container=(data.get("tracker") or {}).get("name", ""),
            description=(data.get("description") or "").replace("\r\n", "\n").strip(),
            submitter=(data.get("author") or {}).get("name", ""),
            owner=(data.get("assigned_to") or {}).get("name", ""),
            created=data.get("created_on") or "",
            url=self.ticket_url(ticket_id),
            fields=values,
        )
        if classify:
            ticket.links = self._classify_links(ticket_id, data.get("relations") or [], values.get("source_tickets") or [],
                                                outside=ticket.container != self.tracker_name)
            if projects:
                ticket.links["projects"] = projects
        else:
            depends = [other for other, kind in self._relations(ticket_id, data.get("relations") or []) if kind == DEPENDS_ON]
            if depends:
                ticket.links["depends_on"] = depends
            if projects:
                ticket.links["projects"] = projects
        return ticket

    def _get(self, ticket_id: str, include: str = "") -> dict[str, Any]:
        try:
            answer = self.session.request("GET", f"issues/{ticket_id}.json",
                                          params={"include": include} if include else None).json()
        except NotFound:
            raise NotFound(f"Redmine: issue {ticket_id} does not exist") from None
        issue = answer.get("issue") if isinstance(answer, dict) else None
        if not isinstance(issue, dict):
            raise HostBadAnswer(f"Redmine answered GET issues/{ticket_id}.json without an issue")
        return issue

    def comments(self, ticket_id: str) -> list[str]:
        """The description and the notes of every journal entry, oldest first (one request)."""
        issue = self._get(ticket_id, "journals")
        journals = issue.get("journals") or []
        return [str(issue.get("description") or "")] + [
            str(j["notes"]) for j in journals if isinstance(j, dict) and j.get("notes")]

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        return self._to_ticket(self._get(ticket_id, "relations" if links else ""), classify=links)

    def in_register(self, ticket: Ticket) -> bool:
        if ticket.container != self.tracker_name:
            return False
        project = self.project()
        if project is None:
            return False
        known = self._project_of.get(ticket.id)
        return known is None or known == int(project["id"])

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        if kind == "problem":
            return ticket.container == self.problem_tracker
        if self.project_mode == "project":
            return ticket.container == PROJECT_CONTAINER
        return ticket.container == self.project_tracker

    def find_project(self, ref: str) -> Ticket:
        """project_mode "issue": an issue of the project tracker; "project": a Redmine project
        by identifier or id (the ticket's id is the project's identifier)."""
        if self.project_mode == "issue":
            return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))
        cleaned = str(ref).strip()
        if not (cleaned.isdigit() or _IDENTIFIER.match(cleaned)):
            raise UsageError(f"project {ref!r} is not a Redmine project identifier or id")
        try:
            project = self.session.request("GET", f"projects/{quote(cleaned, safe='')}.json").json()["project"]
        except NotFound:
            raise NotFound(f"Redmine: project {cleaned!r} does not exist") from None
        return Ticket(
            id=project["identifier"], title=project.get("name") or "", container=PROJECT_CONTAINER,
            description=project.get("description") or "", created=project.get("created_on") or "",
            url=f"{self.web_base}/projects/{project['identifier']}",
        )

    def create_improvement(self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]) -> str:
        """Create the issue, its relations after it; retried once with metadata read afresh
        when Redmine refuses ids from the disk cache (a refused or stray issue is deleted first)."""
        return self._fresh_retry(lambda: self._create(title, description, fields, links))

    def _create(self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]) -> str:
        project = self._register_project()
        tracker_id = self._tracker_id(self.tracker_name)
        if tracker_id not in {t["id"] for t in project.get("trackers") or []}:
            raise NotProvisionedError([f"project {self.project_ident}: tracker {self.tracker_name} not enabled: "
                                       "run `ci-plugin setup`"])
        custom = self._encode_cfs(fields, self.tracker_name)
        if self.project_mode == "project" and links.get("projects"):
            custom.append({"id": self._project_cf()["id"], "value": encode_ids(links["projects"])})
        body = {"issue": {"project_id": project["id"], "tracker_id": tracker_id, "subject": title,
                          "description": description or title, "custom_fields": custom}}
        issue = self.session.request("POST", "issues.json", json=body).json()["issue"]
        new_id = str(issue["id"])
        if (issue.get("tracker") or {}).get("id") != tracker_id or issue["tracker"].get("name") != self.tracker_name:
            self._discard(new_id)
            raise HostRefused(
                f"Redmine created issue {new_id} with tracker {(issue.get('tracker') or {}).get('name')!r} instead of "
                f"{self.tracker_name!r} (deleted it again): enable the tracker in project {self.project_ident}",
                messages=[],
            )
        # by id and name: a stale cached id that now names another field counts as dropped
        stored = {(cf.get("id"), cf.get("name")): cf.get("value") for cf in issue.get("custom_fields") or []}
        names = {cf.get("id"): cf.get("name") for cf in self.custom_fields()}
        dropped = [c for c in custom if c["value"] not in ("", []) and stored.get((c["id"], names.get(c["id"]))) != c["value"]]
        if dropped:
            self._discard(new_id)
            names = ", ".join(cf["name"] for cf in self.custom_fields() if cf["id"] in {d["id"] for d in dropped})
            raise HostRefused(f"Redmine did not store {names} on the new improvement (deleted it again)", messages=[])
        try:
            for kind, targets in links.items():
                if targets and not (kind == "projects" and self.project_mode == "project"):
                    self._relate(new_id, kind, targets)
        except HostRefused as exc:
            self._discard(new_id)
            raise HostRefused(f"{exc} (the new improvement {new_id} was deleted again)",
                              status=exc.status, messages=exc.messages) from None
        self._created[new_id] = issue
        return new_id

    def created_ticket(self, ticket_id: str, title: str, description: str, fields: dict[str, Any],
                       links: dict[str, list[str]]) -> Ticket:
        """From the 201 answer of the create (the issue as stored, its values compared with what
        was sent) and the relations made after it: no read."""
        issue = self._created.pop(ticket_id, None)
        if issue is None:
            return super().created_ticket(ticket_id, title, description, fields, links)
        ticket = self._to_ticket(issue)
        ticket.links = {kind: [str(t) for t in targets] for kind, targets in links.items() if targets}
        return ticket

    def _discard(self, issue_id: str) -> None:
        """Delete an issue created by mistake (best effort: a failure leaves it for an admin)."""
        try:
            self.session.request("DELETE", f"issues/{issue_id}.json")
        except Exception:  # noqa: BLE001 - the caller reports the original problem
            pass

    def _put(self, ticket_id: str, issue: dict[str, Any]) -> None:
        try:
            self.session.request("PUT", f"issues/{ticket_id}.json", json={"issue": issue})
        except NotFound:
            raise NotFound(f"Redmine: issue {ticket_id} does not exist") from None

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Write register fields. Redmine answers 422 for an invalid value (HostRefused); the one
        silent drop (a field not enabled for the tracker) is refused before sending."""
        def write() -> None:
            custom = self._encode_cfs(fields, self.tracker_name)
            if custom:
                self._put(ticket_id, {"custom_fields": custom})
        self._fresh_retry(write)

    def find_user(self, login: str) -> str | None:
        """The id of the active user whose login is ``login`` (``GET /users.json?name=``, which
        also matches names and mail: the exact login is picked), ``None`` when there is none."""
        users = self.session.request("GET", "users.json", params={"name": login, "status": 1, "limit": 100}).json()
        for user in (users.get("users") if isinstance(users, dict) else None) or []:
            if isinstance(user, dict) and str(user.get("login", "")).lower() == login.lower():
                return str(user["id"])
        return None

    def update_record(self, ticket_id: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """One ``PUT``: subject, ``assigned_to_id`` and custom fields; Redmine answers 422 for
        any invalid part (an assignee who is not a member of the project: "Assignee is invalid")
        and then keeps none of it."""
        def write() -> None:
            issue: dict[str, Any] = {}
            custom = self._encode_cfs(fields, self.tracker_name) if fields else []
            if custom:
                issue["custom_fields"] = custom
            if title is not None:
                issue["subject"] = title
            if owner is not None:
                issue["assigned_to_id"] = int(owner)
            if issue:
                self._put(ticket_id, issue)
        self._fresh_retry(write)

    def set_status(self, ticket_id: str, status: str) -> None:
        """Change the status and read it back: Redmine drops a change its workflow does not allow
        without a word (204)."""
        state = self.states.state(status)
        if STOCK_STATUSES["redmine"].get(state, "").lower() == status.lower():
            status = self.desk_states().host_status(state)  # "closed" on a desk provisioned before "Closed"
        def write() -> None:
            record = self._status(status)
            if record is None:
                raise NotProvisionedError([f"status {status}: {MISSING}"])
            self._put(ticket_id, {"status_id": record["id"]})
        self._fresh_retry(write)
        after = self._get(ticket_id, "allowed_statuses")
        current = (after.get("status") or {}).get("name", "")
        if current != status:
            allowed = [s.get("name") for s in after.get("allowed_statuses") or [] if s.get("name") != current]
            words = (f"the workflow of tracker {(after.get('tracker') or {}).get('name')!r} does not allow "
                     f"{current!r} -> {status!r}")
            raise HostRefused(
                f"Redmine refused status {status!r} on issue {ticket_id}: {words} (allowed from {current!r}: "
                f"{', '.join(allowed) or 'none'})",
                messages=[words],
            )

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        if kind == "projects" and self.project_mode == "project":
            data = self._get(ticket_id)
            _, current = self._values(data)
            merged = current + [str(t) for t in targets if str(t) not in current]
            if merged != current:
                self._put(ticket_id, {"custom_fields": [{"id": self._project_cf()["id"], "value": encode_ids(merged)}]})
            return
        self._relate(ticket_id, kind, targets)

    def comment(self, ticket_id: str, text: str) -> None:
        """A private note (shown to roles allowed to view private notes)."""
        self._put(ticket_id, {"notes": text, "private_notes": True})

    def improvements_from_source(self, source_id: str) -> list[str]:
        source_id = str(source_id).strip()
        found = []
        for item in self._issues(lambda: {**self._register_filter(), "status_id": "*",
                                          f"cf_{self._cf('source_tickets')['id']}": f"~{encode_ids([source_id])}"}):
            values, _ = self._values(item)
            if source_id in (values.get("source_tickets") or []):  # the filter is a LIKE: confirm
                found.append(str(item["id"]))
        return found

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        wanted = {name.lower() for name in statuses or []}  # "new" of an earlier mapping is "New" too

        def params() -> dict[str, Any]:
            ids = [str(s["id"]) for s in self.statuses() if str(s.get("name", "")).lower() in wanted] if statuses else []
            return {**self._register_filter(), "include": "relations",
                    "status_id": "|".join(ids) if statuses else "*"}
        if statuses and not params()["status_id"]:
            return
        for item in self._issues(params):
            yield self._to_ticket(item)

    def flagged_tickets(self) -> Iterator[Ticket]:
        cf = self._cf("candidate")
        params = {f"cf_{cf['id']}": "=" + self.candidate["value"], "status_id": "*", "sort": "id"}
        for item in self._issues(params):
            yield self._to_ticket(item)

    def clear_flag(self, ticket_id: str) -> None:
        self._fresh_retry(lambda: self._put(
            ticket_id, {"custom_fields": self._encode_cfs({"candidate": self.candidate["cleared"]}, None)}))

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_base}/issues/{ticket_id}"
