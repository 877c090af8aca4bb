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

The fake is split by job: ``zammad_fake_data.py`` (constants, :class:`Refusal`, the records and
the helpers that read them), ``zammad_fake_admin.py`` (users, version, groups, states,
attributes, workflows), ``zammad_fake_tickets.py`` (tickets, articles, links),
``zammad_fake_search.py`` (``/tickets/search``); this module is the HTTP server and dispatch.

``requests`` counts requests per ``(method, route)`` for the tests.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fixture_hosts.loopback import LoopbackFake
from tests.fixture_hosts.zammad_fake_admin import AdminRoutes
from tests.fixture_hosts.zammad_fake_data import (  # noqa: F401 - the constants are the fake's API
    INDEX_CAP, LINK_MAP, SEARCH_CAP, STATE_TYPES, TOKEN, Refusal, ZammadData,
)
from tests.fixture_hosts.zammad_fake_search import SearchRoutes
from tests.fixture_hosts.zammad_fake_tickets import TicketRoutes


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


class FakeZammad(LoopbackFake, SearchRoutes, TicketRoutes, AdminRoutes, ZammadData):
    """One fake Zammad: its data, its rules, and a loopback HTTP server serving them."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self.lock = threading.RLock()
        self.requests: Counter[tuple[str, str]] = Counter()
        ZammadData.__init__(self)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeZammad:
        """Serve on a free loopback port, in a daemon thread."""
        self.listen(0, "fake-zammad", ("GET", "POST", "PUT", "DELETE"))
        return self

    def answer(self, method: str, target: str, authorization: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """:meth:`handle`'s answer as JSON."""
        status, payload = self.handle(method, target, authorization, body)
        return status, json.dumps(payload).encode(), {"Content-Type": "application/json; charset=utf-8"}

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
