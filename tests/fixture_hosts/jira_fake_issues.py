"""The fake Jira's issue endpoints: create, read, edit, delete, transitions, comments,
changelog and links (``/search/jql`` is in ``jira_fake_search.py``). See ``jira_fake.py``."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Any

from tests.fixture_hosts.jira_fake_state import AGENT, HIDDEN, SELECT, Reply, error, stamp

MISSING = "Issue does not exist or you do not have permission to see it."
NOT_SETTABLE = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."
TEXT_LIMIT, AREA_LIMIT = 255, 32767
SETTABLE = ("summary", "description", "assignee", "labels")


def adf_text(document: Any) -> str:
    """The text of an ADF document (for search and limits)."""
    if isinstance(document, dict):
        own = document.get("text") if document.get("type") == "text" else ""
        return (own or "") + "\n".join(adf_text(c) for c in document.get("content") or [])
    return ""


def is_adf(value: Any) -> bool:
    """Whether ``value`` is an ADF document."""
    return isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1 \
        and isinstance(value.get("content"), list)


class IssueRoutes:
    """Issue endpoints, mixed into ``FakeJira`` (uses the state of ``JiraState``)."""

    # --- helpers ------------------------------------------------------------------------------

    def _issue(self, ref: str) -> dict[str, Any] | None:
        issue = self.issues.get(ref) or next((i for i in self.issues.values() if i["key"] == ref), None)
        if issue is not None and self.caller["emailAddress"] == AGENT and issue["project"] == HIDDEN:
            return None  # no browse permission: Jira says "does not exist", never 403
        return issue

    def _user_by_account(self, account: Any) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["accountId"] == account), None)

    def _check_value(self, field_id: str, value: Any) -> tuple[str | None, Any]:
        """``(error, stored value)`` of a custom field value."""
        data = self.fields[field_id]
        custom = data["schema"]["custom"]
        if value is None:
            return None, None
        if custom == SELECT:
            if not isinstance(value, dict) or not ({"value", "id"} & set(value)):
                return "Specify a valid 'id' or 'name' for " + data["name"], None
            option = next((o for o in self.options[field_id] if (o["value"] == value.get("value") if "value" in value
                                                                  else o["id"] == str(value.get("id"))) and not o["disabled"]), None)
            if option is None:
                return (f"Option value '{value.get('value')}' is not valid" if "value" in value
                        else f"Option id '{value.get('id')}' is not valid"), None
            return None, {"self": f"{self.url}/rest/api/3/customFieldOption/{option['id']}", "value": option["value"],
                          "id": option["id"]}
        if custom.endswith(":float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return "Operation value must be a number", None
            return None, value
        if custom.endswith(":datepicker"):
            try:
                date.fromisoformat(value) if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else 1 / 0
            except (ValueError, ZeroDivisionError):
                return f"Error parsing date string: {value}", None
            return None, value
        if custom.endswith(":textfield"):
            if not isinstance(value, str):
                return "Operation value must be a string", None
            if len(value) > TEXT_LIMIT:
                return f"The entered text is too long. It exceeds the allowed limit of {TEXT_LIMIT} characters.", None
            return None, value
        if not is_adf(value):
            return "Operation value must be an Atlassian Document (see the Atlassian Document Format)", None
        if len(json.dumps(value)) > AREA_LIMIT:
            return f"The entered text is too long. It exceeds the allowed limit of {AREA_LIMIT:,} characters.", None
        return None, value

    def _apply(self, issue: dict[str, Any], fields: Any) -> dict[str, str]:
        """Check every field first, then write them all (nothing is written when one is refused)."""
        if not isinstance(fields, dict):
            return {"fields": "The fields must be an object."}
        errors, writes = {}, {}
        screen = self.projects[issue["project"]]["screens"].get(issue["type"], set())
        for name, value in fields.items():
            if name in ("project", "issuetype"):
                continue
            if name == "summary":
                if not isinstance(value, str) or not value.strip():
                    errors[name] = "You must specify a summary of the issue."
                elif len(value) > TEXT_LIMIT:
                    errors[name] = "Summary must be less than 255 characters."
                else:
                    writes[name] = value
            elif name == "description":
                if value is not None and not is_adf(value):
                    errors[name] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                else:
                    writes[name] = value
            elif name == "assignee":
                account = (value or {}).get("accountId") if isinstance(value, dict) or value is None else False
                if account is False or (account is not None and self._user_by_account(account) is None):
                    errors[name] = "Specify a valid value for assignee"
                else:
                    writes[name] = account
            elif name == "components":
                have = self.projects[issue["project"]]["components"]
                picked = [next((c for c in have if isinstance(v, dict) and (c["id"] == str(v.get("id")) or c["name"] == v.get("name"))), None)
                          for v in (value if isinstance(value, list) else [None])]
                if None in picked:
                    errors[name] = "Component name is not valid"
                else:
                    writes[name] = [c["id"] for c in picked]
            elif name == "duedate":
                if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
                    errors[name] = f"Error parsing date string: {value}"
                else:
                    writes[name] = value
            elif name == "parent":
                parent = self._issue(str(value.get("id") or value.get("key") or "")) if isinstance(value, dict) else None
                if parent is None:
                    errors[name] = "Could not find issue by id or key."
                else:
                    writes[name] = parent["id"]
            elif name in self.fields and name in screen:
                problem, stored = self._check_value(name, value)
                if problem:
                    errors[name] = problem
                else:
                    writes[name] = stored
            else:
                errors[name] = NOT_SETTABLE.format(name)
        if errors:
            return errors
        for name, value in writes.items():
            if name in self.fields:
                issue["values"][name] = value
            else:
                issue[name] = value
        issue["updated"] = datetime.now(timezone.utc)
        return {}

    # --- rendering ------------------------------------------------------------------------------

    def _linked_bean(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/3/issue/{issue['id']}",
                "fields": {"summary": issue["summary"], "status": self.status_bean(issue["status"]),
                           "issuetype": self.type_bean(self._type(issue))}}

    def _type(self, issue: dict[str, Any]) -> dict[str, Any]:
        return next(t for t in self.issue_types.values() if t["id"] == issue["type"])

    def _issuelinks(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for link in self.links:
            if issue["id"] not in (link["inward"], link["outward"]):
                continue
            mine_inward = link["inward"] == issue["id"]
            other = self.issues[link["outward"] if mine_inward else link["inward"]]
            found.append({"id": link["id"], "self": f"{self.url}/rest/api/3/issueLink/{link['id']}",
                          "type": self.link_type_bean(link["type"]),
                          ("outwardIssue" if mine_inward else "inwardIssue"): self._linked_bean(other)})
        return found

    def _field_value(self, issue: dict[str, Any], name: str) -> Any:
        project = self.projects[issue["project"]]
        values = {
            "summary": lambda: issue["summary"], "description": lambda: issue["description"],
            "issuetype": lambda: self.type_bean(self._type(issue)),
            "project": lambda: {"self": f"{self.url}/rest/api/3/project/{project['id']}", "id": project["id"],
                                "key": project["key"], "name": project["name"]},
            "status": lambda: self.status_bean(issue["status"]),
            "created": lambda: stamp(issue["created"]), "updated": lambda: stamp(issue["updated"]),
            "resolutiondate": lambda: stamp(issue["resolutiondate"]) if issue["resolutiondate"] else None,
            "reporter": lambda: self.user_bean(self._user_by_account(issue["reporter"])),
            "assignee": lambda: self.user_bean(self._user_by_account(issue["assignee"])),
            "issuelinks": lambda: self._issuelinks(issue), "duedate": lambda: issue.get("duedate"),
            "components": lambda: [{"self": c["self"], "id": c["id"], "name": c["name"]} for c in project["components"]
                                   if c["id"] in issue.get("components", [])],
            "parent": lambda: self._linked_bean(self.issues[issue["parent"]]) if issue.get("parent") in self.issues else None,
        }
        if name in values:
            return values[name]()
        return issue["values"].get(name)

    def render(self, issue: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
        """An ``IssueBean`` with the ``wanted`` fields (``None`` or ``*all``: every field)."""
        bean = {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/3/issue/{issue['id']}"}
        if wanted == ["id"]:
            return {"id": issue["id"]}
        names = [n for n in ("summary", "description", "issuetype", "project", "status", "created", "updated",
                             "resolutiondate", "reporter", "assignee", "issuelinks", "duedate", "parent",
                             "components")] + sorted(self.fields)
        if wanted and "*all" not in wanted and "*navigable" not in wanted:
            names = [n for n in wanted if n in names]
        bean["fields"] = {n: self._field_value(issue, n) for n in names}
        return bean

    @staticmethod
    def _wanted(raw: Any) -> list[str] | None:
        if raw is None:
            return None
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return [str(i).strip() for i in items if str(i).strip()]

    # --- issues ---------------------------------------------------------------------------------

    def post_issue(self, query: dict[str, str], body: Any) -> Reply:
        """``POST /issue`` -> 201 ``{id, key, self}``."""
        fields = (body or {}).get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return Reply(400, error("The request must hold fields."))
        ref = fields.get("project") or {}
        project = self.project_of_key(str(ref.get("key") or ref.get("id") or "")) if isinstance(ref, dict) else None
        if project is None or (self.caller["emailAddress"] == AGENT and project["key"] == HIDDEN):
            return Reply(400, error(project="Specify a valid project ID or key"))
        wanted = fields.get("issuetype") or {}
        issue_type = next((t for t in self.issue_types.values() if isinstance(wanted, dict) and
                           (t["id"] == str(wanted.get("id")) or t["name"] == wanted.get("name"))), None)
        if issue_type is None or issue_type["id"] not in project["types"]:
            return Reply(400, error(issuetype="Specify a valid issue type"))
        if "summary" not in fields:
            return Reply(400, error(summary="You must specify a summary of the issue."))
        now = datetime.now(timezone.utc)
        flow = project["workflows"][issue_type["id"]]
        issue = {"id": "", "key": "", "project": project["key"], "type": issue_type["id"], "summary": "",
                 "description": None, "status": flow["statuses"][0], "created": now, "updated": now,
                 "resolutiondate": None, "reporter": self.caller["accountId"], "assignee": None, "values": {},
                 "comments": [], "changelog": []}
        errors = self._apply(issue, fields)
        adds = self._link_adds((body.get("update") or {}).get("issuelinks") or [], errors)
        if errors:
            return Reply(400, {"errorMessages": [], "errors": errors})
        issue["id"] = self.next_id()
        for link_type, side, other in adds:  # "outwardIssue": the new issue is the inward end
            inward, outward = (issue["id"], other) if side == "outwardIssue" else (other, issue["id"])
            self.links.append({"id": self.next_id(), "type": link_type, "inward": inward, "outward": outward})
        issue["key"] = f"{project['key']}-{next(self.counters[project['key']])}"
        self.issues[issue["id"]] = issue
        return Reply(201, {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/3/issue/{issue['id']}"})

    def _link_adds(self, operations: Any, errors: dict[str, str]) -> list[tuple[dict[str, Any], str, str]]:
        """``update.issuelinks`` of a new issue: ``[{"add": {"type", "outwardIssue"|"inwardIssue"}}]``."""
        adds = []
        for operation in operations if isinstance(operations, list) else [None]:
            add = operation.get("add") if isinstance(operation, dict) else None
            side = next((s for s in ("outwardIssue", "inwardIssue") if isinstance(add, dict) and isinstance(add.get(s), dict)), None)
            if side is None:
                errors["issuelinks"] = "The issue link operation is not valid."
                continue
            wanted = add.get("type") or {}
            link_type = next((t for t in self.link_types.values() if t["name"] == wanted.get("name") or t["id"] == wanted.get("id")), None)
            other = self._issue(str(add[side].get("id") or add[side].get("key") or ""))
            if link_type is None:
                errors["issuelinks"] = f"No issue link type with name '{wanted.get('name')}' found."
            elif other is None:
                errors["issuelinks"] = MISSING
            else:
                adds.append((link_type, side, other["id"]))
        return adds

    def get_issue(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /issue/{idOrKey}?fields=``."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        return Reply(200, self.render(issue, self._wanted(query.get("fields"))))

    def put_issue(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``PUT /issue/{idOrKey}`` ``{"fields": ...}`` -> 204; status cannot be set here."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        if not isinstance(body, dict) or set(body) - {"fields", "update", "properties", "historyMetadata"}:
            return Reply(400, error("The request body is not valid."))
        errors = self._apply(issue, body.get("fields") or {})
        if errors:
            return Reply(400, {"errorMessages": [], "errors": errors})
        return Reply(204)

    def delete_issue(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``DELETE /issue/{idOrKey}`` -> 204 (its links go with it)."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        del self.issues[issue["id"]]
        self.links = [l for l in self.links if issue["id"] not in (l["inward"], l["outward"])]
        return Reply(204)

    # --- transitions, changelog -----------------------------------------------------------------

    def _transitions(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        flow = self.projects[issue["project"]]["workflows"][issue["type"]]
        return [{"id": str(10 * n + 11), "name": f"Move to {to}", "to": self.status_bean(to), "hasScreen": False,
                 "isGlobal": False, "isInitial": False, "isAvailable": True, "isConditional": False, "looped": False}
                for n, (frm, to) in enumerate(flow["transitions"]) if frm == issue["status"]]

    def get_transitions(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /issue/{idOrKey}/transitions``: only those valid from the current status."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        return Reply(200, {"transitions": self._transitions(issue)})

    def post_transition(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``POST /issue/{idOrKey}/transitions`` ``{"transition": {"id"}}`` -> 204; another id is 400."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        wanted = str(((body or {}).get("transition") or {}).get("id")) if isinstance(body, dict) else ""
        move = next((t for t in self._transitions(issue) if t["id"] == wanted), None)
        if move is None:
            return Reply(400, error(f"Transition id '{wanted}' is not valid for this issue."))
        before, after = issue["status"], move["to"]["name"]
        issue["status"] = after
        now = datetime.now(timezone.utc)
        issue["updated"] = now
        done = self.status_named(after)["category"] == "done"
        issue["resolutiondate"] = (issue["resolutiondate"] or now) if done else None
        issue["changelog"].append({"id": self.next_id(), "author": self.user_bean(self.caller), "created": stamp(now),
                                   "items": [{"field": "status", "fieldtype": "jira", "fieldId": "status",
                                              "from": self.status_named(before)["id"], "fromString": before,
                                              "to": self.status_named(after)["id"], "toString": after}]})
        return Reply(204)

    def get_changelog(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /issue/{idOrKey}/changelog``, paged by ``startAt``/``maxResults`` (100 at most)."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        start, size = int(query.get("startAt") or 0), min(int(query.get("maxResults") or 100), 100)
        values = issue["changelog"]
        return Reply(200, {"self": f"{self.url}/rest/api/3/issue/{issue['id']}/changelog", "startAt": start,
                           "maxResults": size, "total": len(values), "isLast": start + size >= len(values),
                           "values": values[start:start + size]})

    # --- comments and links ---------------------------------------------------------------------

    def post_comment(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``POST /issue/{idOrKey}/comment`` ``{"body": ADF, "properties": [...]}`` -> 201."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        if not isinstance(body, dict) or not is_adf(body.get("body")) or not adf_text(body["body"]).strip():
            return Reply(400, error(comment="Comment body can not be empty!") if isinstance(body, dict) and
                         is_adf(body.get("body")) else error(comment="Operation value must be an Atlassian Document "
                                                                       "(see the Atlassian Document Format)"))
        internal = any(p.get("key") == "sd.public.comment" and (p.get("value") or {}).get("internal") is True
                       for p in body.get("properties") or [] if isinstance(p, dict))
        now = self.now()
        comment = {"self": f"{self.url}/rest/api/3/issue/{issue['id']}/comment/{self.next_id()}", "body": body["body"],
                   "author": self.user_bean(self.caller), "updateAuthor": self.user_bean(self.caller),
                   "created": now, "updated": now, "jsdPublic": not internal}
        comment["id"] = comment["self"].rsplit("/", 1)[1]
        issue["comments"].append(comment)
        return Reply(201, comment)

    def get_comments(self, ref: str, query: dict[str, str], body: Any) -> Reply:
        """``GET /issue/{idOrKey}/comment``, oldest first, paged by ``startAt``/``maxResults``."""
        issue = self._issue(ref)
        if issue is None:
            return Reply(404, error(MISSING))
        start, size = int(query.get("startAt") or 0), min(int(query.get("maxResults") or 100), 100)
        values = issue["comments"]
        return Reply(200, {"startAt": start, "maxResults": size, "total": len(values), "comments": values[start:start + size]})

    def post_link(self, query: dict[str, str], body: Any) -> Reply:
        """``POST /issueLink`` -> 201 with an empty body (a duplicate also "succeeds")."""
        if not isinstance(body, dict) or not all(isinstance(body.get(k), dict) for k in ("type", "inwardIssue", "outwardIssue")):
            return Reply(400, error("The link needs a type, an inward issue and an outward issue."))
        wanted = body["type"]
        link_type = next((t for t in self.link_types.values() if t["name"] == wanted.get("name") or t["id"] == wanted.get("id")), None)
        if link_type is None:
            return Reply(404, error(f"No issue link type with name '{wanted.get('name')}' found."))
        ends = [self._issue(str(body[k].get("id") or body[k].get("key") or "")) for k in ("inwardIssue", "outwardIssue")]
        if None in ends:
            return Reply(404, error(MISSING))
        inward, outward = ends[0]["id"], ends[1]["id"]
        if not any(l["type"] is link_type and (l["inward"], l["outward"]) == (inward, outward) for l in self.links):
            self.links.append({"id": self.next_id(), "type": link_type, "inward": inward, "outward": outward})
        return Reply(201)
