"""The live-test harness for Redmine: makes source issues, reads raw Redmine values.

Same API as ``tests/live/rt_harness.py``; the contract tests only use this API. Source issues
live in a project of their own (``helpdesk``, created through the API with the Bug, Support,
Problem and Project trackers), so that every improvement relates issues of two projects as it
would on a real service desk.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ci_plugin import config as config_module
from ci_plugin.errors import NotFound
from ci_plugin.ops.setup import setup
from ci_plugin.app import open_register
from ci_plugin.register import ImprovementRegister
from tests.live.harness import HostHarness

ROOT = Path(__file__).resolve().parents[2]
HOST_SCRIPT = ROOT / "scripts" / "redmine-host.sh"
HELPDESK = "helpdesk"
INCIDENT_TRACKER = "Bug"
KIND_KEYS = {"sources": "source", "problems": "problem", "projects": "project", "changes": "change",
             "follow_ups": "follow_up"}
REVERSE = {"relates": "relates", "duplicates": "duplicated", "duplicated": "duplicates", "blocks": "blocked",
           "blocked": "blocks", "precedes": "follows", "follows": "precedes", "copied_to": "copied_from",
           "copied_from": "copied_to"}


def run_provisioning(script_text: str, workdir: Path) -> subprocess.CompletedProcess:
    """Run a provisioning script on the live Redmine (``scripts/redmine-host.sh provision``)."""
    script = workdir / "ci-plugin-provision.rb"
    script.write_text(script_text)
    return subprocess.run(["bash", str(HOST_SCRIPT), "provision", str(script)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


def provision_config(path: Path) -> ImprovementRegister:
    """Complete the setup of the config at ``path``: API first, then the script if needed."""
    register = open_register(path)
    report = setup(register)
    if not report.complete:
        assert report.pending, f"setup is incomplete and offers no manual step: {report.failing}"
        done = run_provisioning(report.pending[0].content, path.parent)
        assert done.returncode == 0, f"provisioning script failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        register = open_register(path)
        report = setup(register)
    assert report.complete, f"setup of the live Redmine is incomplete: {report.failing}"
    return register


def redmine_provisioned(env: dict[str, str], tmp_path_factory) -> Path:
    """Write the base config for the live Redmine and complete its setup; return the config path."""
    path = tmp_path_factory.mktemp("redmine") / "ci-plugin.toml"
    path.write_text(f'[host]\ntype = "redmine"\nurl = "{env["CI_PLUGIN_REDMINE_URL"]}"\n'
                    'token_env = "CI_PLUGIN_REDMINE_KEY"\nretries = 1\n')
    provision_config(path)
    return path


class RedmineHarness(HostHarness):
    """Helpers over the live Redmine for one test."""

    name = "redmine"
    _helpdesk_id: int | None = None  # the source project, shared by every test of the session

    def __init__(self, base_config_path: Path, tmp_path: Path, url: str):
        super().__init__(base_config_path, tmp_path, url)
        self._projects = 0

    @property
    def settings(self) -> dict:
        return self.register.config.section("redmine")

    # --- raw Redmine ----------------------------------------------------------------------------

    def raw(self, ticket_id: str, include: str = "") -> dict:
        """The issue as Redmine's REST API returns it."""
        params = {"include": include} if include else None
        return self.session.request("GET", f"issues/{ticket_id}.json", params=params).json()["issue"]

    def tracker_id(self, name: str) -> int:
        trackers = self.session.request("GET", "trackers.json").json()["trackers"]
        return next(t["id"] for t in trackers if t["name"] == name)

    def cf(self, name: str) -> dict:
        fields = self.session.request("GET", "custom_fields.json").json()["custom_fields"]
        return next(f for f in fields if f["name"] == name)

    def helpdesk(self) -> int:
        """Id of the project holding source issues (created, or completed, on first use)."""
        if RedmineHarness._helpdesk_id is None:
            wanted = [self.tracker_id(n) for n in (INCIDENT_TRACKER, "Support", self.settings["problem_tracker"],
                                                   self.settings["project_tracker"])]
            try:
                project = self.session.request("GET", f"projects/{HELPDESK}.json", params={"include": "trackers"}).json()["project"]
            except NotFound:
                body = {"project": {"name": "Helpdesk", "identifier": HELPDESK, "tracker_ids": wanted, "is_public": False}}
                project = self.session.request("POST", "projects.json", json=body).json()["project"]
            else:
                have = [t["id"] for t in project.get("trackers", [])]
                if set(wanted) - set(have):
                    self.session.request("PUT", f"projects/{project['id']}.json",
                                         json={"project": {"tracker_ids": sorted(set(have) | set(wanted))}})
            RedmineHarness._helpdesk_id = int(project["id"])
        return RedmineHarness._helpdesk_id

    # --- the harness API ------------------------------------------------------------------------

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident",
               content: str = "Users cannot print after 5pm.", flagged: bool = False) -> str:
        """Create a source record of ``kind`` (incident: a Bug; problem; project) directly in Redmine.

        With ``project_mode = "project"`` a ``project`` is a Redmine project: its identifier is returned.
        """
        if kind == "project" and self.settings["project_mode"] == "project":
            self._projects += 1
            ident = f"p-{self.tag}-{self._projects}"
            body = {"project": {"name": f"{subject} [{self.tag}]", "identifier": ident, "description": content}}
            return self.session.request("POST", "projects.json", json=body).json()["project"]["identifier"]
        tracker = {"incident": INCIDENT_TRACKER, "problem": self.settings["problem_tracker"],
                   "project": self.settings["project_tracker"]}[kind]
        tracker_id = self.tracker_id(tracker)
        issue = {"project_id": self.helpdesk(), "tracker_id": tracker_id, "subject": f"{subject} [{self.tag}]",
                 "description": content}
        if flagged:
            issue["custom_fields"] = [{"id": self.cf(self._cf_name("candidate"))["id"],
                                       "value": self.register.config.section("candidate")["value"]}]
        created = self.session.request("POST", "issues.json", json={"issue": issue}).json()["issue"]
        assert created["tracker"]["id"] == tracker_id, f"Redmine replaced tracker {tracker} by {created['tracker']}"
        return str(created["id"])

    def _raw_field(self, ticket_id: str, name: str):
        for cf in self.raw(ticket_id).get("custom_fields", []):
            if cf["name"] == name:
                return cf.get("value")
        return None

    def field(self, ticket_id: str, key: str) -> list[str]:
        """Values of a register field's custom field as an agent reads them in Redmine (ids split)."""
        return self.values_of(key, self._raw_field(ticket_id, self._cf_name(key)))

    def status(self, ticket_id: str) -> str:
        return self.raw(ticket_id)["status"]["name"]

    def status_name(self, state: str) -> str:
        """The Redmine status this desk gives ``state``: Redmine's stock ``New``/``Closed``/``Rejected``
        on a desk provisioned fresh, the lowercase twins on one an earlier version provisioned."""
        return self.register.host.desk_states().host_status(state)

    def _relations(self, ticket_id: str) -> list[tuple[str, str]]:
        """``(other issue, relation type seen from ticket_id)`` of every relation."""
        pairs = []
        for rel in self.raw(ticket_id, "relations").get("relations", []):
            if str(rel["issue_id"]) == str(ticket_id):
                pairs.append((str(rel["issue_to_id"]), rel["relation_type"]))
            else:
                pairs.append((str(rel["issue_id"]), REVERSE[rel["relation_type"]]))
        return pairs

    def _trackers_of(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        answer = self.session.request("GET", "issues.json",
                                      params={"issue_id": ",".join(ids), "status_id": "*", "limit": 100}).json()
        return {str(i["id"]): i["tracker"]["name"] for i in answer["issues"]}

    def linked(self, ticket_id: str, kind: str) -> list[str]:
        """Targets of ``kind``, read straight from Redmine: relations of the configured type to issues
        of the right tracker (sources: those recorded in the source field; projects in project mode:
        the project field)."""
        settings = self.settings
        if kind == "projects" and settings["project_mode"] == "project":
            raw = self._raw_field(ticket_id, settings["project_field"])
            return [part for part in str(raw or "").split(",") if part]
        relation_type = "blocked" if kind == "depends_on" else settings["links"][KIND_KEYS[kind]]
        pairs = [other for other, rtype in self._relations(ticket_id) if rtype == relation_type]
        if kind == "sources":
            recorded = set(self.field(ticket_id, "source_tickets"))
            found = [o for o in pairs if o in recorded]
        elif kind == "depends_on":
            found = pairs
        else:
            tracker = {"problems": settings["problem_tracker"], "projects": settings["project_tracker"],
                       "changes": settings["change_tracker"], "follow_ups": settings["tracker"]}[kind]
            trackers = self._trackers_of(pairs)
            found = [o for o in pairs if trackers.get(o) == tracker]
        return sorted(set(found), key=int)

    def comments(self, ticket_id: str) -> list[str]:
        """The issue's description and the text of every journal note."""
        issue = self.raw(ticket_id, "journals")
        texts = [issue["description"]] if issue.get("description") else []
        return texts + [j["notes"] for j in issue.get("journals", []) if j.get("notes")]

    def add_dependency(self, ticket_id: str, on_id: str) -> None:
        """``ticket_id`` depends on ``on_id``: in Redmine, ``on_id`` blocks ``ticket_id``."""
        self.session.request("POST", f"issues/{on_id}/relations.json",
                             json={"relation": {"issue_to_id": int(ticket_id), "relation_type": "blocks"}})

    def child(self, parent_id: str, subject: str = "Delivery task") -> str:
        """A Bug that is a subtask of issue ``parent_id``, in the parent's project (Bug is
        enabled there first if it is not)."""
        project_id = self.raw(parent_id)["project"]["id"]
        bug = self.tracker_id(INCIDENT_TRACKER)
        project = self.session.request("GET", f"projects/{project_id}.json", params={"include": "trackers"}).json()["project"]
        have = [t["id"] for t in project.get("trackers", [])]
        if bug not in have:
            self.session.request("PUT", f"projects/{project_id}.json", json={"project": {"tracker_ids": have + [bug]}})
        issue = {"project_id": project_id, "tracker_id": bug, "subject": f"{subject} [{self.tag}]",
                 "parent_issue_id": int(parent_id)}
        return str(self.session.request("POST", "issues.json", json={"issue": issue}).json()["issue"]["id"])

    def titled(self, text: str) -> list[str]:
        """Ids of every issue whose subject contains ``text``."""
        answer = self.session.request("GET", "issues.json", params={"subject": f"~{text}", "status_id": "*",
                                                                    "limit": 100}).json()
        return sorted((str(i["id"]) for i in answer["issues"]), key=int)

    def resolve(self, ticket_id: str) -> None:
        """Close the issue (Redmine's closed status "Closed"), as an agent finishing it does."""
        statuses = self.session.request("GET", "issue_statuses.json").json()["issue_statuses"]
        closed = next(s["id"] for s in statuses if s["name"] == "Closed")
        self.session.request("PUT", f"issues/{ticket_id}.json", json={"issue": {"status_id": closed}})
        assert self.raw(ticket_id)["status"]["id"] == closed, f"Redmine did not close issue {ticket_id}"

    def record(self, ticket_id: str) -> dict:
        """Tracker, subject, assignee and due date of an issue, straight from Redmine."""
        raw = self.raw(ticket_id)
        return {"container": raw["tracker"]["name"], "title": raw["subject"],
                "owner": (raw.get("assigned_to") or {}).get("name", ""), "due": raw.get("due_date") or ""}

    def set_flag(self, ticket_id: str, value: str) -> None:
        cf_id = self.cf(self._cf_name("candidate"))["id"]
        self.session.request("PUT", f"issues/{ticket_id}.json", json={"issue": {"custom_fields": [{"id": cf_id, "value": value}]}})
