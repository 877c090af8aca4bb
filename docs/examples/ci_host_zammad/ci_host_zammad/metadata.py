"""What the adapter reads of Zammad's own setup, once per process, and how it pages.

The token's user, the groups, the ticket states and the ticket object attributes are read once
and cached (:class:`ZammadMetadata`, a part of :class:`~ci_host_zammad.adapter.ZammadAdapter`);
provisioning drops a cache when it changed what it holds. Index endpoints are paged by
``page``/``per_page`` (``self.page_size`` at a time); ``/tickets/search`` is capped at
``self.search_cap`` per page and counts only its page, so pages are followed until a short one.
The adapter's module sets both (``PAGE_SIZE``, ``SEARCH_CAP``: tests lower them there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ci_plugin.errors import NotFound, NotProvisionedError, PermissionDenied
from ci_plugin.http import HostSession

MISSING = "missing: run `ci-plugin setup`"


def attribute_name(display: str) -> str:
    """The attribute name Zammad needs for a display name: ``"CI Source Ticket" -> "ci_source_ticket"``."""
    name = re.sub(r"[^a-z0-9]+", "_", display.lower()).strip("_")
    return name if re.match(r"^[a-z]", name) else f"ci_{name}"


def plain(value: Any) -> str:
    """A Zammad attribute value as the string the core expects (``None`` is empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _first(records: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any] | None:
    """The first record whose ``key`` is ``value``, or None."""
    return next((r for r in records if r.get(key) == value), None)


def _id_named(records: list[dict[str, Any]], what: str, name: str) -> int:
    """The id of the record called ``name``; NotProvisionedError naming it when there is none."""
    record = _first(records, "name", name)
    if record is None:
        raise NotProvisionedError([f"{what} {name}: {MISSING}"])
    return int(record["id"])


class ZammadMetadata:
    """Cached reads of Zammad's setup, and paging (needs ``session``, ``display_names``,
    ``page_size`` and ``search_cap``)."""

    session: HostSession
    display_names: dict[str, str]
    page_size: int
    search_cap: int

    def forget_metadata(self) -> None:
        """Drop every cached read: the next use reads Zammad again."""
        self._me: dict[str, Any] | None = None
        self._groups: list[dict[str, Any]] | None = None
        self._states: list[dict[str, Any]] | None = None
        self._attributes: list[dict[str, Any]] | None = None

    # --- paging ---------------------------------------------------------------------------------

    def _collection(self, path: str) -> list[dict[str, Any]]:
        """Every record of an index endpoint, page by page (some endpoints ignore paging)."""
        found: dict[Any, dict[str, Any]] = {}
        page = 1
        while True:
            items = self.session.request("GET", path, params={"page": page, "per_page": self.page_size}).json()
            fresh = [item for item in items if item.get("id") not in found]
            for item in fresh:
                found[item.get("id")] = item
            if len(items) < self.page_size or not fresh:
                return list(found.values())
            page += 1

    def _search(self, condition: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Every ticket matching a selector condition, from the database, page by page."""
        per_page = min(self.page_size, self.search_cap)
        params: dict[str, Any] = {"expand": "true", "sort_by": "id", "order_by": "asc", "per_page": per_page}
        for attribute, rule in condition.items():
            params[f"condition[{attribute}][operator]"] = rule["operator"]
            value = rule["value"]
            params[f"condition[{attribute}][value]" + ("[]" if isinstance(value, list) else "")] = value
        page = 1
        while True:
            items = self.session.request("GET", "tickets/search", params={**params, "page": page}).json()
            yield from items
            if len(items) < per_page:
                return
            page += 1

    # --- the token's user -----------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The user the token belongs to (cached)."""
        if self._me is None:
            self._me = self.session.request("GET", "users/me").json()
        return self._me

    def about(self) -> dict[str, Any]:
        """The token's user and, when the token may read it, Zammad's version."""
        me = self.me()
        if not isinstance(me, dict) or "id" not in me:
            raise NotFound("Zammad: /api/v1/users/me did not describe a user: is this Zammad?")
        facts: dict[str, Any] = {"user": me.get("login") or me.get("email") or str(me["id"])}
        try:
            facts["version"] = self.session.request("GET", "version").json().get("version", "")
        except PermissionDenied:
            pass  # the version is for admins only
        return facts

    # --- groups and states ----------------------------------------------------------------------

    def groups(self) -> list[dict[str, Any]]:
        """Every group (cached)."""
        if self._groups is None:
            self._groups = self._collection("groups")
        return self._groups

    def _group(self, name: str) -> dict[str, Any] | None:
        return _first(self.groups(), "name", name)

    def _group_id(self, name: str) -> int:
        return _id_named(self.groups(), "group", name)

    def _group_name(self, group_id: Any) -> str:
        return (_first(self.groups(), "id", group_id) or {}).get("name", "")

    def ticket_states(self) -> list[dict[str, Any]]:
        """Every ticket state (cached)."""
        if self._states is None:
            self._states = self._collection("ticket_states")
        return self._states

    def _state(self, name: str) -> dict[str, Any] | None:
        return _first(self.ticket_states(), "name", name)

    def _state_id(self, name: str) -> int:
        return _id_named(self.ticket_states(), "state", name)

    def _state_name(self, state_id: Any) -> str:
        return (_first(self.ticket_states(), "id", state_id) or {}).get("name", "")

    # --- ticket attributes ----------------------------------------------------------------------

    def attributes(self) -> list[dict[str, Any]]:
        """Every ticket object attribute (cached; needs ``admin.object``)."""
        if self._attributes is None:
            try:
                answer = self.session.request("GET", "object_manager_attributes").json()
            except PermissionDenied as exc:
                raise PermissionDenied(
                    "Zammad: reading the ticket attributes (GET /object_manager_attributes) needs the "
                    "admin.object permission", status=exc.status, host_message=exc.host_message,
                ) from None
            self._attributes = [a for a in answer if a.get("object") == "Ticket"]
        return self._attributes

    def _attribute_named(self, display: str) -> dict[str, Any] | None:
        attrs = self.attributes()
        return _first(attrs, "display", display) or _first(attrs, "name", attribute_name(display))

    def _attribute(self, key: str) -> dict[str, Any]:
        """The attribute of register field ``key``; NotProvisionedError when it is missing."""
        display = self.display_names[key]
        attr = self._attribute_named(display)
        if attr is None:
            raise NotProvisionedError([f"attribute {display}: {MISSING}"])
        return attr
