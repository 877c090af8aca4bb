"""The fake Zammad's records and the helpers that read and write them.

Constants of the API (the token, the page caps, state types, link types, the ticket columns
every Zammad has), the error answer (:class:`Refusal`), and :class:`ZammadData`: users, groups,
states, object attributes, workflows, tickets, articles and links as the fake starts with them,
plus paging, access checks and the ticket record as the API shows it. The routes that use them
are mixed in from ``zammad_fake_admin.py``, ``zammad_fake_tickets.py`` and
``zammad_fake_search.py``; see ``zammad_fake.py``.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

TOKEN = "zammad-fake-token-5e1f"
INDEX_CAP = 100
SEARCH_CAP = 200
STATE_TYPES = {1: "new", 2: "open", 3: "pending reminder", 4: "pending action", 5: "closed", 6: "merged", 7: "removed"}
LINK_MAP = {"normal": "normal", "parent": "child", "child": "parent"}
BASE_COLUMNS = frozenset({
    "id", "number", "title", "group_id", "state_id", "priority_id", "customer_id", "owner_id", "organization_id",
    "note", "created_by_id", "updated_by_id", "created_at", "updated_at", "article_count",
})


class Refusal(Exception):
    """An error answer: HTTP status and Zammad's words."""

    def __init__(self, status: int, words: str):
        super().__init__(words)
        self.status, self.words = status, words


def timestamp() -> str:
    """The current UTC time as Zammad writes it (milliseconds, ``Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ZammadData:
    """The fake's data as it starts (one welcome ticket), and the helpers every route uses."""

    def __init__(self) -> None:
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

    @staticmethod
    def _page(items: list[Any], query: dict[str, Any], cap: int, default: int = 100) -> list[Any]:
        per_page = min(int(query.get("per_page") or query.get("limit") or default), cap)
        page = int(query.get("page") or 1)
        return items[(page - 1) * per_page: page * per_page]

    def _attribute(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.attributes.values() if a["name"] == name), None)

    def _record(self, ticket: dict[str, Any], expand: bool = False) -> dict[str, Any]:
        """The ticket as the API shows it: known columns only; ``expand`` adds association names."""
        record = {k: v for k, v in ticket.items() if not k.startswith("_") and (k in BASE_COLUMNS or k in self.live)}
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

    def _add_ticket(self, values: dict[str, Any], article: str | None, created_by: int) -> dict[str, Any]:
        ticket_id = next(self._ticket_ids)
        now = timestamp()
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
                   "sender": "Agent", "created_by_id": self.me, "created_at": timestamp()}
        self.articles[article["id"]] = article
        self.tickets[ticket_id]["article_count"] += 1
        return article
