"""A stateful fake of Zammad 6's REST API, served on a loopback port by a thread.

It behaves like Zammad as far as the example adapter (``docs/examples/ci_host_zammad``) and
the test harness use it, quirks included:

* ``Authorization: Token token=...``; anything else is a 401 ``{"error": ..., "error_human": ...}``,
  the error shape of every refusal (404 missing record or route, 422 validation, 403 no access).
* Groups, ticket states, ticket object attributes and core workflows can be listed and created.
  A new attribute waits for ``POST /object_manager_attributes_execute_migrations`` and, after
  it, for :meth:`FakeZammad.restart` (what an admin's restart of Zammad does): until then its
  values are dropped without a word, as Zammad drops parameters it has no column for.
* Input attributes have a column length (422 when exceeded), integers must be integers, and
  select attributes take any value (Zammad does not check options).
* A user sees and writes only tickets of groups it has access to (403 otherwise, invisible in
  searches); a group created through the API gives its creator no access.
* Core workflows with a ``condition_saved`` on group and state and a ``set_fixed_to`` on the
  state restrict state changes on update (422 "Invalid value '4' for field 'state_id'!").
* Links: ``normal``, ``parent``, ``child``; ``links/add`` names the source by ticket number;
  a duplicate is a 422 "Object already exists!"; links can be given with a new ticket.
* ``/tickets/search`` with a ``condition`` (bracket-encoded query parameters) is capped at 200
  per page and counts only the page; index endpoints are capped at 100 per page, except
  ``object_manager_attributes``, which ignores paging.

``requests`` counts requests per ``(method, route)`` for the tests.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import Counter
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "zammad-fake-token-5e1f"
INDEX_CAP = 100
SEARCH_CAP = 200
STATE_TYPES = {1: "new", 2: "open", 3: "pending reminder", 4: "pending action", 5: "closed", 6: "merged", 7: "removed"}
LINK_MAP = {"normal": "normal", "parent": "child", "child": "parent"}


class Refusal(Exception):
    """An error answer: HTTP status and Zammad's words."""

    def __init__(self, status: int, words: str):
        super().__init__(words)
        self.status, self.words = status, words


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _query(raw: str) -> dict[str, Any]:
    """Query parameters as Rails reads them: ``a[]`` repeated is a list, ``a[b][c]`` nests."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        last = parts[-1] if parts else key
        if last == "[]":
            # ``parts[-2]`` was made a dict above; lists are kept under the parent key
            parent = result
            for part in parts[:-2]:
                parent = parent[part]
            if not isinstance(parent.get(parts[-2]), list):
                parent[parts[-2]] = []
            parent[parts[-2]].append(value)
        else:
            node[last] = value
    return result


class FakeZammad:
    """One fake Zammad: its data, its rules, and a loopback HTTP server serving them."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self.lock = threading.RLock()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.ids = itertools.count(100)
        self.users = {
            1: {"id": 1, "login": "-", "email": "", "firstname": "-", "lastname": "", "group_ids": {}},
            2: {"id": 2, "login": "nicole.braun@zammad.org", "email": "nicole.braun@zammad.org", "firstname": "Nicole",
                "lastname": "Braun", "group_ids": {}},
            3: {"id": 3, "login": "admin@example.com", "email": "admin@example.com", "firstname": "Ada",
                "lastname": "Admin", "group_ids": {"1": ["full"]}},
        }
        self.me = 3
        self.groups = {1: {"id": 1, "name": "Users", "active": True, "note": ""}}
        self.states = {i: {"id": i, "name": n, "state_type_id": t, "active": True} for i, n, t in (
            (1, "new", 1), (2, "open", 2), (3, "pending reminder", 3), (4, "closed", 5), (5, "merged", 6),
            (6, "removed", 7), (7, "pending close", 4))}
        self.attributes: dict[int, dict[str, Any]] = {}
        for position, (name, display, data_type) in enumerate((
                ("title", "Title", "input"), ("customer_id", "Customer", "user_autocompletion"),
                ("group_id", "Group", "select"), ("owner_id", "Owner", "select"), ("state_id", "State", "select"),
                ("priority_id", "Priority", "select"), ("tags", "Tags", "tag")), start=1):
            self.attributes[position] = {"id": position, "name": name, "display": display, "object": "Ticket",
                                         "data_type": data_type, "data_option": {}, "active": True, "editable": False,
                                         "to_create": False, "to_migrate": False, "to_delete": False, "to_config": False,
                                         "position": position * 10}
        self.migrated: set[str] = set()  # columns in the database
        self.live: set[str] = set()  # columns the running Zammad knows (after a restart)
        self.workflows: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.articles: dict[int, dict[str, Any]] = {}
        self.links: list[tuple[str, int, int]] = []  # (type, source ticket, target ticket)
        self.restarts = 0
        self._ticket_ids = itertools.count(1)
        self._add_ticket({"title": "Welcome to Zammad!", "group_id": 1, "customer_id": 2}, "Welcome!", 1)
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the running fake (``http://127.0.0.1:PORT``)."""
        assert self.server is not None, "the fake is not started"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeZammad:
        """Serve on a free loopback port, in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # one write per answer (headers and body), flushed by http.server
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = fake.handle(self.command, self.path, self.headers.get("Authorization", ""), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-zammad", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FakeZammad:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def restart(self) -> None:
        """What an admin's restart of Zammad does: migrated columns become known."""
        with self.lock:
            self.live = set(self.migrated)
            self.restarts += 1

    # --- dispatch -------------------------------------------------------------------------------

    ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", r"users/me", "get_me"), ("PUT", r"users/(\d+)", "put_user"), ("GET", r"users/search", "search_users"),
        ("GET", r"version", "get_version"),
        ("GET", r"groups", "list_groups"), ("POST", r"groups", "post_group"),
        ("GET", r"ticket_states", "list_states"), ("POST", r"ticket_states", "post_state"),
        ("GET", r"object_manager_attributes", "list_attributes"), ("POST", r"object_manager_attributes", "post_attribute"),
        ("PUT", r"object_manager_attributes/(\d+)", "put_attribute"),
        ("POST", r"object_manager_attributes_execute_migrations", "execute_migrations"),
        ("GET", r"core_workflows", "list_workflows"), ("POST", r"core_workflows", "post_workflow"),
        ("PUT", r"core_workflows/(\d+)", "put_workflow"),
        ("GET", r"tickets/search", "search_tickets"), ("GET", r"tickets", "list_tickets"),
        ("GET", r"tickets/(\d+)", "get_ticket"), ("POST", r"tickets", "post_ticket"),
        ("PUT", r"tickets/(\d+)", "put_ticket"), ("DELETE", r"tickets/(\d+)", "delete_ticket"),
        ("POST", r"ticket_articles", "post_article"), ("GET", r"ticket_articles/by_ticket/(\d+)", "list_articles"),
        ("GET", r"links", "list_links"), ("POST", r"links/add", "add_link"),
    )

    def handle(self, method: str, target: str, authorization: str, body: bytes) -> tuple[int, Any]:
        """Answer one request: ``(status, JSON payload)``."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/")
        if not path.startswith("/api/v1/"):
            return 404, {"error": f"No route matches [{method}] {path}"}
        path = path[len("/api/v1/"):]
        for verb, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                self.requests[(method, pattern)] += 1
                break
        else:
            return 404, {"error": f"No route matches [{method}] /api/v1/{path}",
                         "error_human": f"No route matches [{method}] /api/v1/{path}"}
        if authorization != f"Token token={self.token}":
            return 401, {"error": "Invalid token!", "error_human": "Invalid token!"}
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 422, {"error": "Unable to parse JSON body"}
        try:
            with self.lock:
                return getattr(self, name)(*match.groups(), query=_query(parts.query), body=payload)
        except Refusal as refusal:
            return refusal.status, {"error": refusal.words, "error_human": refusal.words}

    @staticmethod
    def _page(items: list[Any], query: dict[str, Any], cap: int, default: int = 100) -> list[Any]:
        per_page = min(int(query.get("per_page") or query.get("limit") or default), cap)
        page = int(query.get("page") or 1)
        return items[(page - 1) * per_page: page * per_page]

    # --- users, version -------------------------------------------------------------------------

    def get_me(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, dict(self.users[self.me])

    def put_user(self, user_id: str, query: dict, body: dict) -> tuple[int, Any]:
        user = self.users.get(int(user_id))
        if user is None:
            raise Refusal(404, f"Couldn't find User with 'id'={user_id}")
        if "group_ids" in body:
            user["group_ids"] = {str(k): list(v) for k, v in body["group_ids"].items()}
        return 200, dict(user)

    def search_users(self, query: dict, body: dict) -> tuple[int, Any]:
        text = str(query.get("query") or "").lower()
        return 200, [dict(u) for u in self.users.values() if text in u["login"].lower() or text in u["email"].lower()]

    def get_version(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, {"version": "6.4.1-fake"}

    # --- groups, states, attributes, workflows --------------------------------------------------

    def list_groups(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, self._page([dict(g) for g in self.groups.values()], query, INDEX_CAP)

    def post_group(self, query: dict, body: dict) -> tuple[int, Any]:
        name = str(body.get("name") or "").strip()
        if not name:
            raise Refusal(422, "Attribute 'name' required!")
        if any(g["name"] == name for g in self.groups.values()):
            raise Refusal(422, "Object already exists!")
        group = {"id": next(self.ids), "name": name, "active": bool(body.get("active", True)), "note": body.get("note", "")}
        self.groups[group["id"]] = group
        return 201, dict(group)

    def list_states(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, self._page([dict(s) for s in self.states.values()], query, INDEX_CAP)

    def post_state(self, query: dict, body: dict) -> tuple[int, Any]:
        name = str(body.get("name") or "").strip()
        if not name or int(body.get("state_type_id") or 0) not in STATE_TYPES:
            raise Refusal(422, "Attribute 'state_type_id' required!" if name else "Attribute 'name' required!")
        if any(s["name"] == name for s in self.states.values()):
            raise Refusal(422, "Object already exists!")
        state = {"id": next(self.ids), "name": name, "state_type_id": int(body["state_type_id"]),
                 "active": bool(body.get("active", True))}
        self.states[state["id"]] = state
        return 201, dict(state)

    def list_attributes(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, [json.loads(json.dumps(a)) for a in self.attributes.values()]  # no paging, like Zammad

    def _check_attribute(self, body: dict) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(body.get("name") or "")):
            raise Refusal(422, "Name is invalid: only lowercase letters, digits and _ are allowed")
        option = body.get("data_option") or {}
        data_type = body.get("data_type")
        if data_type in ("input", "textarea") and not int(option.get("maxlength") or 0):
            raise Refusal(422, "Need data_option[maxlength] param")
        if data_type == "select" and not isinstance(option.get("options"), dict):
            raise Refusal(422, "Need data_option[options] param")
        if data_type == "integer" and ("min" not in option or "max" not in option):
            raise Refusal(422, "Need data_option[min] and data_option[max] param")
        if data_type not in ("input", "textarea", "select", "integer", "date", "boolean", "datetime"):
            raise Refusal(422, f"Invalid data_type {data_type!r}")

    def post_attribute(self, query: dict, body: dict) -> tuple[int, Any]:
        self._check_attribute(body)
        if any(a["name"] == body["name"] for a in self.attributes.values()):
            raise Refusal(422, f"{body['name']} already exists!")
        attr = {**body, "id": next(self.ids), "editable": True, "to_create": True, "to_migrate": True,
                "to_delete": False, "to_config": False}
        self.attributes[attr["id"]] = attr
        return 201, json.loads(json.dumps(attr))

    def put_attribute(self, attr_id: str, query: dict, body: dict) -> tuple[int, Any]:
        attr = self.attributes.get(int(attr_id))
        if attr is None:
            raise Refusal(404, f"Couldn't find ObjectManager::Attribute with 'id'={attr_id}")
        self._check_attribute({**attr, **body})
        attr.update({k: v for k, v in body.items() if k not in ("id", "name")})
        attr["to_migrate"] = True
        return 200, json.loads(json.dumps(attr))

    def execute_migrations(self, query: dict, body: dict) -> tuple[int, Any]:
        for attr in self.attributes.values():
            if attr.get("to_create") or attr.get("to_migrate"):
                attr["to_create"] = attr["to_migrate"] = False
                self.migrated.add(attr["name"])
        return 200, {}

    def list_workflows(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, self._page([json.loads(json.dumps(w)) for w in self.workflows.values()], query, INDEX_CAP)

    def post_workflow(self, query: dict, body: dict) -> tuple[int, Any]:
        if not body.get("name"):
            raise Refusal(422, "Attribute 'name' required!")
        workflow = {**body, "id": next(self.ids)}
        self.workflows[workflow["id"]] = workflow
        return 201, json.loads(json.dumps(workflow))

    def put_workflow(self, workflow_id: str, query: dict, body: dict) -> tuple[int, Any]:
        workflow = self.workflows.get(int(workflow_id))
        if workflow is None:
            raise Refusal(404, f"Couldn't find CoreWorkflow with 'id'={workflow_id}")
        workflow.update({k: v for k, v in body.items() if k != "id"})
        return 200, json.loads(json.dumps(workflow))

    # --- tickets --------------------------------------------------------------------------------

    def _attribute(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.attributes.values() if a["name"] == name), None)

    def _record(self, ticket: dict[str, Any], expand: bool = False) -> dict[str, Any]:
        """The ticket as the API shows it: known columns only; ``expand`` adds association names."""
        record = {k: v for k, v in ticket.items() if not k.startswith("_") and (k in _BASE_COLUMNS or k in self.live)}
        for name in self.live:
            record.setdefault(name, None)
        if expand:
            record["group"] = self.groups[ticket["group_id"]]["name"]
            record["state"] = self.states[ticket["state_id"]]["name"]
            record["owner"] = self.users[ticket["owner_id"]]["login"]
            record["customer"] = self.users[ticket["customer_id"]]["login"]
            record["created_by"] = self.users[ticket["created_by_id"]]["login"]
        return record

    def _can(self, ticket: dict[str, Any]) -> bool:
        return "full" in (self.users[self.me]["group_ids"].get(str(ticket["group_id"])) or [])

    def _ticket(self, ticket_id: Any) -> dict[str, Any]:
        ticket = self.tickets.get(int(ticket_id))
        if ticket is None:
            raise Refusal(404, f"Couldn't find Ticket with 'id'={ticket_id}")
        if not self._can(ticket):
            raise Refusal(403, "Not authorized")
        return ticket

    def _assign(self, ticket: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Apply writable parameters; unknown ones are dropped without a word, like Zammad does."""
        changes: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("title", "group_id", "state_id", "customer_id", "owner_id", "priority_id"):
                if key == "title" and not str(value or "").strip():
                    raise Refusal(422, "Attribute 'title' required!")
                if key == "group_id" and int(value) not in self.groups:
                    raise Refusal(422, f"No lookup value found for 'group_id': {value!r}")
                if key == "state_id" and int(value) not in self.states:
                    raise Refusal(422, f"No lookup value found for 'state_id': {value!r}")
                changes[key] = value if key == "title" else int(value)
            elif key in self.live:
                changes[key] = self._value(key, value)
        return changes

    def _value(self, name: str, value: Any) -> Any:
        attr = self._attribute(name) or {}
        option = attr.get("data_option") or {}
        if value in (None, ""):
            return None if attr.get("data_type") in ("integer", "date", "select") else (value or "")
        if attr.get("data_type") == "integer":
            if not re.fullmatch(r"-?\d+", str(value)):
                raise Refusal(422, f"Invalid value {value!r} for field '{name}'!")
            number = int(value)
            if not option.get("min", number) <= number <= option.get("max", number):
                raise Refusal(422, f"Value of '{name}' must be between {option.get('min')} and {option.get('max')}")
            return number
        if attr.get("data_type") == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            raise Refusal(422, f"Invalid date {value!r} for field '{name}'!")
        if attr.get("data_type") in ("input", "textarea") and len(str(value)) > int(option.get("maxlength") or 10**9):
            raise Refusal(422, f"PG::StringDataRightTruncation: ERROR: value too long for type character varying"
                               f"({option.get('maxlength')})")
        return str(value)

    def _add_ticket(self, values: dict[str, Any], article: str | None, created_by: int) -> dict[str, Any]:
        ticket_id = next(self._ticket_ids)
        now = _now()
        ticket = {"id": ticket_id, "number": str(31000 + ticket_id), "title": "", "group_id": 1, "state_id": 1,
                  "priority_id": 2, "customer_id": created_by, "owner_id": 1, "organization_id": None, "note": None,
                  "created_by_id": created_by, "updated_by_id": created_by, "created_at": now, "updated_at": now,
                  "article_count": 0, **values}
        self.tickets[ticket_id] = ticket
        if article is not None:
            self._add_article(ticket_id, {"body": article, "type": "note", "internal": False})
        return ticket

    def _add_article(self, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        article = {"id": next(self.ids), "ticket_id": ticket_id, "body": str(body.get("body") or ""),
                   "type": body.get("type") or "note", "internal": bool(body.get("internal")),
                   "content_type": body.get("content_type") or "text/html", "subject": body.get("subject"),
                   "sender": "Agent", "created_by_id": self.me, "created_at": _now()}
        self.articles[article["id"]] = article
        self.tickets[ticket_id]["article_count"] += 1
        return article

    def list_tickets(self, query: dict, body: dict) -> tuple[int, Any]:
        visible = [self._record(t) for t in sorted(self.tickets.values(), key=lambda t: t["id"]) if self._can(t)]
        return 200, self._page(visible, query, INDEX_CAP)

    def get_ticket(self, ticket_id: str, query: dict, body: dict) -> tuple[int, Any]:
        ticket = self._ticket(ticket_id)
        if str(query.get("all")) != "true":
            return 200, self._record(ticket, expand=str(query.get("expand")) == "true")
        links = self._links_of(ticket["id"])
        linked = {str(l["link_object_value"]): self._record(self.tickets[l["link_object_value"]]) for l in links}
        articles = {str(a["id"]): dict(a) for a in self.articles.values() if a["ticket_id"] == ticket["id"]}
        return 200, {"ticket_id": ticket["id"], "ticket_article_ids": sorted(int(i) for i in articles),
                     "assets": {"Ticket": {**linked, str(ticket["id"]): self._record(ticket)}, "TicketArticle": articles,
                                "User": {str(i): {"id": i, "login": self.users[i]["login"]}  # as Zammad does
                                         for i in {ticket["owner_id"], ticket["customer_id"]}}},
                     "links": links, "tags": []}

    def post_ticket(self, query: dict, body: dict) -> tuple[int, Any]:
        if "group_id" not in body and "group" in body:
            body["group_id"] = next((g["id"] for g in self.groups.values() if g["name"] == body["group"]), 0)
        if not body.get("group_id"):
            raise Refusal(422, "Attribute 'group_id' required!")
        if not body.get("customer_id"):
            raise Refusal(422, "Attribute 'customer_id' required!")
        values = self._assign({"group_id": 0}, {k: v for k, v in body.items() if k not in ("article", "links")})
        if not self._can({"group_id": values["group_id"]}):
            raise Refusal(403, "Not authorized")
        article = body.get("article")
        if article is not None and not str(article.get("body") or ""):
            raise Refusal(422, "Need at least article: { body: \"some text\" }")
        links = ((body.get("links") or {}).get("Ticket") or {})
        for link_type, targets in links.items():
            if link_type not in LINK_MAP:
                raise Refusal(422, "Invalid link structure (Object → LinkType)")
            for target in targets:
                if int(target) not in self.tickets:
                    raise Refusal(404, f"Couldn't find Ticket with 'id'={target}")
        ticket = self._add_ticket(values, None, self.me)
        if article is not None:
            self._add_article(ticket["id"], article)
        for link_type, targets in links.items():
            for target in targets:
                self.links.append((link_type, ticket["id"], int(target)))
        return 201, self._record(ticket)

    def _workflow_restriction(self, ticket: dict[str, Any]) -> list[str] | None:
        """State ids the matching core workflows allow for an update of ``ticket`` (None: no rule)."""
        allowed = None
        for workflow in sorted(self.workflows.values(), key=lambda w: (w.get("priority", 500), w["id"])):
            if not workflow.get("active", True) or workflow.get("object") != "Ticket":
                continue
            conditions = workflow.get("condition_saved") or {}
            if all(str(ticket.get(key.split(".", 1)[1])) in [str(v) for v in rule.get("value") or []]
                   for key, rule in conditions.items() if rule.get("operator") == "is"):
                rule = (workflow.get("perform") or {}).get("ticket.state_id") or {}
                if rule.get("operator") == "set_fixed_to":
                    allowed = [str(v) for v in rule.get("set_fixed_to") or []]
        return allowed

    def put_ticket(self, ticket_id: str, query: dict, body: dict) -> tuple[int, Any]:
        ticket = self._ticket(ticket_id)
        changes = self._assign(ticket, {k: v for k, v in body.items() if k not in ("id", "number", "article")})
        if "state_id" in changes and changes["state_id"] != ticket["state_id"]:
            allowed = self._workflow_restriction(ticket)
            if allowed is not None and str(changes["state_id"]) not in allowed:
                raise Refusal(422, f"Invalid value '{changes['state_id']}' for field 'state_id'!")
        ticket.update(changes)
        ticket["updated_at"] = _now()
        if body.get("article"):
            self._add_article(ticket["id"], body["article"])
        return 200, self._record(ticket)

    def delete_ticket(self, ticket_id: str, query: dict, body: dict) -> tuple[int, Any]:
        ticket = self._ticket(ticket_id)
        del self.tickets[ticket["id"]]
        self.links = [l for l in self.links if ticket["id"] not in (l[1], l[2])]
        return 200, {}

    def _matches(self, ticket: dict[str, Any], condition: dict[str, Any]) -> bool:
        for key, rule in condition.items():
            column = key.split(".", 1)[1]
            if column not in _BASE_COLUMNS and column not in self.migrated:
                raise Refusal(422, f"Unknown attribute '{column}' in condition")
            value = ticket.get(column)
            wanted = rule.get("value")
            if rule.get("operator") == "is":
                options = wanted if isinstance(wanted, list) else [wanted]
                if str(value) not in [str(o) for o in options]:
                    return False
            elif rule.get("operator") == "contains":
                if str(wanted).lower() not in str(value or "").lower():
                    return False
            else:
                raise Refusal(422, f"Invalid operator {rule.get('operator')!r}")
        return True

    def search_tickets(self, query: dict, body: dict) -> tuple[int, Any]:
        condition = query.get("condition") or {}
        if not condition and not query.get("query"):
            raise Refusal(422, "Need query or condition")
        found = [t for t in self.tickets.values() if self._can(t) and self._matches(t, condition)]
        if query.get("query"):
            text = str(query["query"]).lower()
            found = [t for t in found if text in t["title"].lower()]
        if query.get("sort_by") == "id":
            found.sort(key=lambda t: t["id"], reverse=query.get("order_by") == "desc")
        else:
            found.sort(key=lambda t: t["updated_at"], reverse=True)
        page = self._page(found, query, SEARCH_CAP, default=50)
        if str(query.get("expand")) == "true":
            return 200, [self._record(t, expand=True) for t in page]
        return 200, {"tickets": [t["id"] for t in page], "tickets_count": len(page),
                     "assets": {"Ticket": {str(t["id"]): self._record(t) for t in page}}}

    # --- articles, links ------------------------------------------------------------------------

    def post_article(self, query: dict, body: dict) -> tuple[int, Any]:
        if not body.get("ticket_id"):
            raise Refusal(422, "Need ticket_id!")
        ticket = self._ticket(body["ticket_id"])
        if not str(body.get("body") or ""):
            raise Refusal(422, "Need at least article: { body: \"some text\" }")
        return 201, self._add_article(ticket["id"], body)

    def list_articles(self, ticket_id: str, query: dict, body: dict) -> tuple[int, Any]:
        ticket = self._ticket(ticket_id)
        return 200, [dict(a) for a in sorted(self.articles.values(), key=lambda a: a["id"]) if a["ticket_id"] == ticket["id"]]

    def _links_of(self, ticket_id: int) -> list[dict[str, Any]]:
        found = []
        for link_type, source, target in self.links:
            if source == ticket_id:
                found.append({"link_type": LINK_MAP[link_type], "link_object": "Ticket", "link_object_value": target})
        for link_type, source, target in self.links:
            if target == ticket_id:
                found.append({"link_type": link_type, "link_object": "Ticket", "link_object_value": source})
        return found

    def list_links(self, query: dict, body: dict) -> tuple[int, Any]:
        if query.get("link_object") != "Ticket":
            return 200, {"links": [], "assets": {}}
        ticket = self._ticket(query.get("link_object_value") or 0)
        links = self._links_of(ticket["id"])
        return 200, {"links": links, "assets": {"Ticket": {str(l["link_object_value"]): self._record(self.tickets[l["link_object_value"]])
                                                           for l in links}}}

    def add_link(self, query: dict, body: dict) -> tuple[int, Any]:
        params = {**query, **body}
        source = next((t for t in self.tickets.values() if t["number"] == str(params.get("link_object_source_number"))), None)
        if params.get("link_object_source") != "Ticket" or source is None:
            raise Refusal(422, "No such object!")
        target = self._ticket(params.get("link_object_target_value") or 0)
        link_type = params.get("link_type")
        if link_type not in LINK_MAP:
            raise Refusal(422, f"Invalid link type {link_type!r}")
        row = (link_type, source["id"], target["id"])
        if row in self.links:
            raise Refusal(422, "Object already exists!")
        self.links.append(row)
        return 201, {"link_type": link_type, "link_object_source_value": source["id"],
                     "link_object_target_value": target["id"]}


_BASE_COLUMNS = frozenset({
    "id", "number", "title", "group_id", "state_id", "priority_id", "customer_id", "owner_id", "organization_id",
    "note", "created_by_id", "updated_by_id", "created_at", "updated_at", "article_count",
})
