"""What a bare ``requests`` script sends to do ci-plugin's job, for RT and Redmine: the yardstick
of ``bench/requests_per_op.py``.

Each class does the job with nothing but ``requests``: convert a ticket (find an improvement
that already records it, else create one with the source field and the link, then comment on
the source), convert it again (found: nothing written), link an improvement to a problem
record, list the register. It knows the host's ids up front, as a hand-written script would
have them typed in (looked up once when it is built, not counted), checks nothing ci-plugin
checks beyond what the job needs (is the problem a problem record), and does no race settling,
no repair of an interrupted conversion and no validation. Every request it sends is counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests


class Bare:
    """A counted ``requests.Session`` against one host."""

    def __init__(self, base: str, headers: dict[str, str]):
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.http.headers.update({"Content-Type": "application/json", **headers})
        self.counts: Counter[str] = Counter()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One counted request; the JSON answer (or None)."""
        self.counts[method] += 1
        answer = self.http.request(method, f"{self.base}/{path}", timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content and answer.content.strip()[:1] in (b"{", b"[") else None

    @property
    def sent(self) -> int:
        """Requests sent so far."""
        return sum(self.counts.values())


class BareRT(Bare):
    """RT 5 REST2 by hand: queue and field *names* are all a script needs."""

    def __init__(self, url: str, token: str, *, queue: str, problem_queue: str, source_cf: str,
                 kind_cf: str, source_link: str, problem_link: str):
        super().__init__(url + "/REST/2.0", {"Authorization": f"token {token}"})
        self.queue, self.source_cf, self.kind_cf = queue, source_cf, kind_cf
        self.source_link, self.problem_link = source_link, problem_link
        self.problem_queue_id = str(self.http.get(f"{self.base}/queue/{problem_queue}", timeout=30).json()["id"])

    def convert(self, source: str) -> str:
        """The improvement of ``source``: found (2 requests) or created (5)."""
        ticket = self.call("GET", f"ticket/{source}")
        sql = f"Queue = '{self.queue}' AND CF.{{{self.source_cf}}} = '{source}'"
        found = self.call("GET", "tickets", params={"query": sql, "fields": "id"})["items"]
        if found:
            return str(found[0]["id"])
        parts = self.call("GET", f"ticket/{source}/attachments", params={"fields": "Content,ContentType", "per_page": 5})
        text = next((p["Content"] for p in parts["items"] if p.get("ContentType", "").startswith("text/plain")), "")
        made = self.call("POST", "ticket", json={
            "Queue": self.queue, "Subject": ticket["Subject"], "ContentType": "text/plain",
            "Content": f"Converted from ticket #{source}: {ticket['Subject']}\n\n{text}",
            "CustomFields": {self.source_cf: [source], self.kind_cf: "incident"}, self.source_link: [source]})
        new = str(made["id"])
        self.call("POST", f"ticket/{source}/comment", json={
            "Content": f"Converted into improvement #{new}: {ticket['Subject']}", "ContentType": "text/plain"})
        return new

    def link(self, improvement: str, problem: str) -> None:
        """Link to a problem record (3 requests)."""
        record = self.call("GET", f"ticket/{problem}")
        queue = record.get("Queue") or {}
        if str(queue.get("id") if isinstance(queue, dict) else queue) != self.problem_queue_id:
            raise ValueError(f"{problem} is not a problem record")
        self.call("PUT", f"ticket/{improvement}", json={f"Add{self.problem_link}": [problem]})
        self.call("POST", f"ticket/{improvement}/comment", json={"Content": f"Linked to problem #{problem}",
                                                                 "ContentType": "text/plain"})

    def register(self) -> int:
        """Every improvement, page by page; how many."""
        page, seen = 1, 0
        while True:
            answer = self.call("GET", "tickets", params={"query": f"Queue = '{self.queue}'", "page": page, "per_page": 100,
                                                         "fields": "Subject,Status,CustomFields"})
            seen += len(answer["items"])
            if page >= int(answer.get("pages") or 1) or not answer["items"]:
                return seen
            page += 1


class BareRedmine(Bare):
    """Redmine 5 REST by hand: the project, tracker and custom-field ids typed in."""

    def __init__(self, url: str, key: str, *, project: str, tracker: str, problem_tracker: str,
                 source_cf: str, kind_cf: str):
        super().__init__(url, {"X-Redmine-API-Key": key})
        lookup = lambda path: self.http.get(f"{self.base}/{path}", timeout=30).json()  # noqa: E731 - not counted
        self.project_id = lookup(f"projects/{project}.json")["project"]["id"]
        trackers = {t["name"]: t["id"] for t in lookup("trackers.json")["trackers"]}
        self.tracker_id, self.problem_tracker_id = trackers[tracker], trackers[problem_tracker]
        fields = {cf["name"]: cf["id"] for cf in lookup("custom_fields.json")["custom_fields"]}
        self.source_cf, self.kind_cf = fields[source_cf], fields[kind_cf]

    def convert(self, source: str) -> str:
        """The improvement of ``source``: found (2 requests) or created (5)."""
        issue = self.call("GET", f"issues/{source}.json")["issue"]
        found = self.call("GET", "issues.json", params={
            "project_id": self.project_id, "tracker_id": self.tracker_id, "status_id": "*",
            f"cf_{self.source_cf}": f"~,{source},"})["issues"]
        if found:
            return str(found[0]["id"])
        made = self.call("POST", "issues.json", json={"issue": {
            "project_id": self.project_id, "tracker_id": self.tracker_id, "subject": issue["subject"],
            "description": f"Converted from ticket #{source}: {issue['subject']}\n\n{issue.get('description') or ''}",
            "custom_fields": [{"id": self.source_cf, "value": f",{source},"}, {"id": self.kind_cf, "value": "incident"}]}})
        new = str(made["issue"]["id"])
        self.call("POST", f"issues/{new}/relations.json", json={"relation": {"issue_to_id": int(source), "relation_type": "relates"}})
        self.call("PUT", f"issues/{source}.json", json={"issue": {
            "notes": f"Converted into improvement #{new}: {issue['subject']}", "private_notes": True}})
        return new

    def link(self, improvement: str, problem: str) -> None:
        """Link to a problem record (3 requests)."""
        record = self.call("GET", f"issues/{problem}.json")["issue"]
        if record["tracker"]["id"] != self.problem_tracker_id:
            raise ValueError(f"{problem} is not a problem record")
        self.call("POST", f"issues/{improvement}/relations.json",
                  json={"relation": {"issue_to_id": int(problem), "relation_type": "relates"}})
        self.call("PUT", f"issues/{improvement}.json", json={"issue": {"notes": f"Linked to problem #{problem}",
                                                                       "private_notes": True}})

    def register(self) -> int:
        """Every improvement, page by page; how many."""
        offset = 0
        while True:
            answer = self.call("GET", "issues.json", params={"project_id": self.project_id, "tracker_id": self.tracker_id,
                                                             "status_id": "*", "limit": 100, "offset": offset})
            offset += len(answer["issues"])
            if offset >= answer["total_count"] or not answer["issues"]:
                return offset
