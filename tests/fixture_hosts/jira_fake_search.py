"""The fake Jira's ``/search/jql``: JQL (``jira_fake_jql.py``) over the issues, pages by
``nextPageToken`` (an opaque token bound to its query; absent on the last page), ``maxResults``
50 by default and at most 100 when fields are asked for, ``fields`` the id only by default, and
Jira's refusal of an unbounded query. See ``jira_fake.py``."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from tests.fixture_hosts.jira_fake_issues import adf_text
from tests.fixture_hosts.jira_fake_jql import JqlError, Query
from tests.fixture_hosts.jira_fake_state import Reply, error


class SearchRoutes:
    """``/search/jql``, mixed into ``FakeJira`` (uses the issues of ``JiraState``)."""

    def _resolver(self, name: str):
        lowered = name.lower()
        system = {"project": lambda i: i["project"], "issuetype": lambda i: self._type(i)["name"],
                  "type": lambda i: self._type(i)["name"], "status": lambda i: i["status"],
                  "summary": lambda i: i["summary"], "text": lambda i: i["summary"] + " " + adf_text(i["description"]),
                  "key": lambda i: int(i["id"]), "id": lambda i: int(i["id"]), "issue": lambda i: int(i["id"]),
                  "created": lambda i: i["created"], "updated": lambda i: i["updated"],
                  "resolved": lambda i: i["resolutiondate"], "resolutiondate": lambda i: i["resolutiondate"],
                  "reporter": lambda i: i["reporter"], "assignee": lambda i: i["assignee"],
                  "parent": lambda i: int(i["parent"]) if i.get("parent") else None,
                  "component": lambda i: next((c["name"] for c in self.projects[i["project"]]["components"]
                                               if c["id"] in i.get("components", [])), None)}
        if lowered in system:
            return system[lowered]
        match = re.fullmatch(r"cf\[(\d+)\]", lowered)
        field = self.fields.get(f"customfield_{match.group(1)}") if match else \
            next((f for f in self.fields.values() if f["name"].lower() == lowered), None)
        if field is None:
            return None

        def value(issue: dict[str, Any]) -> Any:
            raw = issue["values"].get(field["id"])
            return raw.get("value") if isinstance(raw, dict) and "value" in raw else adf_text(raw) if isinstance(raw, dict) else raw
        return value

    def search(self, query: dict[str, str], body: Any) -> Reply:
        """``GET``/``POST /search/jql``: pages by ``nextPageToken``; an unbounded query is 400."""
        args = body if isinstance(body, dict) else query
        jql = str(args.get("jql") or "")
        try:
            parsed = Query(jql, self._resolver)
        except JqlError as exc:
            return Reply(400, error(str(exc)))
        if not parsed.clauses:
            return Reply(400, error("Unbounded JQL queries are not allowed here. Please add a search restriction to your query."))
        wanted = self._wanted(args.get("fields")) or ["id"]
        size = int(args.get("maxResults") or 50)
        size = max(1, min(size, 100 if wanted != ["id"] else 5000))
        found = [i for i in self.issues.values() if self._issue(i["id"]) is not None and parsed.matches(i)]
        found.sort(key=lambda i: int(i["id"]))
        for name, descending in reversed(parsed.order):
            get = self._resolver(name)
            found.sort(key=lambda i: (get(i) is None, get(i) if get(i) is not None else 0), reverse=descending)
        digest = hashlib.sha256(jql.encode()).hexdigest()[:12]
        start = 0
        if args.get("nextPageToken"):
            try:
                token = json.loads(base64.urlsafe_b64decode(str(args["nextPageToken"]).encode()))
                start = int(token["o"]) if token["q"] == digest else 1 / 0
            except (ValueError, KeyError, TypeError, ZeroDivisionError):
                return Reply(400, error("The provided next page token is invalid or expired."))
        page = found[start:start + size]
        answer: dict[str, Any] = {"issues": [self.render(i, wanted) for i in page], "isLast": start + size >= len(found)}
        if not answer["isLast"]:
            answer["nextPageToken"] = base64.urlsafe_b64encode(json.dumps({"o": start + size, "q": digest}).encode()).decode()
        return Reply(200, answer)
