"""The fake Zammad's ticket routes: tickets (their writable parameters, value checks and the
core-workflow restriction on state changes), their articles, and links between tickets.
Mixed into ``FakeZammad``; see ``zammad_fake.py``."""

from __future__ import annotations

import re
from typing import Any

from tests.fixture_hosts.zammad_fake_data import INDEX_CAP, LINK_MAP, Refusal, timestamp as _now


class TicketRoutes:
    """Tickets, articles, links (uses the data of ``ZammadData``)."""

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
