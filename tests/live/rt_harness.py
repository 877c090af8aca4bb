"""The live-test harness for Request Tracker: makes source tickets, reads raw RT values.

Same API as ``tests/live/redmine_harness.py``; the contract tests only use this API.
"""

from __future__ import annotations

from pathlib import Path

from ci_plugin import config as config_module
from ci_plugin.ops.setup import setup
from ci_plugin.app import open_register
from tests.live.harness import HostHarness

QUEUES = {"incident": "General", "problem": "Problems", "project": "Projects"}
KIND_KEYS = {"sources": "source", "problems": "problem", "projects": "project", "changes": "change",
             "follow_ups": "follow_up"}
LINK_REFS = {"RefersTo": "refers-to", "ReferredToBy": "referred-to-by", "DependsOn": "depends-on",
             "DependedOnBy": "depended-on-by", "MemberOf": "parent", "HasMember": "child"}


def rt_provisioned(env: dict[str, str], tmp_path_factory) -> Path:
    """Write the base config for the live RT and complete its setup; return the config path."""
    path = tmp_path_factory.mktemp("rt") / "ci-plugin.toml"
    path.write_text(f'[host]\ntype = "rt"\nurl = "{env["CI_PLUGIN_RT_URL"]}"\n'
                    'token_env = "CI_PLUGIN_RT_TOKEN"\nretries = 1\n')
    report = setup(open_register(path))
    assert report.complete, f"setup of the live RT is incomplete: {report.failing}"
    return path


class RTHarness(HostHarness):
    """Helpers over the live RT for one test."""

    name = "rt"

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident",
               content: str = "Users cannot print after 5pm.", flagged: bool = False) -> str:
        """Create a source ticket of ``kind`` (incident, problem, project) directly in RT."""
        body = {"Queue": QUEUES[kind], "Subject": f"{subject} [{self.tag}]", "Content": content,
                "ContentType": "text/plain"}
        if flagged:
            body["CustomFields"] = {self._cf_name("candidate"): "yes"}
        return str(self.session.request("POST", "ticket", json=body).json()["id"])

    def raw(self, ticket_id: str) -> dict:
        """The ticket as REST2 returns it."""
        return self.session.request("GET", f"ticket/{ticket_id}").json()

    def field(self, ticket_id: str, key: str) -> list[str]:
        """Values of a register field's custom field, read straight from RT."""
        name = self._cf_name(key)
        for cf in self.raw(ticket_id).get("CustomFields", []):
            if cf["name"] == name:
                return [str(v) for v in cf["values"] if v is not None]  # RT shows a deleted value as null
        return []

    def status(self, ticket_id: str) -> str:
        return self.raw(ticket_id)["Status"]

    def linked(self, ticket_id: str, kind: str) -> list[str]:
        """Targets of ``kind``, read straight from RT: links of the configured type into the right
        queue (sources: those also recorded in the source field)."""
        if kind == "depends_on":
            ref = "depends-on"
        else:
            link_type = self.register.config.section("rt")["links"][KIND_KEYS[kind]]
            ref = LINK_REFS[link_type]
        found = [str(l["id"]) for l in self.raw(ticket_id).get("_hyperlinks", [])
                 if l.get("ref") == ref and l.get("type") == "ticket"]
        if kind == "sources":
            recorded = set(self.field(ticket_id, "source_tickets"))
            found = [t for t in found if t in recorded]
        elif kind != "depends_on":  # problems, projects, follow-ups: only links into their queue
            queue = {"problems": QUEUES["problem"], "projects": QUEUES["project"],
                     "changes": self.register.config.section("rt")["change_queue"],
                     "follow_ups": self.register.config.section("rt")["queue"]}[kind]
            found = [t for t in found if self._queue_name(t) == queue]
        return sorted(found, key=int)

    def _queue_name(self, ticket_id: str) -> str:
        queue_id = self.raw(ticket_id)["Queue"]["id"]
        return self.session.request("GET", f"queue/{queue_id}").json()["Name"]

    def comments(self, ticket_id: str) -> list[str]:
        """Text of every plain-text message on the ticket (its description and comments)."""
        answer = self.session.request("GET", f"ticket/{ticket_id}/attachments",
                                      params={"fields": "Content,ContentType", "per_page": 100}).json()
        return [item["Content"] for item in answer.get("items", [])
                if str(item.get("ContentType", "")).startswith("text/plain") and item.get("Content")]

    def add_dependency(self, ticket_id: str, on_id: str) -> None:
        """``ticket_id`` depends on ``on_id`` (RT DependsOn)."""
        self.session.request("PUT", f"ticket/{ticket_id}", json={"AddDependsOn": [on_id]})

    def child(self, parent_id: str, subject: str = "Delivery task") -> str:
        """A ticket of the incident queue that is a ``MemberOf`` child of ``parent_id``."""
        body = {"Queue": QUEUES["incident"], "Subject": f"{subject} [{self.tag}]", "Content": subject,
                "ContentType": "text/plain", "MemberOf": [str(parent_id)]}
        return str(self.session.request("POST", "ticket", json=body).json()["id"])

    def titled(self, text: str) -> list[str]:
        """Ids of every ticket whose subject contains ``text``."""
        answer = self.session.request("GET", "tickets", params={"query": f"Subject LIKE '{text}'", "per_page": 100}).json()
        return sorted((str(i["id"]) for i in answer["items"]), key=int)

    def resolve(self, ticket_id: str) -> None:
        """Put the ticket in an inactive status, as an agent finishing it does."""
        self.session.request("PUT", f"ticket/{ticket_id}", json={"Status": "resolved"})

    def record(self, ticket_id: str) -> dict:
        """Queue name, subject, owner, due date (YYYY-MM-DD or "") of a ticket, straight from RT."""
        raw = self.raw(ticket_id)
        owner = raw.get("Owner") or {}
        owner = owner.get("id") if isinstance(owner, dict) else owner
        due = str(raw.get("Due") or "")
        return {"container": self._queue_name(ticket_id), "title": raw["Subject"],
                "owner": "" if owner == "Nobody" else owner, "due": "" if due.startswith("1970") else due[:10]}

    def set_flag(self, ticket_id: str, value: str) -> None:
        self.session.request("PUT", f"ticket/{ticket_id}", json={"CustomFields": {self._cf_name("candidate"): value}})
