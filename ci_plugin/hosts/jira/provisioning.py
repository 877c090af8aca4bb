"""``setup`` and ``doctor`` on Jira Cloud: what the API creates, what an admin does, what is checked.

Through the API (it needs *Administer Jira*): the register's issue type (``POST /issuetype``;
a 409 means it exists), one custom field per register field (``POST /field``, with the type of
:func:`~ci_plugin.hosts.jira.records.field_type` and its searcher), the options of the select
fields in their global context (``POST /field/{id}/context/{ctx}/option``), and the register's
and delivery records' issue types in the project's issue type scheme
(``PUT /issuetypescheme/{id}/issuetype``; Jira refuses it for the default scheme). What the REST
API does not do, the one manual step: adding the issue types to the scheme where that was
refused, giving the register's issue type a workflow with the register's statuses and transitions
(in the project's workflow scheme), and putting the fields on its screens (and the candidate
field on the screens of the candidate issue types). ``doctor`` checks the issue type, that it
is in the project, every field (type and options), the screen, every status of the workflow
and the link types.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.workflow import FINAL_STATES, STATES, TRANSITIONS
from ci_plugin.errors import HostRefused, NotFound, PermissionDenied
from ci_plugin.hosts.base import Change, Finding, ManualStep
from ci_plugin.hosts.jira.metadata import MISSING, SELECT
from ci_plugin.hosts.jira.records import JiraRecords, field_type

#: The searcher of each custom field type (what makes the field searchable in JQL).
SEARCHERS = {
    SELECT: "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher",
    "com.atlassian.jira.plugin.system.customfieldtypes:float": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
    "com.atlassian.jira.plugin.system.customfieldtypes:datepicker": "com.atlassian.jira.plugin.system.customfieldtypes:daterange",
    "com.atlassian.jira.plugin.system.customfieldtypes:textfield": "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher",
    "com.atlassian.jira.plugin.system.customfieldtypes:textarea": "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher",
}
MANUAL = "ci-plugin-jira-workflow.txt"


class JiraProvisioning(JiraRecords):
    """``provision``, ``manual_steps`` and ``check``."""

    def _choices(self, key: str) -> list[str]:
        spec = register_fields.BY_KEY[key]
        if spec.kind == "flag":
            return [v for v in (self.candidate["value"], self.candidate["cleared"]) if v]
        return list(spec.choices)

    # --- provision ----------------------------------------------------------------------------

    def provision(self) -> list[Change]:
        """Create the issue type, the custom fields and the select options that are missing, and
        add the issue types to the project's issue type scheme where Jira lets the API do it."""
        changes = [self._provision_type()]
        for spec in register_fields.FIELDS:
            changes += self._provision_field(spec.key)
        changes += self._provision_scheme()
        return changes

    def _provision_scheme(self) -> list[Change]:
        """``PUT /issuetypescheme/{id}/issuetype`` with the register's and the delivery records'
        issue types missing from the project; a refusal (the default scheme, no permission) is
        left to the manual step, which doctor then reports."""
        names = (self.type_name, self.settings["project_type"], self.settings["change_type"])
        absent = [t for t in (self.issue_type(n) for n in names) if t is not None and not self._in_project(str(t["id"]))]
        if not absent:
            return []
        project = self.session.request("GET", f"project/{self.project_key}").json()
        found = self.session.request("GET", "issuetypescheme/project", params={"projectId": project["id"]}).json()
        schemes = [v.get("issueTypeScheme") or {} for v in found.get("values") or []]
        if not schemes or schemes[0].get("isDefault"):
            return []  # the default scheme holds every issue type already: the manual step says what is left
        try:
            self.session.request("PUT", f"issuetypescheme/{schemes[0]['id']}/issuetype",
                                 json={"issueTypeIds": [str(t["id"]) for t in absent]})
        except (HostRefused, PermissionDenied):
            return []
        return [Change("updated", f"issue type scheme {schemes[0].get('name', schemes[0]['id'])}: added "
                                  + ", ".join(str(t["name"]) for t in absent))]

    def _provision_type(self) -> Change:
        if self.issue_type(self.type_name) is not None:
            return Change("unchanged", f"issue type {self.type_name}")
        try:
            self.session.request("POST", "issuetype", json={
                "name": self.type_name, "hierarchyLevel": 0,
                "description": "Continual improvement register (ci-plugin)"})
        except HostRefused as exc:
            if exc.status != 409:
                raise
        self._types = None
        return Change("created", f"issue type {self.type_name}")

    def _provision_field(self, key: str) -> list[Change]:
        name, wanted = self.cf_names[key], field_type(key)
        changes = []
        field = self.field_named(name)
        if field is None:
            field = self.session.request("POST", "field", json={
                "name": name, "type": wanted, "searcherKey": SEARCHERS[wanted],
                "description": f"{register_fields.BY_KEY[key].description} (ci-plugin)"}).json()
            self._fields = None
            changes.append(Change("created", f"field {name}"))
        if wanted == SELECT and (field.get("schema") or {}).get("custom") == SELECT:
            context, have = self._options(field["id"])
            absent = [c for c in self._choices(key) if c not in have]
            if context is not None and absent:
                self.session.request("POST", f"field/{field['id']}/context/{context}/option",
                                     json={"options": [{"value": v, "disabled": False} for v in absent]})
                changes.append(Change("updated", f"field {name}: options {', '.join(absent)}"))
        return changes or [Change("unchanged", f"field {name}")]

    def _options(self, field_id: str) -> tuple[str | None, list[str]]:
        """The global context of a select field and its option values (all pages)."""
        contexts = self.session.request("GET", f"field/{field_id}/context").json().get("values") or []
        context = next((c for c in contexts if c.get("isGlobalContext")), contexts[0] if contexts else None)
        if context is None:
            return None, []
        values, start = [], 0
        while True:
            page = self.session.request("GET", f"field/{field_id}/context/{context['id']}/option",
                                        params={"startAt": start, "maxResults": 100}).json()
            items = page.get("values") or []
            values += [str(o.get("value")) for o in items if not o.get("disabled")]
            start += len(items)
            if page.get("isLast", True) or not items:
                return str(context["id"]), values

    # --- the manual step ----------------------------------------------------------------------

    def manual_steps(self) -> list[ManualStep]:
        """Issue type scheme, workflow and screens: what an administrator does in Jira's settings."""
        status = self.states.host_status
        lines = [
            "# Jira Cloud: what `ci-plugin setup` cannot do through the REST API. An administrator does",
            "# it once, in Jira's settings (company-managed project).",
            "# 1. Project settings > Issue types: the issue types below in the project's issue type scheme",
            "#    (setup adds them through the API, except to the default scheme, which Jira refuses).",
            f"project: {self.project_key}",
            f"issue type: {self.type_name}",
            "#    and the issue types of the delivery records `plan` creates (with any workflow whose",
            "#    finished statuses are in the Done category):",
            f"delivery type: {self.settings['project_type']}",
            f"delivery type: {self.settings['change_type']}",
            "# 2. Settings > Issues > Workflows: a workflow with these statuses (the first is the initial",
            "#    one; the 'done' ones in the Done category) and these transitions, then assign it to the",
            "#    issue type in the project's workflow scheme.",
            *[f"status: {status(s)}" for s in STATES],
            *[f"done: {status(s)}" for s in FINAL_STATES],
            *[f"transition: {status(a)} -> {status(b)}" for a in STATES for b in TRANSITIONS[a]],
            "# 3. Screens: put each field on the create, edit and view screens of these issue types.",
            *[f"screen: {self.type_name}: {self.cf_names[s.key]}" for s in register_fields.IMPROVEMENT_FIELDS],
            *[f"screen: {t}: {self.cf_names['candidate']}" for t in self.settings["candidate_types"]],
        ]
        return [ManualStep(
            title=f"Add issue type {self.type_name} to project {self.project_key}, with its workflow and screens",
            why="Jira's REST API creates issue types and custom fields, but does not add an issue type to a "
                "company-managed project's schemes, give it a workflow, or put fields on its screens: until then "
                "Jira refuses to create improvements and to set the fields.",
            content="\n".join(lines) + "\n", filename=MANUAL, fixes=("issue type", "status", "screen"))]

    # --- check --------------------------------------------------------------------------------

    def check(self) -> list[Finding]:
        """Issue type (and in the project), fields, screen, statuses, link types."""
        findings = []
        issue_type = self.issue_type(self.type_name)
        findings.append(Finding(f"issue type {self.type_name}", issue_type is not None, "" if issue_type else MISSING))
        in_project = issue_type is not None and self._in_project(str(issue_type["id"]))
        findings.append(Finding(f"issue type {self.type_name} in project {self.project_key}", in_project,
                                "" if in_project else "not in the project's issue type scheme: "
                                                      "`ci-plugin setup --print-provisioning`"))
        for setting in ("project_type", "change_type"):
            name = self.settings[setting]
            found = self.issue_type(name)
            ok = found is not None and self._in_project(str(found["id"]))
            findings.append(Finding(f"issue type {name} in project {self.project_key}", ok, "" if ok else
                                    "delivery records (`plan`) need it: `ci-plugin setup --print-provisioning`"))
        findings += [self._check_field(spec.key) for spec in register_fields.FIELDS]
        if in_project:
            findings.append(self._check_screen(str(issue_type["id"])))
        findings += self._check_statuses(in_project)
        names = {str(t.get("name")) for t in self.issue_link_types()}
        for kind, link_type in sorted(self.link_types.items()):
            ok = link_type in names
            findings.append(Finding(f"link type {link_type} ({kind})", ok, "" if ok else
                                    "no such issue link type (Settings > Issues > Issue linking)"))
        return findings

    def _in_project(self, type_id: str) -> bool:
        answer = self.session.request("GET", f"issue/createmeta/{self.project_key}/issuetypes").json()
        return any(str(t.get("id")) == type_id for t in answer.get("issueTypes") or [])

    def _check_field(self, key: str) -> Finding:
        name, wanted = self.cf_names[key], field_type(key)
        field = self.field_named(name)
        if field is None:
            return Finding(f"field {name}", False, MISSING)
        have = (field.get("schema") or {}).get("custom")
        if have != wanted:
            return Finding(f"field {name}", False, f"type is {have!r}, ci-plugin needs {wanted!r}: rename or delete "
                                                   "it, then run `ci-plugin setup`")
        if wanted == SELECT:
            try:
                have: list[str] | None = self._options(field["id"])[1]
            except PermissionDenied:  # not an administrator: the create screen shows the allowed values
                have = self._allowed_values(key, field["id"])
                if have is None:
                    return Finding(f"field {name}", True, "options not checked: reading them needs Administer Jira")
            absent = [c for c in self._choices(key) if c not in have]
            if absent:
                return Finding(f"field {name}", False, f"options lack {', '.join(absent)}: run `ci-plugin setup`")
        return Finding(f"field {name}", True)

    def _allowed_values(self, key: str, field_id: str) -> list[str] | None:
        """The values the register's create screen allows for a select field (what a non-admin
        may read), None when the screen does not tell."""
        found = self.issue_type(self.type_name)
        if found is None or register_fields.BY_KEY[key].on_candidates:
            return None
        try:
            answer = self.session.request("GET", f"issue/createmeta/{self.project_key}/issuetypes/{found['id']}",
                                          params={"maxResults": 200}).json()
        except (HostRefused, NotFound, PermissionDenied):
            return None
        meta = next((f for f in answer.get("fields") or [] if f.get("fieldId") == field_id), None)
        return None if meta is None else [str(v.get("value")) for v in meta.get("allowedValues") or []]

    def _check_screen(self, type_id: str) -> Finding:
        answer = self.session.request("GET", f"issue/createmeta/{self.project_key}/issuetypes/{type_id}",
                                      params={"maxResults": 200}).json()
        on_screen = {str(f.get("name")) for f in answer.get("fields") or []}
        absent = [self.cf_names[s.key] for s in register_fields.IMPROVEMENT_FIELDS if self.cf_names[s.key] not in on_screen]
        return Finding(f"screen {self.type_name}", not absent, "" if not absent else
                       f"not on the screen: {', '.join(absent)} (`ci-plugin setup --print-provisioning`)")

    def _check_statuses(self, in_project: bool) -> list[Finding]:
        have: set[str] = set()
        if in_project:
            for entry in self.session.request_json("GET", f"project/{self.project_key}/statuses", expect=list):
                if str(entry.get("name", "")).lower() == self.type_name.lower():
                    have = {str(s.get("name", "")).lower() for s in entry.get("statuses") or []}
        findings = []
        for state in STATES:
            name = self.states.host_status(state)
            ok = name.lower() in have
            findings.append(Finding(f"status {name}", ok, "" if ok else
                                    f"not in the workflow of {self.type_name}: `ci-plugin setup --print-provisioning`"))
        return findings

    def container_name(self, ticket: Any) -> str:
        """The issue type of the ticket (``stats`` counts improvements per source issue type)."""
        return ticket.container
