"""Zammad 6 through its REST API (``/api/v1``), as a ci-plugin host: :class:`ZammadAdapter`.

The register is the tickets of one group (``[zammad] group``, "Improvements"); problem and
project records are tickets of two more groups ("Problems", "Projects"). Register fields are
ticket object attributes, found by their display name (``[fields]``); workflow states are
Zammad ticket states (``[states]``); comments are internal notes; links are Zammad links.

The adapter is composed of one module per job:

* :mod:`ci_host_zammad.settings`: the ``[zammad]`` table and its JSON Schema;
* :mod:`ci_host_zammad.metadata`: cached reads of groups, states and attributes; paging;
* :mod:`ci_host_zammad.provisioning`: ``provision``, ``manual_steps``, ``check``;
* :mod:`ci_host_zammad.records`: ticket records to tickets and register values, and back;
* :mod:`ci_host_zammad.links`: links read (sorted by the core's ``classify``) and written;
* this module: the adapter itself (creating, updating, searching, flags), and
  :data:`PAGE_SIZE` and :data:`SEARCH_CAP`, the page sizes of every read (tests lower them here).

Zammad quirks handled by the adapter and nowhere else:

* Authentication is ``Authorization: Token token=...``; errors are ``{"error": ...,
  "error_human": ...}`` (422 for validation, 401 for a bad token, 404 for a missing record).
* Attributes made through the API are not usable at once: their database columns are added by
  ``POST /object_manager_attributes_execute_migrations`` (``setup`` calls it), and the running
  Zammad only sees the new columns after a restart, which no API can do (the one manual step).
  Until then Zammad drops their values without a word: every create and update compares the
  answer with what was sent and raises :class:`HostRefused` naming what was not stored.
* Input attributes are database columns of a fixed length and select attributes do not check
  their options: values are checked against the attribute's definition before they are sent.
* A group made through the API is invisible to its maker: ``setup`` gives the token's user
  full access to the register's groups.
* Zammad has no per-group state workflow; core workflows restrict which states an agent may pick,
  and Zammad enforces them on API updates too (422 "Invalid value '4' for field 'state_id'!").
  ``setup`` creates one core workflow per register state; a refused state becomes
  :class:`HostRefused` with the state names instead of ids, and every state change is also
  read back from the answer.
* Zammad has three link types, ``normal`` (no direction), ``parent`` and ``child``; a ``normal``
  link to a *newer* improvement is a follow-up (see :mod:`ci_host_zammad.links`).
* ``POST /links/add`` names the source ticket by its *number*, the target by its *id*; a link
  that exists already is a 422 "Object already exists!": links are compared first and that 422
  is taken as success. Links can be given with a new ticket (``links``), so an improvement is
  created with its links in one request.
* ``GET /tickets/ID?all=true`` returns the ticket, its articles, its links and the linked
  tickets in one answer; ticket lists carry no links, so ``list_improvements`` asks for each
  improvement's links (one request each: the price of dependency-aware ranking).
* ``/tickets/search`` with a ``condition`` and no ``query`` is answered from the database (exact
  and current, no Elasticsearch needed). It is capped at 200 per page and its count is that of
  the page, not the total: pages are followed until a short one.
* Several source ids live in one input attribute as ``,11,12,`` so that the ``contains``
  condition (``,11,``) finds exactly one id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.fields import decode_ids, encode_ids
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import StateMap
from ci_plugin.errors import HostRefused, NotFound, NotProvisionedError
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.http import HostSession

from ci_host_zammad.links import ZammadLinks
from ci_host_zammad.metadata import attribute_name
from ci_host_zammad.provisioning import ZammadProvisioning
from ci_host_zammad.settings import SECTION, settings

__all__ = ["PAGE_SIZE", "SEARCH_CAP", "ZammadAdapter", "attribute_name", "decode_ids", "encode_ids"]

PAGE_SIZE = 100  # the index endpoints allow 100 per page
SEARCH_CAP = 200  # /tickets/search allows 200 per page


class ZammadAdapter(ZammadProvisioning, ZammadLinks, HostAdapter):
    """Zammad 6 (REST API v1): improvements are tickets of one group, fields are ticket attributes."""

    name = SECTION
    label = "Zammad"

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        self.settings = settings(config)
        self.group_name: str = self.settings["group"]
        self.problem_group: str = self.settings["problem_group"]
        self.project_group: str = self.settings["project_group"]
        self.display_names: dict[str, str] = config.section("fields")
        self.candidate = config.section("candidate")
        self.states = StateMap(config.section("states"))
        self.web_base = config.data["host"]["url"].rstrip("/")
        self._numbers: dict[str, str] = {}
        self.forget_metadata()

    @property
    def page_size(self) -> int:
        return PAGE_SIZE

    @property
    def search_cap(self) -> int:
        return SEARCH_CAP

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        """One session on ``URL/api/v1`` with Zammad's token header (timeouts, retries and
        redaction come with :meth:`HostSession.from_config`)."""
        return HostSession.from_config(config, api_path="/api/v1", host_name="Zammad",
                                       auth=lambda token: {"Authorization": f"Token token={token}"})

    # --- records --------------------------------------------------------------------------------

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """Read a ticket with its description (first article); ``links=True`` sorts its links."""
        answer = self._get_all(ticket_id)
        assets = answer.get("assets") or {}
        tickets = assets.get("Ticket") or {}
        data = tickets.get(str(answer.get("ticket_id", ticket_id)))
        if data is None:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist")
        ticket = self._to_ticket(data)
        owner = (assets.get("User") or {}).get(str(data.get("owner_id")), {}).get("login", "")
        if not ticket.owner and owner not in ("", "-"):  # the owner's login, from the user assets
            ticket.owner = owner
        articles = assets.get("TicketArticle") or {}
        first = min((int(i) for i in answer.get("ticket_article_ids") or [] if str(i) in articles), default=None)
        if first is not None:
            ticket.description = str(articles[str(first)].get("body") or "").replace("\r\n", "\n").strip()
        for other in tickets.values():
            self._remember_number(other)
        if links:
            groups = {str(i): self._group_name(t.get("group_id")) for i, t in tickets.items()}
            ticket.links = self._classify(ticket, answer.get("links") or [], groups)
        return ticket

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        """Problems are tickets of the problem group, projects of the project group."""
        return ticket.container == {"problem": self.problem_group, "project": self.project_group}[kind]

    def find_project(self, ref: str) -> Ticket:
        """A project is a ticket (of the project group), named by its id."""
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def create_improvement(self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]) -> str:
        """One ``POST /tickets`` with the first article (the description) and the links."""
        values = self._encode(fields)
        body: dict[str, Any] = {
            "title": title,
            "group_id": self._group_id(self.group_name),
            "state_id": self._state_id(self.states.host_status("new")),
            "customer_id": self._customer_id(),
            "article": {"subject": title, "body": description or title, "type": "note", "internal": False,
                        "content_type": "text/plain"},
            **values,
        }
        targets = {k: v for k, v in links.items() if v}
        if targets:
            body["links"] = {"Ticket": self._links_body(targets)}
        answer = self.session.request("POST", "tickets", json=body).json()
        new_id = str(answer["id"])
        self._remember_number(answer)
        dropped = self._dropped(values, answer)
        if dropped:
            self._discard(new_id)
            raise HostRefused(f"Zammad did not store {', '.join(dropped)} on the new improvement (deleted it again): "
                              "was Zammad restarted after the attribute migration?", messages=[])
        return new_id

    def _customer_id(self) -> int:
        wanted = self.settings["customer"]
        if not wanted:
            return int(self.me()["id"])
        found = self.session.request("GET", "users/search", params={"query": wanted, "limit": 10}).json()
        for user in found if isinstance(found, list) else []:
            if wanted in (user.get("login"), user.get("email")):
                return int(user["id"])
        raise NotProvisionedError([f"customer {wanted}: no such Zammad user ([{SECTION}] customer)"])

    def _discard(self, ticket_id: str) -> None:
        """Delete a ticket created by mistake (best effort: needs the ticket delete permission)."""
        try:
            self.session.request("DELETE", f"tickets/{ticket_id}")
        except Exception:  # noqa: BLE001 - the caller reports the original problem
            pass

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Write register fields in one update and check the answer carries them."""
        values = self._encode(fields)
        if not values:
            return
        answer = self._put(ticket_id, values)
        dropped = self._dropped(values, answer)
        if dropped:
            raise HostRefused(f"Zammad did not store {', '.join(dropped)} on ticket {ticket_id}: was Zammad "
                              "restarted after the attribute migration?", messages=[])

    def find_user(self, login: str) -> str | None:
        """The id of the active user whose login is ``login`` (``GET /users/search``, which
        matches parts of logins and mails: the exact login is picked), ``None`` otherwise."""
        found = self.session.request("GET", "users/search", params={"query": login, "limit": 100}).json()
        for user in found if isinstance(found, list) else []:
            if isinstance(user, dict) and str(user.get("login", "")).lower() == login.lower() \
                    and user.get("active", True):
                return str(user["id"])
        return None

    def update_record(self, ticket_id: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """One ``PUT``: title, ``owner_id`` and attributes; what the answer does not carry as sent
        (an owner Zammad would not accept for the group, an unmigrated attribute) is refused."""
        body = self._encode(fields) if fields else {}
        if title is not None:
            body["title"] = title
        if owner is not None:
            body["owner_id"] = int(owner)
        if not body:
            return
        answer = self._put(ticket_id, body)
        dropped = self._dropped({k: v for k, v in body.items() if k not in ("title", "owner_id")}, answer)
        if owner is not None and str(answer.get("owner_id")) != owner:
            dropped.append("the owner")
        if dropped:
            raise HostRefused(f"Zammad did not store {', '.join(dropped)} on ticket {ticket_id}", messages=[])

    def set_status(self, ticket_id: str, status: str) -> None:
        """Change the state; a core workflow's refusal (422) names the states, not their ids."""
        wanted = self._state_id(status)
        try:
            answer = self._put(ticket_id, {"state_id": wanted})
        except HostRefused as exc:
            words = self._state_words(exc.messages)
            current = self._state_name(self._read(ticket_id).get("state_id"))
            raise HostRefused(f"Zammad refused state {status!r} on ticket {ticket_id} (now {current!r}): {words}",
                              status=exc.status, messages=[words]) from None
        if answer.get("state_id") != wanted:
            now = self._state_name(answer.get("state_id"))
            raise HostRefused(f"Zammad kept ticket {ticket_id} in state {now!r} instead of {status!r}", messages=[])

    def _state_words(self, messages: list[str]) -> str:
        """Zammad's words with state ids replaced by names."""
        text = "; ".join(messages) or "refused"

        def name(match: re.Match[str]) -> str:
            return f"'{self._state_name(int(match.group(1))) or match.group(1)}'"

        return re.sub(r"'(\d+)'(?= for field 'state_id')", name, text)

    def comment(self, ticket_id: str, text: str) -> None:
        """An internal note (agents only)."""
        body = {"ticket_id": int(ticket_id), "body": text, "type": "note", "internal": True, "content_type": "text/plain"}
        try:
            self.session.request("POST", "ticket_articles", json=body)
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None

    # --- searches -------------------------------------------------------------------------------

    def _in_group(self) -> dict[str, dict[str, Any]]:
        return {"ticket.group_id": {"operator": "is", "value": [str(self._group_id(self.group_name))]}}

    def comments(self, ticket_id: str) -> list[str]:
        """The body of every article of the ticket (its first message, then the notes), oldest first."""
        articles = (self._get_all(ticket_id).get("assets") or {}).get("TicketArticle") or {}
        return [str(a.get("body") or "").replace("\r\n", "\n") for _, a in
                sorted(articles.items(), key=lambda item: int(item[0])) if a.get("body")]

    def improvements_from_source(self, source_id: str) -> list[str]:
        """Improvements whose source attribute holds ``,ID,`` (confirmed after the LIKE)."""
        source_id = str(source_id).strip()
        attr = self._attribute("source_tickets")
        condition = {**self._in_group(), f"ticket.{attr['name']}": {"operator": "contains", "value": encode_ids([source_id])}}
        return [str(item["id"]) for item in self._search(condition) if source_id in decode_ids(item.get(attr["name"]))]

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        """Every improvement (all pages), with the improvements it depends on."""
        condition = self._in_group()
        if statuses:
            ids = [str(s["id"]) for s in (self._state(n) for n in statuses) if s is not None]
            if not ids:
                return
            condition["ticket.state_id"] = {"operator": "is", "value": ids}
        for item in self._search(condition):
            ticket = self._to_ticket(item)
            depends = self._depends_on(ticket.id)
            if depends:
                ticket.links = {"depends_on": depends}
            yield ticket

    def flagged_tickets(self) -> Iterator[Ticket]:
        """Every ticket whose candidate attribute asks for conversion."""
        attr = self._attribute("candidate")
        for item in self._search({f"ticket.{attr['name']}": {"operator": "is", "value": [self.candidate["value"]]}}):
            yield self._to_ticket(item)

    def clear_flag(self, ticket_id: str) -> None:
        """Set the candidate attribute to the cleared value (or empty it)."""
        self.update_fields(ticket_id, {"candidate": self.candidate["cleared"]})
