"""The contract-suite harness for Jira Service Management Cloud, backed by ``jira_fake.py``.

Same API as ``zammad_harness.py`` (and ``tests/live/rt_harness.py``); the contract tests only
use this API. :func:`jira_session` is what the session fixture yields: it starts the fake on a
loopback port (ephemeral, so ``ci-plugin`` in a subprocess reaches it too) with the OpenAPI
checker of ``openapi_check.py`` watching every exchange, and provisions the register: ``setup``
through the API, then the printed manual step applied in the fake's admin console (as an
administrator does in Jira's settings), then ``setup`` again, which must be complete.

Raw reads go straight to Jira's REST API and decode ADF here, with code of their own, so the
tests do not trust the adapter they test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ci_plugin.app import open_register
from ci_plugin.ops.setup import setup
from tests.fixture_hosts.environment import exported
from tests.fixture_hosts.jira_fake import FakeJira
from tests.fixture_hosts.jira_fake_state import ADMIN, DESK
from tests.fixture_hosts.openapi_check import OpenApiChecker
from tests.live.harness import HostHarness

TOKEN_ENV = "CI_PLUGIN_JIRA_TOKEN"
ISSUE_TYPES = {"incident": "Incident", "problem": "Problem", "project": "Epic", "change": "Change"}
#: Per link kind: (link type setting, the side the *other* issue is on, seen from the improvement,
#: the other issue's type, ``None``: any).
KINDS = {"sources": ("source", "outwardIssue", None), "problems": ("problem", "inwardIssue", "Problem"),
         "projects": ("project", "outwardIssue", "Epic"), "changes": ("change", "outwardIssue", "Change"),
         "follow_ups": ("follow_up", "outwardIssue", "Improvement"),
         "depends_on": ("depends_on", "inwardIssue", "Improvement")}


def adf_plain(document) -> str:
    """The text of an ADF document, one line per paragraph (the harness's own decoding)."""
    if not isinstance(document, dict):
        return "" if document is None else str(document)
    return "\n".join("".join(n.get("text", "") for n in block.get("content") or [] if isinstance(n, dict))
                     for block in document.get("content") or [] if isinstance(block, dict))


def provision(path: Path, fake: FakeJira) -> None:
    """Complete the setup of the config at ``path``: API first, then the manual step."""
    report = setup(open_register(path))
    if not report.complete:
        assert [m.filename for m in report.pending] == ["ci-plugin-jira-workflow.txt"], report.failing
        fake.apply_manual_step(report.pending[0].content)  # what the admin does with the printed step
        report = setup(open_register(path))
    assert report.complete, f"setup of the fake Jira is incomplete: {report.failing}"


@dataclass
class JiraSession:
    """What the session fixture yields: the running fake, its checker and the base config."""

    fake: FakeJira
    checker: OpenApiChecker
    base_config: Path

    @property
    def url(self) -> str:
        """Base URL of the fake site."""
        return self.fake.url


@contextlib.contextmanager
def jira_session(tmp_path_factory) -> Iterator[JiraSession]:
    """Start the fake (checked against the OpenAPI description), provision the register."""
    checker = OpenApiChecker()
    with FakeJira(checker=checker) as fake, exported({TOKEN_ENV: fake.token}):
        path = tmp_path_factory.mktemp("jira") / "ci-plugin.toml"
        path.write_text(f'[host]\ntype = "jira"\nurl = "{fake.url}"\ntoken_env = "{TOKEN_ENV}"\nretries = 1\n\n'
                        f'[jira]\nemail = "{ADMIN}"\n')
        provision(path, fake)
        assert checker.take() == [], "setup sent or got what Jira's OpenAPI description does not allow"
        yield JiraSession(fake, checker, path)


def jira_harness(session: JiraSession, tmp_path: Path) -> JiraHarness:
    """The value of the per-test ``jira`` fixture."""
    return JiraHarness(session.base_config, tmp_path, session.url, session.fake)


class JiraHarness(HostHarness):
    """Helpers over the fake Jira for one test."""

    name = "jira"

    def __init__(self, base_config_path: Path, tmp_path: Path, url: str, fake: FakeJira):
        super().__init__(base_config_path, tmp_path, url)
        self.fake = fake

    @property
    def adapter(self):
        """The Jira adapter of the register."""
        return self.register.host

    def _field_id(self, key: str) -> str:
        name = self._cf_name(key)
        return next(f["id"] for f in self.session.request("GET", "field").json() if f.get("custom") and f["name"] == name)

    # --- raw Jira -------------------------------------------------------------------------------

    def raw(self, ticket_id: str) -> dict:
        """The issue as Jira's API returns it (every field)."""
        return self.session.request("GET", f"issue/{ticket_id}", params={"fields": "*all"}).json()

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident",
               content: str = "Users cannot print after 5pm.", flagged: bool = False) -> str:
        """Create an issue of ``kind`` in the service desk project, straight through the API."""
        fields = {"project": {"key": DESK}, "issuetype": {"name": ISSUE_TYPES[kind]}, "summary": f"{subject} [{self.tag}]",
                  "description": {"type": "doc", "version": 1,
                                  "content": [{"type": "paragraph", "content": [{"type": "text", "text": content}]}]}}
        if flagged:
            fields[self._field_id("candidate")] = {"value": self.register.config.section("candidate")["value"]}
        return str(self.session.request("POST", "issue", json={"fields": fields}).json()["id"])

    def field(self, ticket_id: str, key: str) -> list[str]:
        """Values of a register field's custom field, as an agent reads them (ids split)."""
        raw = self.raw(ticket_id)["fields"].get(self._field_id(key))
        if isinstance(raw, dict) and "value" in raw:
            raw = raw["value"]
        elif isinstance(raw, dict):
            raw = adf_plain(raw)
        elif isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return self.values_of(key, raw)

    def status(self, ticket_id: str) -> str:
        """Name of the issue's status."""
        return self.raw(ticket_id)["fields"]["status"]["name"]

    def linked(self, ticket_id: str, kind: str) -> list[str]:
        """Targets of ``kind``, read straight from the issue links: the kind's link type, the
        other issue on the kind's side and of the kind's issue type (sources: also recorded)."""
        setting, side, issue_type = KINDS[kind]
        link_type = self.register.config.section("jira").get("links", {}).get(setting) or self.adapter.link_types[setting]
        found = {str(l[side]["id"]) for l in self.raw(ticket_id)["fields"]["issuelinks"]
                 if l["type"]["name"] == link_type and side in l
                 and (issue_type is None or l[side]["fields"]["issuetype"]["name"] == issue_type)}
        if kind == "sources":
            found &= set(self.field(ticket_id, "source_tickets"))
        return sorted(found, key=int)

    def comments(self, ticket_id: str) -> list[str]:
        """The description and the body of every comment."""
        texts = [adf_plain(self.raw(ticket_id)["fields"].get("description"))]
        start = 0
        while True:
            page = self.session.request("GET", f"issue/{ticket_id}/comment", params={"startAt": start}).json()
            texts += [adf_plain(c["body"]) for c in page["comments"]]
            start += len(page["comments"])
            if start >= page["total"] or not page["comments"]:
                return [t for t in texts if t]

    def add_dependency(self, ticket_id: str, on_id: str) -> None:
        """``ticket_id`` depends on ``on_id``: ``on_id`` blocks ``ticket_id``."""
        self.session.request("POST", "issueLink", json={"type": {"name": "Blocks"}, "inwardIssue": {"id": str(on_id)},
                                                        "outwardIssue": {"id": str(ticket_id)}})

    def child(self, parent_id: str, subject: str = "Delivery task") -> str:
        """A task whose ``parent`` is ``parent_id`` (an epic's issue, a change's sub-task), in the
        parent's project."""
        project = self.raw(parent_id)["fields"]["project"]["key"]
        fields = {"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": f"{subject} [{self.tag}]",
                  "parent": {"id": str(parent_id)}}
        return str(self.session.request("POST", "issue", json={"fields": fields}).json()["id"])

    def titled(self, text: str) -> list[str]:
        """Ids of every issue whose summary holds the words of ``text``."""
        jql = f'summary ~ "{text}" ORDER BY key ASC'
        return [i["id"] for i in self.session.request("POST", "search/jql", json={"jql": jql, "maxResults": 100}).json()["issues"]]

    def resolve(self, ticket_id: str) -> None:
        """Move the issue to ``Resolved`` through the transition leading there."""
        moves = self.session.request("GET", f"issue/{ticket_id}/transitions").json()["transitions"]
        move = next(t for t in moves if t["to"]["name"] == "Resolved")
        self.session.request("POST", f"issue/{ticket_id}/transitions", json={"transition": {"id": move["id"]}})

    def reopen(self, ticket_id: str) -> None:
        """Move a resolved issue back to ``Open``."""
        moves = self.session.request("GET", f"issue/{ticket_id}/transitions").json()["transitions"]
        move = next(t for t in moves if t["to"]["name"] == "Open")
        self.session.request("POST", f"issue/{ticket_id}/transitions", json={"transition": {"id": move["id"]}})

    def record(self, ticket_id: str) -> dict:
        """Issue type, summary, assignee and due date, straight from Jira."""
        fields = self.raw(ticket_id)["fields"]
        return {"container": fields["issuetype"]["name"], "title": fields["summary"],
                "owner": (fields.get("assignee") or {}).get("emailAddress", ""), "due": fields.get("duedate") or ""}

    def set_flag(self, ticket_id: str, value: str) -> None:
        """Set the candidate field, as an agent does in Jira."""
        self.session.request("PUT", f"issue/{ticket_id}", json={"fields": {self._field_id("candidate"): {"value": value}}})
