"""What the fake Jira holds (projects, issue types, fields, statuses, workflows, screens, link
types, issues) and its metadata endpoints: fields, contexts, options, issue types, projects,
create metadata, link types. The issue endpoints are in ``jira_fake_issues.py``.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

ADMIN = "admin@example.com"
AGENT = "agent@example.com"
DESK = "ITSM"  # the JSM service project: incidents, problems, epics
HIDDEN = "HR"  # a project the agent may not browse
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
CUSTOM_TYPES = {
    SELECT: ("option", "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher"),
    "com.atlassian.jira.plugin.system.customfieldtypes:float": ("number", "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber"),
    "com.atlassian.jira.plugin.system.customfieldtypes:datepicker": ("date", "com.atlassian.jira.plugin.system.customfieldtypes:daterange"),
    "com.atlassian.jira.plugin.system.customfieldtypes:textfield": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher"),
    "com.atlassian.jira.plugin.system.customfieldtypes:textarea": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher"),
}
SYSTEM_FIELDS = ("summary", "description", "issuetype", "project", "status", "created", "updated",
                 "resolutiondate", "reporter", "assignee", "issuelinks", "comment", "duedate", "parent", "components")


@dataclass
class Reply:
    """One answer: status, JSON body (``None``: empty) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error(*messages: str, **errors: str) -> dict[str, Any]:
    """Jira's error body."""
    return {"errorMessages": list(messages), "errors": dict(errors)}


def stamp(when: datetime) -> str:
    """Jira's time format: ``2026-12-04T18:05:01.123+0000``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


class JiraState:
    """The fake's data and its metadata endpoints (``self.caller`` is the request's user)."""

    url: str
    caller: dict[str, Any]

    def __init__(self) -> None:
        self._ids = itertools.count(10000)
        self.users = {email: {"accountId": secrets.token_hex(12), "emailAddress": email, "displayName": name,
                              "active": True, "accountType": "atlassian", "timeZone": "UTC"}
                      for email, name in ((ADMIN, "Site Admin"), (AGENT, "Desk Agent"))}
        self.tokens = {email: secrets.token_urlsafe(18) for email in self.users}
        self.token = self.tokens[ADMIN]
        self.categories = {"new": (2, "new", "To Do", "blue-gray"), "indeterminate": (4, "indeterminate", "In Progress", "yellow"),
                           "done": (3, "done", "Done", "green")}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.issue_types: dict[str, dict[str, Any]] = {}
        for name in ("Task", "Incident", "Problem", "Epic", "Change", "Service Request"):
            self._new_issue_type(name, "")
        self.projects = {key: {"id": self.next_id(), "key": key, "name": name, "types": [], "workflows": {}, "screens": {},
                               "components": []}
                         for key, name in (("CI", "Continual improvement"), (DESK, "IT service desk"),
                                           (HIDDEN, "People operations"))}
        simple = (["Open", "In Progress", "Resolved"], [("Open", "In Progress"), ("In Progress", "Resolved"),
                                                        ("Open", "Resolved"), ("Resolved", "Open")])
        for key, types in (("CI", ("Task",)), (DESK, ("Incident", "Problem", "Epic", "Change", "Service Request", "Task")),
                           (HIDDEN, ("Task",))):
            for name in types:
                self.install_workflow(key, name, *simple, done={"Resolved"})
        self.fields: dict[str, dict[str, Any]] = {}
        self.options: dict[str, list[dict[str, Any]]] = {}  # field id -> options of its global context
        self.link_types = {name: {"id": self.next_id(), "name": name, "inward": inward, "outward": outward}
                           for name, inward, outward in (("Relates", "relates to", "relates to"),
                                                         ("Blocks", "is blocked by", "blocks"),
                                                         ("Cloners", "is cloned by", "clones"),
                                                         ("Duplicate", "is duplicated by", "duplicates"),
                                                         ("Problem/Incident", "is caused by", "causes"))}
        self.issues: dict[str, dict[str, Any]] = {}
        self.links: list[dict[str, Any]] = []
        self.counters = {key: itertools.count(1) for key in self.projects}

    # --- building blocks ----------------------------------------------------------------------

    def next_id(self) -> str:
        """A fresh numeric id (issues, types, fields share one sequence, as ids only grow)."""
        return str(next(self._ids))

    @staticmethod
    def now() -> str:
        """The current time in Jira's format."""
        return stamp(datetime.now(timezone.utc))

    def user_bean(self, user: dict[str, Any] | None) -> dict[str, Any] | None:
        """A ``User`` as Jira shows it (``emailAddress`` is shown: the fake site allows it)."""
        if user is None:
            return None
        return {"self": f"{self.url}/rest/api/3/user?accountId={user['accountId']}", **user,
                "avatarUrls": {"48x48": f"{self.url}/avatar.png"}}

    def _new_issue_type(self, name: str, description: str) -> dict[str, Any]:
        type_id = self.next_id()
        self.issue_types[name.lower()] = {"id": type_id, "name": name, "description": description, "subtask": False,
                                          "hierarchyLevel": 0, "self": f"/issuetype/{type_id}"}
        return self.issue_types[name.lower()]

    def type_bean(self, issue_type: dict[str, Any]) -> dict[str, Any]:
        """An ``IssueTypeDetails``."""
        return {**issue_type, "self": f"{self.url}/rest/api/3/issuetype/{issue_type['id']}",
                "iconUrl": f"{self.url}/icon.png"}

    def status_named(self, name: str) -> dict[str, Any]:
        """The status called ``name`` (made on first use, as an admin adds it to a workflow)."""
        if name.lower() not in self.statuses:
            self.statuses[name.lower()] = {"id": self.next_id(), "name": name, "category": "new"}
        return self.statuses[name.lower()]

    def status_bean(self, name: str) -> dict[str, Any]:
        """A ``StatusDetails``."""
        status = self.status_named(name)
        cid, key, cname, colour = self.categories[status["category"]]
        return {"self": f"{self.url}/rest/api/3/status/{status['id']}", "id": status["id"], "name": status["name"],
                "description": "", "iconUrl": f"{self.url}/status.png",
                "statusCategory": {"self": f"{self.url}/rest/api/3/statuscategory/{cid}", "id": cid, "key": key,
                                   "colorName": colour, "name": cname}}

    def install_workflow(self, project: str, type_name: str, statuses: list[str],
                         transitions: list[tuple[str, str]], done: set[str] = frozenset()) -> None:
        """The admin console: put ``type_name`` in ``project``'s scheme with this workflow (the
        first status is the initial one; ``done`` statuses are of the done category)."""
        issue_type = self.issue_types[type_name.lower()]
        for name in statuses:
            self.status_named(name)["category"] = "done" if name in done else (
                "new" if name == statuses[0] else "indeterminate")
        entry = self.projects[project]
        if issue_type["id"] not in entry["types"]:
            entry["types"].append(issue_type["id"])
        entry["workflows"][issue_type["id"]] = {"statuses": list(statuses), "transitions": list(transitions)}
        entry["screens"].setdefault(issue_type["id"], set())

    def put_on_screen(self, project: str, type_name: str, field_name: str) -> None:
        """The admin console: put a field on the create and edit screens of an issue type."""
        field = next(f for f in self.fields.values() if f["name"] == field_name)
        self.projects[project]["screens"][self.issue_types[type_name.lower()]["id"]].add(field["id"])

    def apply_manual_step(self, text: str) -> None:
        """What an admin does with the text ``setup --print-provisioning`` prints: its
        ``project:``, ``issue type:``, ``delivery type:``, ``status:``, ``done:``, ``transition: A -> B`` and
        ``screen: TYPE: FIELD`` lines."""
        values: dict[str, list[str]] = {}
        for line in text.splitlines():
            match = re.match(r"^\s*(project|issue type|delivery type|status|done|transition|screen):\s*(.+?)\s*$", line)
            if match:
                values.setdefault(match.group(1), []).append(match.group(2))
        project, type_name = values["project"][0], values["issue type"][0]
        transitions = [tuple(part.strip() for part in t.split("->")) for t in values.get("transition", [])]
        self.install_workflow(project, type_name, values["status"], transitions, done=set(values.get("done", [])))
        for delivery in values.get("delivery type", []):
            self.install_workflow(project, delivery, ["Open", "In Progress", "Resolved"],
                                  [("Open", "In Progress"), ("In Progress", "Resolved"), ("Open", "Resolved"),
                                   ("Resolved", "Open")], done={"Resolved"})
        for entry in values.get("screen", []):
            screen_type, _, field_name = entry.partition(": ")
            for key, data in self.projects.items():
                if self.issue_types[screen_type.lower()]["id"] in data["types"]:
                    self.put_on_screen(key, screen_type, field_name)

    def project_of_key(self, ref: str) -> dict[str, Any] | None:
        """A project by key or id."""
        return next((p for p in self.projects.values() if ref in (p["key"], p["id"])), None)

    def field_bean(self, data: dict[str, Any]) -> dict[str, Any]:
        """A ``FieldDetails``."""
        return dict(data)

    # --- fields, contexts, options -------------------------------------------------------------

    def get_fields(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /field``: system and custom fields."""
        system = [{"id": name, "key": name, "name": name.capitalize(), "custom": False, "orderable": True,
                   "navigable": True, "searchable": True, "clauseNames": [name]} for name in SYSTEM_FIELDS]
        return Reply(200, system + [self.field_bean(f) for f in self.fields.values()])

    def post_field(self, query: dict[str, str], body: Any) -> Reply:
        """``POST /field`` (admin): a custom field with a global context."""
        refused = self._admin()
        if refused:
            return refused
        if not isinstance(body, dict) or not body.get("name") or body.get("type") not in CUSTOM_TYPES:
            return Reply(400, error(type="The custom field type is not valid, or the name is missing."))
        field_id = f"customfield_{self.next_id()}"
        schema_type, searcher = CUSTOM_TYPES[body["type"]]
        data = {"id": field_id, "key": field_id, "name": body["name"], "custom": True, "orderable": True,
                "navigable": True, "searchable": True, "clauseNames": [f"cf[{field_id[12:]}]", body["name"]],
                "schema": {"type": schema_type, "custom": body["type"], "customId": int(field_id[12:])}}
        self.fields[field_id] = data
        self.options[field_id] = []
        return Reply(201, self.field_bean(data))

    def _field_or_404(self, field_id: str) -> dict[str, Any] | Reply:
        if field_id not in self.fields:
            return Reply(404, error("The custom field was not found."))
        return self.fields[field_id]

    def get_contexts(self, field_id: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /field/{id}/context`` (admin): the one global context."""
        refused = self._admin()
        found = refused or self._field_or_404(field_id)
        if isinstance(found, Reply):
            return found
        context = {"id": str(int(field_id[12:]) + 1), "name": f"Default Configuration Scheme for {found['name']}",
                   "description": "", "isGlobalContext": True, "isAnyIssueType": True}
        return Reply(200, {"maxResults": 50, "startAt": 0, "total": 1, "isLast": True, "values": [context]})

    def _context_ok(self, field_id: str, context_id: str) -> Reply | None:
        refused = self._admin()
        found = refused or self._field_or_404(field_id)
        if isinstance(found, Reply):
            return found
        if context_id != str(int(field_id[12:]) + 1):
            return Reply(404, error("The context was not found."))
        if found["schema"]["custom"] != SELECT:
            return Reply(400, error("The custom field doesn't support options."))
        return None

    def get_options(self, field_id: str, context_id: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /field/{id}/context/{ctx}/option`` (admin), paged by ``startAt``/``maxResults``."""
        refused = self._context_ok(field_id, context_id)
        if refused:
            return refused
        start, size = int(query.get("startAt") or 0), min(int(query.get("maxResults") or 100), 100)
        values = self.options[field_id]
        return Reply(200, {"maxResults": size, "startAt": start, "total": len(values),
                           "isLast": start + size >= len(values), "values": values[start:start + size]})

    def post_options(self, field_id: str, context_id: str, query: dict[str, str], body: Any) -> Reply:
        """``POST /field/{id}/context/{ctx}/option`` (admin): a duplicate value is 400."""
        refused = self._context_ok(field_id, context_id)
        if refused:
            return refused
        wanted = [o.get("value") for o in (body or {}).get("options") or []]
        have = {o["value"] for o in self.options[field_id]}
        if any(not isinstance(v, str) or not v or v in have for v in wanted) or len(set(wanted)) != len(wanted):
            return Reply(400, error("The option value must be unique and not empty."))
        made = [{"id": self.next_id(), "value": v, "disabled": False} for v in wanted]
        self.options[field_id].extend(made)
        return Reply(200, {"options": made})

    # --- issue types, projects, create metadata, link types ----------------------------------

    def get_issue_types(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /issuetype``."""
        return Reply(200, [self.type_bean(t) for t in self.issue_types.values()])

    def post_issue_type(self, query: dict[str, str], body: Any) -> Reply:
        """``POST /issuetype`` (admin): 409 on a duplicate name."""
        refused = self._admin()
        if refused:
            return refused
        name = (body or {}).get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 60:
            return Reply(400, error(name="The issue type name is not valid."))
        if name.lower() in self.issue_types:
            return Reply(409, error("An issue type with this name already exists."))
        return Reply(201, self.type_bean(self._new_issue_type(name, body.get("description") or "")))

    def get_project(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /project/{key}``."""
        project = self.project_of_key(ref)
        if project is None:
            return Reply(404, error(f"No project could be found with key '{ref}'."))
        types = [self.type_bean(t) for t in self.issue_types.values() if t["id"] in project["types"]]
        return Reply(200, {"self": f"{self.url}/rest/api/3/project/{project['id']}", "id": project["id"],
                           "key": project["key"], "name": project["name"], "issueTypes": types,
                           "projectTypeKey": "service_desk" if project["key"] == "ITSM" else "software", "simplified": False})

    def get_project_statuses(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /project/{key}/statuses``: each issue type of the project with its workflow's statuses."""
        project = self.project_of_key(ref)
        if project is None:
            return Reply(404, error(f"No project could be found with key '{ref}'."))
        answer = []
        for issue_type in (t for t in self.issue_types.values() if t["id"] in project["types"]):
            flow = project["workflows"][issue_type["id"]]
            answer.append({"self": f"{self.url}/rest/api/3/issuetype/{issue_type['id']}", "id": issue_type["id"],
                           "name": issue_type["name"], "subtask": False,
                           "statuses": [self.status_bean(s) for s in flow["statuses"]]})
        return Reply(200, answer)

    def get_createmeta_types(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /issue/createmeta/{project}/issuetypes``: the types one may create in the project."""
        project = self.project_of_key(ref)
        if project is None:
            return Reply(400, error(f"No project could be found with key '{ref}'."))
        types = [self.type_bean(t) for t in self.issue_types.values() if t["id"] in project["types"]]
        return Reply(200, {"maxResults": 50, "startAt": 0, "total": len(types), "issueTypes": types})

    def get_createmeta_fields(self, ref: str, type_id: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /issue/createmeta/{project}/issuetypes/{id}``: the fields of the create screen,
        with the allowed values of select fields."""
        project = self.project_of_key(ref)
        if project is None or type_id not in project["types"]:
            return Reply(400, error("The issue type is not valid for this project."))
        fields = []
        for field_id in sorted(project["screens"][type_id]):
            data = self.fields[field_id]
            meta = {"fieldId": field_id, "key": field_id, "name": data["name"], "required": False,
                    "schema": data["schema"], "hasDefaultValue": False, "operations": ["set"]}
            if data["schema"]["custom"] == SELECT:
                meta["allowedValues"] = [{"self": f"{self.url}/rest/api/3/customFieldOption/{o['id']}", **o}
                                         for o in self.options[field_id] if not o["disabled"]]
            fields.append(meta)
        return Reply(200, {"maxResults": 50, "startAt": 0, "total": len(fields), "fields": fields})

    def post_component(self, query: dict[str, str], body: Any) -> Reply:
        """``POST /component`` (project admin): ``{"name", "project"}``; a duplicate name is 400."""
        refused = self._admin()
        if refused:
            return refused
        project = self.project_of_key(str((body or {}).get("project") or "")) if isinstance(body, dict) else None
        if project is None:
            return Reply(404, error(f"No project could be found with key '{(body or {}).get('project')}'."))
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or any(c["name"] == name for c in project["components"]):
            return Reply(400, error(name="A component with this name already exists, or the name is empty."))
        component = {"id": self.next_id(), "name": name, "project": project["key"], "projectId": int(project["id"])}
        component["self"] = f"{self.url}/rest/api/3/component/{component['id']}"
        project["components"].append(component)
        return Reply(201, component)

    def get_project_schemes(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /issuetypescheme/project?projectId=`` (admin): the scheme of each project asked for;
        the service desk project uses the default scheme, the others one of their own."""
        refused = self._admin()
        if refused:
            return refused
        values = []
        for project in (p for p in self.projects.values() if p["id"] == query.get("projectId")):
            default = project["key"] == DESK
            scheme = {"id": "10000" if default else str(int(project["id"]) + 1),
                      "name": "Default Issue Type Scheme" if default else f"{project['key']}: Issue Type Scheme",
                      "description": "", "isDefault": default}
            values.append({"issueTypeScheme": scheme, "projectIds": [project["id"]]})
        return Reply(200, {"maxResults": 50, "startAt": 0, "total": len(values), "isLast": True, "values": values})

    def put_scheme_types(self, scheme_id: str, query: dict[str, str], body: Any) -> Reply:
        """``PUT /issuetypescheme/{id}/issuetype`` (admin): the types join the scheme's project with
        its default workflow; one already there fails them all; the default scheme is refused."""
        refused = self._admin()
        if refused:
            return refused
        project = next((p for p in self.projects.values() if str(int(p["id"]) + 1) == scheme_id and p["key"] != DESK), None)
        if project is None:
            return Reply(400 if scheme_id == "10000" else 404, error(
                "The default issue type scheme cannot be changed here." if scheme_id == "10000" else "The issue type scheme was not found."))
        wanted = [str(i) for i in (body or {}).get("issueTypeIds") or []] if isinstance(body, dict) else []
        types = {t["id"]: t for t in self.issue_types.values()}
        if not wanted or any(i not in types for i in wanted):
            return Reply(404, error("These issue types were not found: " + ", ".join(i for i in wanted if i not in types)))
        present = [i for i in wanted if i in project["types"]]
        if present:
            return Reply(400, error("These issue types were not added because they are already present in the "
                                    "issue type scheme: " + ", ".join(present)))
        for type_id in wanted:
            self.install_workflow(project["key"], types[type_id]["name"], ["To Do", "In Progress", "Done"],
                                  [("To Do", "In Progress"), ("In Progress", "Done"), ("To Do", "Done"), ("Done", "To Do")],
                                  done={"Done"})
        return Reply(204)

    def get_statuses(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /status``: every status of every workflow."""
        return Reply(200, [self.status_bean(s["name"]) for s in self.statuses.values()])

    def get_link_types(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /issueLinkType``."""
        return Reply(200, {"issueLinkTypes": [self.link_type_bean(t) for t in self.link_types.values()]})

    def link_type_bean(self, link_type: dict[str, Any]) -> dict[str, Any]:
        """An ``IssueLinkType``."""
        return {**link_type, "self": f"{self.url}/rest/api/3/issueLinkType/{link_type['id']}"}

    def _admin(self) -> Reply | None:  # overridden by FakeJira
        return None
