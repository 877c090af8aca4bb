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
  because such a 422 is checked against the issue's relations and then taken as success.
* Relations cannot be created with the issue: they follow the create, and a failure deletes the
  new issue again so that a retried conversion starts clean.
* Lists hide closed issues unless ``status_id=*``, are capped at 100 per page and counted by
  ``total_count``: every page is followed. Several source ids live in one string custom field
  as ``,11,12,`` so that the contains filter (``cf_N=~,11,``) finds exactly one id.
* A wrong API key is served as the anonymous user unless the setting ``login_required`` is on
  (then it is a 401): ``check`` probes it, and the provisioning script turns it on.
* Trackers, statuses, workflows, custom fields and settings cannot be created over REST:
  :meth:`RedmineAdapter.manual_steps` prints a ``rails runner`` script (see :mod:`.spec`).
* Custom-field definitions (``/custom_fields.json``) can only be read with an administrator's
  API key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from ci_plugin.domain import fields as register_fields
from ci_plugin.errors import HostError, HostRefused, NotFound, NotProvisionedError, PermissionDenied, UsageError
from ci_plugin.domain.fields import decode_ids, encode_ids
from ci_plugin.hosts.base import Change, Finding, HostAdapter, ManualStep
from ci_plugin.hosts.redmine import spec as provisioning_spec
from ci_plugin.http import HostSession
from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import FINAL_STATES, STATES, StateMap

PAGE_SIZE = 100  # Redmine caps ``limit`` at 100
PROJECT_CONTAINER = "(project)"  # container of a Redmine project seen as a link target (project_mode "project")
DEPENDS_ON = "blocked"  # from the improvement's side: A depends on B == B blocks A

# Relation type as seen from the other issue.
_REVERSE = {
    "relates": "relates", "duplicates": "duplicated", "duplicated": "duplicates", "blocks": "blocked",
    "blocked": "blocks", "precedes": "follows", "follows": "precedes", "copied_to": "copied_from",
    "copied_from": "copied_to",
}
_ALREADY = re.compile(r"already exists|has already been taken", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
_MISSING = "missing: run the provisioning script (`ci-plugin setup --print-provisioning`)"



class RedmineAdapter(HostAdapter):
    """Redmine 5 (REST): improvements are issues of one tracker in one project, with custom fields."""

    name = "redmine"
    label = "Redmine"

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        redmine = config.section("redmine")
        self.project_ident: str = redmine["project"]
        self.tracker_name: str = redmine["tracker"]
        self.problem_tracker: str = redmine["problem_tracker"]
        self.project_mode: str = redmine["project_mode"]
        self.project_tracker: str = redmine["project_tracker"]
        self.project_field: str = redmine["project_field"]
        self.candidate_trackers: list[str] = redmine["candidate_trackers"]
        self.link_types: dict[str, str] = redmine["links"]
        self.cf_names: dict[str, str] = config.section("fields")
        self.candidate = config.section("candidate")
        self.states = StateMap(config.section("states"))
        self.web_base = config.data["host"]["url"].rstrip("/")
        self._trackers: dict[str, dict[str, Any]] | None = None
        self._statuses: list[dict[str, Any]] | None = None
        self._cfs: list[dict[str, Any]] | None = None
        self._project: dict[str, Any] | None = None
        self._project_read = False
        self._project_of: dict[str, int] = {}  # issue id -> project id, for in_register

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        return HostSession.from_config(config, host_name="Redmine", auth=lambda key: {"X-Redmine-API-Key": key})

    # --- metadata (fetched once per process) ---------------------------------------------------

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

    def trackers(self) -> dict[str, dict[str, Any]]:
        """Every tracker by exact name (cached)."""
        if self._trackers is None:
            answer = self.session.request("GET", "trackers.json").json()
            self._trackers = {t["name"]: t for t in answer.get("trackers", [])}
        return self._trackers

    def _tracker_id(self, name: str) -> int:
        tracker = self.trackers().get(name)
        if tracker is None:
            raise NotProvisionedError([f"tracker {name}: {_MISSING}"])
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
            raise NotProvisionedError([f"custom field {name}: {_MISSING}"])
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

    def _issues(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every issue of ``/issues.json`` for ``params``, following ``total_count`` to the end."""
        offset = 0
        while True:
            query = {**params, "limit": PAGE_SIZE, "offset": offset}
            answer = self.session.request("GET", "issues.json", params=query).json()
            items = answer.get("issues") or []
            yield from items
            offset += len(items)
            if not items or offset >= int(answer.get("total_count") or 0):
                return

    def _register_filter(self) -> dict[str, Any]:
        """Query parameters selecting the register: its project (not subprojects) and tracker."""
        return {
            "project_id": self._register_project()["id"],
            "subproject_id": "!*",
            "tracker_id": self._tracker_id(self.tracker_name),
            "sort": "id",
        }

    # --- provisioning -------------------------------------------------------------------------

    def provision(self) -> list[Change]:
        """Create or complete the register's project (the only piece REST can create)."""
        project = self.project()
        tracker = self.trackers().get(self.tracker_name)
        if project is None:
            if tracker is None:
                return []  # the provisioning script creates both, with the tracker enabled
            body = {"project": {
                "name": self.project_ident.replace("-", " ").replace("_", " ").capitalize(),
                "identifier": self.project_ident,
                "description": "Continual improvement register (ci-plugin)",
                "is_public": False,
                "tracker_ids": [tracker["id"]],
            }}
            self.session.request("POST", "projects.json", json=body)
            self._project_read = False
            return [Change("created", f"project {self.project_ident} (tracker {self.tracker_name})")]
        changes: list[Change] = []
        tracker_ids = [t["id"] for t in project.get("trackers") or []]
        if tracker is not None and tracker["id"] not in tracker_ids:
            self.session.request("PUT", f"projects/{project['id']}.json",
                                 json={"project": {"tracker_ids": tracker_ids + [tracker["id"]]}})
            changes.append(Change("updated", f"project {self.project_ident}: tracker {self.tracker_name} enabled"))
        modules = [m["name"] for m in project.get("enabled_modules") or []]
        if "issue_tracking" not in modules:
            self.session.request("PUT", f"projects/{project['id']}.json",
                                 json={"project": {"enabled_module_names": modules + ["issue_tracking"]}})
            changes.append(Change("updated", f"project {self.project_ident}: issue tracking enabled"))
        if changes:
            self._project_read = False
        return changes or [Change("unchanged", f"project {self.project_ident}")]

    def manual_steps(self) -> list[ManualStep]:
        return [
            ManualStep(
                title="Redmine provisioning script (settings, statuses, trackers, workflow, custom fields, project)",
                why="Redmine's REST API cannot create trackers, issue statuses, workflows or custom fields, nor "
                    "change settings; this `rails runner` script does it (idempotently, in one transaction). Run it "
                    "on the Redmine server as the user Redmine runs as: "
                    "`bin/rails runner ci-plugin-provision.rb` in Redmine's directory with RAILS_ENV=production.",
                content=provisioning_spec.script(self.config),
                filename="ci-plugin-provision.rb",
                fixes=("tracker ", "status ", "custom field ", "project ", "setting "),
            )
        ]

    def check(self) -> list[Finding]:
        findings: list[Finding] = []
        trackers = self.trackers()
        improvement = trackers.get(self.tracker_name)
        if improvement is None:
            findings.append(Finding(f"tracker {self.tracker_name}", False, _MISSING))
        else:
            default = (improvement.get("default_status") or {}).get("name")
            want = self.states.host_status("new")
            findings.append(Finding(f"tracker {self.tracker_name}", default == want,
                                    "" if default == want else f"default status is {default!r}, the register needs {want!r}"))
        others = [self.problem_tracker] + ([self.project_tracker] if self.project_mode == "issue" else [])
        for name in dict.fromkeys(others + list(self.candidate_trackers)):
            if name != self.tracker_name:
                findings.append(Finding(f"tracker {name}", name in trackers, "" if name in trackers else _MISSING))
        for state in STATES:
            name = self.states.host_status(state)
            status = self._status(name)
            closed = state in FINAL_STATES
            if status is None:
                findings.append(Finding(f"status {name}", False, _MISSING))
            elif bool(status.get("is_closed")) != closed:
                findings.append(Finding(f"status {name}", False, f"must be {'closed' if closed else 'open'} "
                                        f"(Administration > Issue statuses > {name})"))
            else:
                findings.append(Finding(f"status {name}", True))
        for wanted in provisioning_spec.custom_fields(self.config):
            findings.append(self._check_cf(wanted, trackers))
        findings.append(self._check_project())
        findings.append(self._check_login_required())
        return findings

    def _check_cf(self, wanted: dict[str, Any], trackers: dict[str, dict[str, Any]]) -> Finding:
        name = wanted["name"]
        cf = self._cf_named(name)
        if cf is None:
            return Finding(f"custom field {name}", False, _MISSING)
        problems = []
        if cf.get("field_format") != wanted["format"]:
            problems.append(f"format is {cf.get('field_format')!r}, ci-plugin needs {wanted['format']!r}: "
                            "rename or delete it, then run the provisioning script")
        enabled = {t.get("name") for t in cf.get("trackers") or []}
        missing = [t for t in wanted["trackers"] if t in trackers and t not in enabled]
        if missing:
            problems.append("not enabled for tracker " + ", ".join(missing))
        values = [v.get("value") for v in cf.get("possible_values") or []]
        absent = [v for v in wanted.get("possible_values", []) if v not in values]
        if absent and cf.get("field_format") == "list":
            problems.append("possible values lack " + ", ".join(absent))
        if wanted.get("is_filter") and not cf.get("is_filter"):
            problems.append("not usable as a filter (tick 'Used as a filter')")
        return Finding(f"custom field {name}", not problems, "; ".join(problems))

    def _check_project(self) -> Finding:
        name = f"project {self.project_ident}"
        project = self.project()
        if project is None:
            return Finding(name, False, "missing: run `ci-plugin setup` (or the provisioning script)")
        problems = []
        if self.tracker_name not in {t.get("name") for t in project.get("trackers") or []}:
            problems.append(f"tracker {self.tracker_name} not enabled")
        if "issue_tracking" not in {m.get("name") for m in project.get("enabled_modules") or []}:
            problems.append("module issue tracking not enabled")
        return Finding(name, not problems, "; ".join(problems) + (": run `ci-plugin setup`" if problems else ""))

    def _check_login_required(self) -> Finding:
        """Whether Redmine refuses anonymous requests (else a wrong key reads as anonymous)."""
        name = "setting login_required"
        try:
            status = self.session.request("GET", "issues.json", params={"limit": 1}, ok=(200, 401),
                                          headers={"X-Redmine-API-Key": None}).status_code
        except HostError as exc:
            if exc.status is None:
                return Finding(name, False, f"could not probe anonymous access: {exc}")
            status = exc.status
        if status == 401:
            return Finding(name, True)
        return Finding(name, False, f"anonymous GET /issues.json answered HTTP {status}: a wrong API key "
                                    "would be served as anonymous (Administration > Settings > Authentication)")

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
        wanted = {key: self.link_types[key] for key in ("problem", "project", "follow_up")}
        return link_kinds.classify(pairs, role_of={o: roles.get(t, link_kinds.ROLE_OTHER) for o, t in tracker_of.items()},
                              relations={**wanted, "depends_on": DEPENDS_ON}, sources=sources, outside=outside)

    def _trackers_of(self, ids: list[str]) -> dict[str, str]:
        """Tracker name of each issue id, in one request per hundred ids."""
        result: dict[str, str] = {}
        for start in range(0, len(ids), PAGE_SIZE):
            chunk = ids[start : start + PAGE_SIZE]
            for item in self._issues({"issue_id": ",".join(chunk), "status_id": "*"}):
                result[str(item["id"])] = (item.get("tracker") or {}).get("name", "")
        return result

    def _get(self, ticket_id: str, include: str = "") -> dict[str, Any]:
        try:
            answer = self.session.request("GET", f"issues/{ticket_id}.json",
                                          params={"include": include} if include else None).json()
        except NotFound:
            raise NotFound(f"Redmine: issue {ticket_id} does not exist") from None
        return answer["issue"]

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

    def _encode_cfs(self, values: dict[str, Any], tracker: str | None) -> list[dict[str, Any]]:
        """Register values as Redmine ``custom_fields``; refuses what Redmine would drop silently
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

    def create_improvement(self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]) -> str:
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
        if (issue.get("tracker") or {}).get("id") != tracker_id:
            self._discard(new_id)
            raise HostRefused(
                f"Redmine created issue {new_id} with tracker {(issue.get('tracker') or {}).get('name')!r} instead of "
                f"{self.tracker_name!r} (deleted it again): enable the tracker in project {self.project_ident}",
                messages=[],
            )
        stored = {cf.get("id"): cf.get("value") for cf in issue.get("custom_fields") or []}
        dropped = [c for c in custom if c["value"] not in ("", []) and stored.get(c["id"]) != c["value"]]
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
        return new_id

    def _discard(self, issue_id: str) -> None:
        """Delete an issue created by mistake (best effort: a failure leaves it for an admin)."""
        try:
            self.session.request("DELETE", f"issues/{issue_id}.json")
        except Exception:  # noqa: BLE001 - the caller reports the original problem
            pass

    def _project_cf(self) -> dict[str, Any]:
        cf = self._cf_named(self.project_field)
        if cf is None:
            raise NotProvisionedError([f"custom field {self.project_field}: {_MISSING}"])
        return cf

    def _put(self, ticket_id: str, issue: dict[str, Any]) -> None:
        try:
            self.session.request("PUT", f"issues/{ticket_id}.json", json={"issue": issue})
        except NotFound:
            raise NotFound(f"Redmine: issue {ticket_id} does not exist") from None

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Write register fields. Redmine answers 422 for an invalid value (HostRefused); the one
        silent drop (a field not enabled for the tracker) is refused before sending."""
        custom = self._encode_cfs(fields, self.tracker_name)
        if custom:
            self._put(ticket_id, {"custom_fields": custom})

    def set_status(self, ticket_id: str, status: str) -> None:
        """Change the status and read it back: Redmine drops a change its workflow does not allow
        without a word (204)."""
        record = self._status(status)
        if record is None:
            raise NotProvisionedError([f"status {status}: {_MISSING}"])
        self._put(ticket_id, {"status_id": record["id"]})
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

    def _relate(self, ticket_id: str, kind: str, targets: Iterable[str]) -> None:
        """One relation per target, from the improvement's side; an existing one is success."""
        relation_type = DEPENDS_ON if kind == "depends_on" else self.link_types[link_kinds.singular(kind)]
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

    def comment(self, ticket_id: str, text: str) -> None:
        """A private note (shown to roles allowed to view private notes)."""
        self._put(ticket_id, {"notes": text, "private_notes": True})

    def improvements_from_source(self, source_id: str) -> list[str]:
        source_id = str(source_id).strip()
        cf = self._cf("source_tickets")
        params = {**self._register_filter(), "status_id": "*", f"cf_{cf['id']}": f"~{encode_ids([source_id])}"}
        found = []
        for item in self._issues(params):
            values, _ = self._values(item)
            if source_id in (values.get("source_tickets") or []):  # the filter is a LIKE: confirm
                found.append(str(item["id"]))
        return found

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        params = {**self._register_filter(), "include": "relations", "status_id": "*"}
        if statuses:
            ids = [str(s["id"]) for s in (self._status(name) for name in statuses) if s is not None]
            if not ids:
                return
            params["status_id"] = "|".join(ids)
        for item in self._issues(params):
            yield self._to_ticket(item)

    def flagged_tickets(self) -> Iterator[Ticket]:
        cf = self._cf("candidate")
        params = {f"cf_{cf['id']}": "=" + self.candidate["value"], "status_id": "*", "sort": "id"}
        for item in self._issues(params):
            yield self._to_ticket(item)

    def clear_flag(self, ticket_id: str) -> None:
        self._put(ticket_id, {"custom_fields": self._encode_cfs({"candidate": self.candidate["cleared"]}, None)})

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_base}/issues/{ticket_id}"
