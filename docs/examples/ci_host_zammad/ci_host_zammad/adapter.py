"""Zammad 6 through its REST API (``/api/v1``), as a ci-plugin host.

The register is the tickets of one group (``[hooks.zammad] group``, "Improvements"); problem and
project records are tickets of two more groups ("Problems", "Projects"). Register fields are
ticket object attributes, found by their display name (``[fields]``); workflow states are
Zammad ticket states (``[states]``); comments are internal notes; links are Zammad links.

Settings (all optional), in the plugin's own table::

    [hooks.zammad]
    group = "Improvements"
    problem_group = "Problems"
    project_group = "Projects"
    customer = "ci-bot@example.com"   # customer of new improvements; default: the token's user

Zammad quirks handled here and nowhere else:

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
* Zammad has three link types, ``normal`` (no direction), ``parent`` and ``child``. Links are
  read from the improvement's side: sources and problems are ``normal`` links (told apart by the
  source field and the problem group), a project is the improvement's ``parent``, an improvement
  depends on its ``child`` improvements, and a ``normal`` link to a *newer* improvement is a
  follow-up (ids only grow, and a follow-up is always created after its original).
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

import jsonschema

from ci_plugin.domain import fields as register_fields
from ci_plugin.errors import (
    ConfigError,
    HostRefused,
    NotFound,
    NotProvisionedError,
    PermissionDenied,
    UsageError,
)
from ci_plugin.domain.fields import decode_ids, encode_ids
from ci_plugin.hosts.base import Change, Finding, HostAdapter, ManualStep
from ci_plugin.http import HostSession
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import FINAL_STATES, STATES, TRANSITIONS, StateMap

PLUGIN = "zammad"
PAGE_SIZE = 100  # /tickets/search allows 200 per page, the index endpoints 100
SEARCH_CAP = 200
WORKFLOW_PREFIX = "ci-plugin"
ATTRIBUTE_POSITION = 1500  # after Zammad's own ticket attributes

SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "group": {"type": "string", "minLength": 1, "maxLength": 160},
        "problem_group": {"type": "string", "minLength": 1, "maxLength": 160},
        "project_group": {"type": "string", "minLength": 1, "maxLength": 160},
        "customer": {"type": "string", "minLength": 1},
    },
}
DEFAULTS = {"group": "Improvements", "problem_group": "Problems", "project_group": "Projects"}

# How each kind of register field is kept as a Zammad ticket attribute.
_TEXT_LENGTH = {"ids": 1000, "number": 40, "text": 250}
_LONG_TEXT = 20000  # textarea: JSON documents and lessons learned
_MISSING = "missing: run `ci-plugin setup`"


def settings(config: Any) -> dict[str, Any]:
    """The adapter's settings from ``[hooks.zammad]``, validated, with defaults filled in."""
    raw = config.hook_settings(PLUGIN)
    errors = sorted(jsonschema.Draft202012Validator(SETTINGS_SCHEMA).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        path = "".join(f".{p}" for p in error.path)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(SETTINGS_SCHEMA["properties"]))
            raise ConfigError(f"$.hooks.{PLUGIN}{path}.{extra[0]}: unknown key {extra[0]!r}")
        raise ConfigError(f"$.hooks.{PLUGIN}{path}: {error.message}")
    return {**DEFAULTS, **raw}


def attribute_name(display: str) -> str:
    """The attribute name Zammad needs for a display name: ``"CI Source Ticket" -> "ci_source_ticket"``."""
    name = re.sub(r"[^a-z0-9]+", "_", display.lower()).strip("_")
    return name if re.match(r"^[a-z]", name) else f"ci_{name}"


def _plain(value: Any) -> str:
    """A Zammad attribute value as the string the core expects (``None`` is empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ZammadAdapter(HostAdapter):
    """Zammad 6 (REST API v1): improvements are tickets of one group, fields are ticket attributes."""

    name = "zammad"
    label = "Zammad"

    def __init__(self, config: Any, session: HostSession | None = None):
        self.settings = settings(config)  # before the session: a bad table is a config error
        super().__init__(config, session)
        self.group_name: str = self.settings["group"]
        self.problem_group: str = self.settings["problem_group"]
        self.project_group: str = self.settings["project_group"]
        self.display_names: dict[str, str] = config.section("fields")
        self.candidate = config.section("candidate")
        self.states = StateMap(config.section("states"))
        self.web_base = config.data["host"]["url"].rstrip("/")
        self._me: dict[str, Any] | None = None
        self._groups: list[dict[str, Any]] | None = None
        self._states: list[dict[str, Any]] | None = None
        self._attributes: list[dict[str, Any]] | None = None
        self._numbers: dict[str, str] = {}  # ticket id -> ticket number (links/add wants numbers)

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        """One session on ``URL/api/v1`` with Zammad's token header (timeouts, retries and
        redaction come with :meth:`HostSession.from_config`)."""
        return HostSession.from_config(config, api_path="/api/v1", host_name="Zammad",
                                       auth=lambda token: {"Authorization": f"Token token={token}"})

    # --- metadata (read once per process) -------------------------------------------------------

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

    def _collection(self, path: str) -> list[dict[str, Any]]:
        """Every record of an index endpoint, page by page (some endpoints ignore paging)."""
        found: dict[Any, dict[str, Any]] = {}
        page = 1
        while True:
            items = self.session.request("GET", path, params={"page": page, "per_page": PAGE_SIZE}).json()
            fresh = [item for item in items if item.get("id") not in found]
            for item in fresh:
                found[item.get("id")] = item
            if len(items) < PAGE_SIZE or not fresh:
                return list(found.values())
            page += 1

    def groups(self) -> list[dict[str, Any]]:
        """Every group (cached)."""
        if self._groups is None:
            self._groups = self._collection("groups")
        return self._groups

    def _group(self, name: str) -> dict[str, Any] | None:
        return next((g for g in self.groups() if g.get("name") == name), None)

    def _group_id(self, name: str) -> int:
        group = self._group(name)
        if group is None:
            raise NotProvisionedError([f"group {name}: {_MISSING}"])
        return int(group["id"])

    def _group_name(self, group_id: Any) -> str:
        return next((g["name"] for g in self.groups() if g.get("id") == group_id), "")

    def ticket_states(self) -> list[dict[str, Any]]:
        """Every ticket state (cached)."""
        if self._states is None:
            self._states = self._collection("ticket_states")
        return self._states

    def _state(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.ticket_states() if s.get("name") == name), None)

    def _state_id(self, name: str) -> int:
        state = self._state(name)
        if state is None:
            raise NotProvisionedError([f"state {name}: {_MISSING}"])
        return int(state["id"])

    def _state_name(self, state_id: Any) -> str:
        return next((s["name"] for s in self.ticket_states() if s.get("id") == state_id), "")

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
        return (next((a for a in attrs if a.get("display") == display), None)
                or next((a for a in attrs if a.get("name") == attribute_name(display)), None))

    def _attribute(self, key: str) -> dict[str, Any]:
        """The attribute of register field ``key``; NotProvisionedError when it is missing."""
        display = self.display_names[key]
        attr = self._attribute_named(display)
        if attr is None:
            raise NotProvisionedError([f"attribute {display}: {_MISSING}"])
        return attr

    # --- provisioning ---------------------------------------------------------------------------

    def _wanted_attribute(self, spec: register_fields.FieldSpec, position: int) -> dict[str, Any]:
        """The attribute definition a register field needs."""
        display = self.display_names[spec.key]
        if spec.kind in ("enum", "flag"):
            choices = spec.choices if spec.kind == "enum" else [v for v in (self.candidate["value"], self.candidate["cleared"]) if v]
            data_type, option = "select", {"options": {c: c for c in choices}, "default": "", "null": True,
                                           "nulloption": True, "translate": False}
        elif spec.kind == "integer":
            data_type, option = "integer", {"min": 0, "max": 999999999, "default": None, "null": True}
        elif spec.kind == "date":
            data_type, option = "date", {"diff": None, "default": None, "null": True, "future": True, "past": True}
        elif spec.kind == "json" or spec.key == "lessons":
            data_type, option = "textarea", {"maxlength": _LONG_TEXT, "rows": 4, "default": "", "null": True}
        else:
            data_type, option = "input", {"type": "text", "maxlength": _TEXT_LENGTH.get(spec.kind, 250),
                                          "default": "", "null": True}
        return {
            "name": attribute_name(display), "display": display, "object": "Ticket", "active": True,
            "position": position, "data_type": data_type, "data_option": option,
            "screens": {"create_middle": {}, "edit": {"ticket.agent": {"shown": True, "required": False}}},
        }

    def provision(self) -> list[Change]:
        """Create groups, the token user's access to them, states, attributes (and run their
        database migration) and the core workflows of the register's states."""
        changes = self._provision_groups()
        changes += self._provision_states()
        changes += self._provision_attributes()
        changes += self._provision_workflows()
        return changes

    def _provision_groups(self) -> list[Change]:
        changes: list[Change] = []
        for name, note in ((self.group_name, "Continual improvement register (ci-plugin)"),
                           (self.problem_group, "Problem records linked from improvements (ci-plugin)"),
                           (self.project_group, "Project records linked from improvements (ci-plugin)")):
            if self._group(name) is None:
                self.session.request("POST", "groups", json={"name": name, "active": True, "note": note})
                self._groups = None
                changes.append(Change("created", f"group {name}"))
            else:
                changes.append(Change("unchanged", f"group {name}"))
        me = self.me()
        access = {str(k): v for k, v in (me.get("group_ids") or {}).items()}
        missing = [self._group_id(n) for n in (self.group_name, self.problem_group, self.project_group)
                   if "full" not in (access.get(str(self._group_id(n))) or [])]
        if missing:
            merged = {**access, **{str(i): ["full"] for i in missing}}
            self.session.request("PUT", f"users/{me['id']}", json={"group_ids": merged})
            self._me = None
            changes.append(Change("updated", f"user {me.get('login')}: full access to the register's groups"))
        return changes

    def _state_type(self, final: bool) -> int:
        """Zammad has no endpoint for state types: borrow the type of its own states."""
        model = self._state("closed" if final else "open")
        if model is None:
            raise NotProvisionedError([f"state {'closed' if final else 'open'}: Zammad's own state is missing"])
        return int(model["state_type_id"])

    def _provision_states(self) -> list[Change]:
        changes: list[Change] = []
        for state in STATES:
            name = self.states.host_status(state)
            if self._state(name) is not None:
                changes.append(Change("unchanged", f"state {name}"))
                continue
            body = {"name": name, "state_type_id": self._state_type(state in FINAL_STATES), "active": True,
                    "ignore_escalation": state in FINAL_STATES or state == "on-hold",
                    "note": "Improvement register state (ci-plugin)"}
            self.session.request("POST", "ticket_states", json=body)
            self._states = None
            changes.append(Change("created", f"state {name}"))
        return changes

    def _provision_attributes(self) -> list[Change]:
        changes: list[Change] = []
        migrate = False
        for position, spec in enumerate(register_fields.FIELDS, start=ATTRIBUTE_POSITION):
            wanted = self._wanted_attribute(spec, position)
            attr = self._attribute_named(wanted["display"])
            if attr is None:
                self.session.request("POST", "object_manager_attributes", json=wanted)
                changes.append(Change("created", f"attribute {wanted['display']} ({wanted['name']})"))
                migrate = True
            elif wanted["data_type"] == "select" and attr.get("data_type") == "select":
                options = dict((attr.get("data_option") or {}).get("options") or {})
                absent = [k for k in wanted["data_option"]["options"] if k not in options]
                if absent:
                    body = {**wanted, "name": attr["name"],
                            "data_option": {**wanted["data_option"], "options": {**options, **{k: k for k in absent}}}}
                    self.session.request("PUT", f"object_manager_attributes/{attr['id']}", json=body)
                    changes.append(Change("updated", f"attribute {wanted['display']}: options {', '.join(absent)}"))
                    migrate = True
                else:
                    changes.append(Change("unchanged", f"attribute {wanted['display']}"))
            else:
                changes.append(Change("unchanged", f"attribute {wanted['display']}"))
            migrate = migrate or bool(attr and (attr.get("to_create") or attr.get("to_migrate") or attr.get("to_config")))
        if migrate:
            self.session.request("POST", "object_manager_attributes_execute_migrations", json={})
            changes.append(Change("updated", "database migration of the ticket attributes executed"))
        self._attributes = None
        return changes

    def _workflow_name(self, state: str) -> str:
        return f"{WORKFLOW_PREFIX}: {self.group_name} from {self.states.host_status(state)}"

    def _wanted_workflow(self, state: str) -> dict[str, Any]:
        """The core workflow that allows, in the register's group, only the workflow's moves from ``state``."""
        here = self._state_id(self.states.host_status(state))
        allowed = [here] + [self._state_id(self.states.host_status(s)) for s in TRANSITIONS.get(state, ())]
        return {
            "name": self._workflow_name(state), "object": "Ticket", "active": True, "stop_after_match": False,
            "priority": 500, "preferences": {"screen": ["edit"]},
            "condition_saved": {"ticket.group_id": {"operator": "is", "value": [str(self._group_id(self.group_name))]},
                                "ticket.state_id": {"operator": "is", "value": [str(here)]}},
            "condition_selected": {},
            "perform": {"ticket.state_id": {"operator": "set_fixed_to", "set_fixed_to": [str(i) for i in allowed]}},
        }

    def _workflows(self) -> dict[str, dict[str, Any]]:
        return {w.get("name"): w for w in self._collection("core_workflows")
                if str(w.get("name", "")).startswith(WORKFLOW_PREFIX)}

    def _provision_workflows(self) -> list[Change]:
        if self._group(self.group_name) is None or any(self._state(self.states.host_status(s)) is None for s in STATES):
            return []
        changes: list[Change] = []
        existing = self._workflows()
        for state in STATES:
            wanted = self._wanted_workflow(state)
            have = existing.get(wanted["name"])
            if have is None:
                self.session.request("POST", "core_workflows", json=wanted)
                changes.append(Change("created", f"core workflow {wanted['name']}"))
            elif self._workflow_differs(have, wanted):
                self.session.request("PUT", f"core_workflows/{have['id']}", json=wanted)
                changes.append(Change("updated", f"core workflow {wanted['name']}"))
            else:
                changes.append(Change("unchanged", f"core workflow {wanted['name']}"))
        return changes

    @staticmethod
    def _workflow_differs(have: dict[str, Any], wanted: dict[str, Any]) -> bool:
        keys = ("active", "condition_saved", "perform")
        return any(have.get(k) != wanted[k] for k in keys)

    def manual_steps(self) -> list[ManualStep]:
        """Restarting Zammad after the attributes' database migration (no API restarts Zammad)."""
        return [
            ManualStep(
                title="Restart Zammad after the ticket attributes' database migration",
                why="`ci-plugin setup` creates the register's ticket attributes and executes their database "
                    "migration through the API, but the running Zammad only sees the new columns after a "
                    "restart, which no API can do. Until then Zammad drops the attributes' values.",
                content="#!/bin/sh\n"
                        "# Restart Zammad once, after `ci-plugin setup` executed the attribute migration.\n"
                        "# Package installation:\n"
                        "systemctl restart zammad\n"
                        "# Docker Compose installation, instead: docker compose restart\n",
                filename="ci-plugin-zammad-restart.sh",
                fixes=("restart",),
            )
        ]

    def check(self) -> list[Finding]:
        """Groups and access, states, attributes (defined, migrated, live) and core workflows."""
        findings: list[Finding] = []
        access = {str(k): v for k, v in (self.me().get("group_ids") or {}).items()}
        for name in (self.group_name, self.problem_group, self.project_group):
            group = self._group(name)
            if group is None:
                findings.append(Finding(f"group {name}", False, _MISSING))
            elif "full" not in (access.get(str(group["id"])) or []):
                findings.append(Finding(f"group {name}", False, "the token's user has no full access: run `ci-plugin setup`"))
            else:
                findings.append(Finding(f"group {name}", True))
        states_ok = True
        for state in STATES:
            name = self.states.host_status(state)
            found = self._state(name)
            final = state in FINAL_STATES
            if found is None:
                findings.append(Finding(f"state {name}", False, _MISSING))
                states_ok = False
            elif (int(found["state_type_id"]) == self._state_type(True)) != final:
                findings.append(Finding(f"state {name}", False, f"must be of the type of Zammad's "
                                        f"{'closed' if final else 'open'} state (Settings > Ticket States)"))
            else:
                findings.append(Finding(f"state {name}", True))
        pending = []
        for position, spec in enumerate(register_fields.FIELDS, start=ATTRIBUTE_POSITION):
            wanted = self._wanted_attribute(spec, position)
            finding = self._check_attribute(wanted)
            findings.append(finding)
            if finding.ok:
                pending.append(self._attribute_named(wanted["display"])["name"])
        findings.append(self._check_live(pending))
        if states_ok and self._group(self.group_name) is not None:
            existing = self._workflows()
            for state in STATES:
                wanted = self._wanted_workflow(state)
                have = existing.get(wanted["name"])
                ok = have is not None and not self._workflow_differs(have, wanted)
                findings.append(Finding(f"core workflow {wanted['name']}", ok, "" if ok else
                                        ("missing" if have is None else "changed") + ": run `ci-plugin setup`"))
        return findings

    def _check_attribute(self, wanted: dict[str, Any]) -> Finding:
        name = f"attribute {wanted['display']}"
        attr = self._attribute_named(wanted["display"])
        if attr is None:
            return Finding(name, False, _MISSING)
        problems = []
        if attr.get("data_type") != wanted["data_type"]:
            problems.append(f"type is {attr.get('data_type')!r}, ci-plugin needs {wanted['data_type']!r}: rename or "
                            "delete it, then run `ci-plugin setup`")
        if wanted["data_type"] == "select":
            options = (attr.get("data_option") or {}).get("options") or {}
            absent = [k for k in wanted["data_option"]["options"] if k not in options]
            if absent:
                problems.append("options lack " + ", ".join(absent) + ": run `ci-plugin setup`")
        if attr.get("to_create") or attr.get("to_migrate") or attr.get("to_config"):
            problems.append("database migration pending: run `ci-plugin setup`")
        if not attr.get("active", True):
            problems.append("inactive (Settings > Objects > Ticket)")
        return Finding(name, not problems, "; ".join(problems))

    def _check_live(self, names: list[str]) -> Finding:
        """Whether the running Zammad knows the attributes' columns (a ticket shows every column)."""
        finding = "restart after the attribute migration"
        probe = self.session.request("GET", "tickets", params={"page": 1, "per_page": 1}).json()
        if not probe:
            return Finding(finding, True, "no ticket to probe with")
        unknown = [n for n in names if n not in probe[0]]
        if unknown:
            return Finding(finding, False, f"the running Zammad does not know {', '.join(unknown)} yet: restart "
                                           "Zammad (`ci-plugin setup --print-provisioning`)")
        return Finding(finding, True)

    # --- records --------------------------------------------------------------------------------

    def _values(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register field values of a ticket record, as strings (ids as lists)."""
        values: dict[str, Any] = {}
        for key, display in self.display_names.items():
            attr = self._attribute_named(display)
            name = attr["name"] if attr else attribute_name(display)
            if name not in data:
                continue
            raw = data.get(name)
            values[key] = decode_ids(raw) if register_fields.BY_KEY[key].kind == "ids" else _plain(raw)
        return values

    def _to_ticket(self, data: dict[str, Any]) -> Ticket:
        ticket_id = str(data["id"])
        if data.get("number"):
            self._numbers[ticket_id] = str(data["number"])
        group = data.get("group") if isinstance(data.get("group"), str) else self._group_name(data.get("group_id"))
        state = data.get("state") if isinstance(data.get("state"), str) else self._state_name(data.get("state_id"))
        owner = data.get("owner") if isinstance(data.get("owner"), str) else ""
        return Ticket(
            id=ticket_id,
            title=data.get("title") or "",
            status=state or "",
            container=group or "",
            submitter=data.get("created_by") if isinstance(data.get("created_by"), str) else "",
            owner="" if owner in ("-", None) else owner,
            created=data.get("created_at") or "",
            url=self.ticket_url(ticket_id),
            fields=self._values(data),
        )

    def _get_all(self, ticket_id: str) -> dict[str, Any]:
        """``GET /tickets/ID?all=true``: the ticket, its articles, its links and the linked tickets."""
        try:
            return self.session.request("GET", f"tickets/{ticket_id}", params={"all": "true"}).json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """Read a ticket with its description (first article); ``links=True`` sorts its links."""
        answer = self._get_all(ticket_id)
        assets = answer.get("assets") or {}
        tickets = assets.get("Ticket") or {}
        data = tickets.get(str(answer.get("ticket_id", ticket_id)))
        if data is None:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist")
        ticket = self._to_ticket(data)
        articles = assets.get("TicketArticle") or {}
        first = min((int(i) for i in answer.get("ticket_article_ids") or [] if str(i) in articles), default=None)
        if first is not None:
            ticket.description = str(articles[str(first)].get("body") or "").replace("\r\n", "\n").strip()
        for other in tickets.values():
            if other.get("number"):
                self._numbers[str(other["id"])] = str(other["number"])
        if links:
            groups = {str(i): self._group_name(t.get("group_id")) for i, t in tickets.items()}
            ticket.links = self._classify(ticket, answer.get("links") or [], groups)
        return ticket

    def _classify(self, ticket: Ticket, links: list[dict[str, Any]], group_of: dict[str, str]) -> dict[str, list[str]]:
        """Sort a ticket's links by kind, from its own side (see the module's notes)."""
        buckets: dict[str, list[str]] = {}
        own = self.in_register(ticket)
        sources = set(ticket.fields.get("source_tickets") or [])
        for link in links:
            if link.get("link_object") != "Ticket":
                continue
            other, kind = str(link.get("link_object_value")), link.get("link_type")
            group = group_of.get(other)
            if group is None:
                group = self._group_name(self._read(other).get("group_id"))
            if not own:
                bucket = "improvements" if group == self.group_name else "related"
            elif kind == "normal" and other in sources:
                bucket = "sources"
            elif kind == "normal" and group == self.problem_group:
                bucket = "problems"
            elif kind == "parent" and group == self.project_group:
                bucket = "projects"
            elif kind == "child" and group == self.group_name:
                bucket = "depends_on"
            elif kind == "normal" and group == self.group_name and int(other) > int(ticket.id):
                bucket = "follow_ups"
            else:
                bucket = "related"
            if other not in buckets.setdefault(bucket, []):
                buckets[bucket].append(other)
        return {k: sorted(v, key=int) for k, v in buckets.items() if v}

    def _read(self, ticket_id: str) -> dict[str, Any]:
        """The plain ticket record (``GET /tickets/ID``)."""
        try:
            data = self.session.request("GET", f"tickets/{ticket_id}").json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None
        if data.get("number"):
            self._numbers[str(data["id"])] = str(data["number"])
        return data

    def in_register(self, ticket: Ticket) -> bool:
        """Whether the ticket is in the register's group."""
        return ticket.container == self.group_name

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        """Problems are tickets of the problem group, projects of the project group."""
        return ticket.container == {"problem": self.problem_group, "project": self.project_group}[kind]

    def find_project(self, ref: str) -> Ticket:
        """A project is a ticket (of the project group), named by its id."""
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def _encode(self, values: dict[str, Any]) -> dict[str, Any]:
        """Register values as attribute values; refuses, before sending, what Zammad would not
        keep as given (too long for its column, not an option of a select, not a date...)."""
        body: dict[str, Any] = {}
        for key, raw in values.items():
            spec = register_fields.BY_KEY[key]
            attr = self._attribute(key)
            option = attr.get("data_option") or {}
            if spec.kind == "ids":
                value: Any = register_fields.encode_checked_ids(key, raw)
            else:
                value = (str(raw[0]) if raw else "") if isinstance(raw, list) else _plain(raw)
            data_type = attr.get("data_type")
            if data_type == "select":
                if value and value not in (option.get("options") or {}):
                    raise UsageError(f"{key}: {value!r} is not a value of Zammad attribute {attr['display']!r} "
                                     f"(options: {', '.join(option.get('options') or {})})")
                value = value or None
            elif data_type == "integer":
                if value and not re.fullmatch(r"-?\d+", value):
                    raise UsageError(f"{key}: {value!r} is not an integer")
                value = int(value) if value else None
            elif data_type == "date":
                if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise UsageError(f"{key}: {value!r} is not a date (YYYY-MM-DD)")
                value = value or None
            elif option.get("maxlength") and len(value) > int(option["maxlength"]):
                raise UsageError(f"{key}: {len(value)} characters do not fit Zammad attribute {attr['display']!r} "
                                 f"(at most {option['maxlength']})")
            body[attr["name"]] = value
        return body

    def _dropped(self, sent: dict[str, Any], answer: dict[str, Any]) -> list[str]:
        """Display names of attributes whose value the answer does not carry as sent."""
        by_name = {a["name"]: a["display"] for a in self.attributes()}
        return [by_name.get(name, name) for name, value in sent.items()
                if name not in answer or _plain(answer.get(name)) != _plain(value)]

    def _links_body(self, links: dict[str, list[str]]) -> dict[str, list[int]]:
        """Links of a new ticket, from the new ticket's side (it is the links' source)."""
        body: dict[str, list[int]] = {}
        for kind, targets in links.items():
            role = self._role(kind, source_side=True)
            body.setdefault(role, []).extend(int(t) for t in targets)
        return body

    @staticmethod
    def _role(kind: str, *, source_side: bool = False) -> str:
        """Zammad link type of a register link kind, as the *other* ticket is to the improvement
        (``source_side``: as the improvement is to the other ticket)."""
        role = {"sources": "normal", "problems": "normal", "follow_ups": "normal", "projects": "parent",
                "depends_on": "child"}[kind]
        if source_side:
            role = {"parent": "child", "child": "parent"}.get(role, role)
        return role

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
        if answer.get("number"):
            self._numbers[new_id] = str(answer["number"])
        dropped = self._dropped(values, answer)
        if dropped:
            self._discard(new_id)
            raise HostRefused(f"Zammad did not store {', '.join(dropped)} on the new improvement (deleted it again): "
                              "was Zammad restarted after the attribute migration?", messages=[])
        return new_id

    def _customer_id(self) -> int:
        wanted = self.settings.get("customer")
        if not wanted:
            return int(self.me()["id"])
        found = self.session.request("GET", "users/search", params={"query": wanted, "limit": 10}).json()
        for user in found if isinstance(found, list) else []:
            if wanted in (user.get("login"), user.get("email")):
                return int(user["id"])
        raise NotProvisionedError([f"customer {wanted}: no such Zammad user ([hooks.zammad] customer)"])

    def _discard(self, ticket_id: str) -> None:
        """Delete a ticket created by mistake (best effort: needs the ticket delete permission)."""
        try:
            self.session.request("DELETE", f"tickets/{ticket_id}")
        except Exception:  # noqa: BLE001 - the caller reports the original problem
            pass

    def _put(self, ticket_id: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.session.request("PUT", f"tickets/{ticket_id}", json=body).json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None

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

    def _links_of(self, ticket_id: str) -> list[dict[str, Any]]:
        try:
            answer = self.session.request("GET", "links", params={"link_object": "Ticket",
                                                                  "link_object_value": ticket_id}).json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None
        return [l for l in answer.get("links") or [] if l.get("link_object") == "Ticket"]

    def _number(self, ticket_id: str) -> str:
        if ticket_id not in self._numbers:
            self._read(ticket_id)
        return self._numbers[ticket_id]

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        """Link targets to the improvement (the link's target), skipping links already there."""
        role = self._role(kind)
        present = {(str(l.get("link_object_value")), l.get("link_type")) for l in self._links_of(ticket_id)}
        for target in targets:
            if (str(target), role) in present:
                continue
            body = {"link_type": role, "link_object_source": "Ticket", "link_object_source_number": self._number(str(target)),
                    "link_object_target": "Ticket", "link_object_target_value": int(ticket_id)}
            try:
                self.session.request("POST", "links/add", json=body)
            except HostRefused as exc:
                if any("already exists" in m for m in exc.messages):
                    continue
                raise HostRefused(f"Zammad refused the {kind} link {ticket_id} -> {target}: "
                                  f"{'; '.join(exc.messages) or exc}", status=exc.status, messages=exc.messages) from None

    def comment(self, ticket_id: str, text: str) -> None:
        """An internal note (agents only)."""
        body = {"ticket_id": int(ticket_id), "body": text, "type": "note", "internal": True, "content_type": "text/plain"}
        try:
            self.session.request("POST", "ticket_articles", json=body)
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None

    def _search(self, condition: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Every ticket matching a selector condition, from the database, page by page."""
        per_page = min(PAGE_SIZE, SEARCH_CAP)
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

    def _in_group(self) -> dict[str, dict[str, Any]]:
        return {"ticket.group_id": {"operator": "is", "value": [str(self._group_id(self.group_name))]}}

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
            depends = sorted((str(l["link_object_value"]) for l in self._links_of(ticket.id)
                              if l.get("link_type") == "child"), key=int)  # child improvements come first
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

    def ticket_url(self, ticket_id: str) -> str:
        """The ticket in Zammad's web app."""
        return f"{self.web_base}/#ticket/zoom/{ticket_id}"
