"""The fake Zammad's ``/tickets/search``: a ``condition`` (operators ``is`` and ``contains``,
a column Zammad has no column for is a 422) and a free-text ``query`` over the titles of the
tickets the caller may see, sorted, capped at 200 per page and counting only the page.
Mixed into ``FakeZammad``; see ``zammad_fake.py``."""

from __future__ import annotations

from typing import Any

from tests.fixture_hosts.zammad_fake_data import BASE_COLUMNS, SEARCH_CAP, Refusal


class SearchRoutes:
    """``/tickets/search`` (uses the tickets of ``ZammadData``)."""

    def _matches(self, ticket: dict[str, Any], condition: dict[str, Any]) -> bool:
        for key, rule in condition.items():
            column = key.split(".", 1)[1]
            if column not in BASE_COLUMNS and column not in self.migrated:
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
