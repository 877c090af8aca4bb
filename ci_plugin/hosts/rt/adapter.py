"""Request Tracker 5 through REST2.

RT quirks handled here and nowhere else:

* ``PUT /ticket/ID`` answers HTTP 200 with a list of messages even when RT refused the change
  ("You can't change status from 'new' to 'closed'.", "Could not add a new value to custom
  field ..."); :func:`refusals` picks those out and they become :class:`HostRefused`.
* An invalid custom-field value on create is dropped silently: values are encoded and checked
  against the field's pattern before they are sent.
* Lifecycles cannot be created over REST2: :mod:`.lifecycle` renders the site-config snippet.
* Custom fields can be attached to a queue only when they are created; what is missing is
  reported by ``check`` with the exact fix.
* Searches are capped at 100 per page; every page is followed.
* A custom-field value that was deleted reads back as ``null`` in ``values``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from ci_plugin.domain import fields as register_fields
from ci_plugin.errors import HostRefused, NotFound, UsageError
from ci_plugin.hosts.base import Change, Finding, HostAdapter, ManualStep
from ci_plugin.hosts.rt import lifecycle
from ci_plugin.http import HostSession
from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import StateMap

PAGE_SIZE = 100
TICKET_CF_LOOKUP = "RT::Queue-RT::Ticket"

# RT's words when it did not do what was asked (inside an HTTP 200 answer).
_REFUSAL = re.compile(
    r"^(Could not|Couldn't|You can't|You cannot|Can't|Cannot|Permission Denied|Invalid|Unable|Failed|"
    r"That ticket has|No permission|Illegal)|isn't a valid|is not a valid|must match|not allowed|"
    r"unresolved dependencies",
    re.IGNORECASE,
)
_TICKET_PREFIX = re.compile(r"^Ticket \d+: ")
_ALREADY = re.compile(r"already (exists|has that value|set)|That is already the current value", re.IGNORECASE)

# Kinds of RT custom field for each register field kind.
_CF_TYPE = {"json": ("Text", 1), "ids": ("Freeform", 0)}

_LINK_REFS = {
    "RefersTo": "refers-to", "ReferredToBy": "referred-to-by", "DependsOn": "depends-on",
    "DependedOnBy": "depended-on-by", "MemberOf": "parent", "HasMember": "child",
}


def refusals(messages: Any) -> list[str]:
    """The messages of an RT update answer that say RT refused something."""
    if not isinstance(messages, list):
        return []
    found = []
    for message in map(str, messages):
        text = _TICKET_PREFIX.sub("", message)  # REST2 prefixes messages with "Ticket N: "
        if _REFUSAL.search(text) and not _ALREADY.search(text):
            found.append(text)
    return found


def _queue_id_of(data: dict[str, Any]) -> str:
    """The queue id of a ticket as REST2 returns it (an object with an id, or a bare value)."""
    queue = data.get("Queue") or {}
    return str(queue.get("id", "")) if isinstance(queue, dict) else str(queue)


def _sql_quote(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class RTAdapter(HostAdapter):
    """Request Tracker 5 (REST2): improvements are tickets of one queue with custom fields."""

    name = "rt"
    label = "RT"

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        rt = config.section("rt")
        self.queue_name: str = rt["queue"]
        self.problem_queue: str = rt["problem_queue"]
        self.project_queue: str = rt["project_queue"]
        self.lifecycle_name: str = rt["lifecycle"]
        self.candidate_queues: list[str] = rt["candidate_queues"]
        self.link_types: dict[str, str] = rt["links"]
        self.cf_names: dict[str, str] = config.section("fields")
        self.candidate = config.section("candidate")
        self.states = StateMap(config.section("states"))
        self._queues: dict[str, dict[str, Any] | None] = {}
        self._cfs: list[dict[str, Any]] | None = None
        self.web_base = config.data["host"]["url"].rstrip("/")

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        return HostSession.from_config(config, api_path="/REST/2.0", host_name="RT",
                                       auth=lambda token: {"Authorization": f"token {token}"})

    # --- metadata (fetched once per process) ---------------------------------------------------

    def about(self) -> dict[str, Any]:
        body = self.session.request("GET", "rt").json()
        if not isinstance(body, dict) or "Version" not in body:
            raise NotFound("RT: /REST/2.0/rt did not answer with a version: is this RT 5 with REST2?")
        return {"version": body["Version"]}

    def queue(self, name: str) -> dict[str, Any] | None:
        """The queue record named ``name`` (cached), or None when it does not exist."""
        if name not in self._queues:
            try:
                self._queues[name] = self.session.request("GET", f"queue/{quote(name, safe='')}").json()
            except NotFound:
                self._queues[name] = None
        return self._queues[name]

    def _queue_id(self, name: str) -> str:
        record = self.queue(name)
        if record is None:
            raise NotFound(f"RT: queue {name!r} does not exist; run `ci-plugin setup`")
        return str(record["id"])

    def custom_fields(self) -> list[dict[str, Any]]:
        """Every ticket custom field of RT (cached), all pages."""
        if self._cfs is None:
            self._cfs = list(
                self._pages(
                    "customfields",
                    {"fields": "Name,Type,MaxValues,Pattern,LookupType,Disabled"},
                    method="POST",
                    body=[{"field": "LookupType", "value": TICKET_CF_LOOKUP}],
                )
            )
        return self._cfs

    def _cf(self, key: str) -> dict[str, Any] | None:
        name = self.cf_names[key]
        for cf in self.custom_fields():
            if cf.get("Name") == name and str(cf.get("Disabled", "0")) in ("0", ""):
                return cf
        return None

    def _queue_cf_names(self, queue_name: str) -> set[str]:
        """Names of the ticket custom fields applied to a queue (global ones included)."""
        queue = self.queue(queue_name) or {}
        ids = {str(ref.get("id")) for ref in queue.get("TicketCustomFields") or []}
        return {cf["Name"] for cf in self.custom_fields() if str(cf.get("id")) in ids}

    def _pages(
        self, path: str, params: dict[str, Any], *, method: str = "GET", body: Any = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a REST2 collection, following pages to the end."""
        page = 1
        while True:
            query = {**params, "page": page, "per_page": PAGE_SIZE}
            answer = self.session.request(method, path, params=query, json=body).json()
            yield from answer.get("items", [])
            if page >= int(answer.get("pages") or 0):
                return
            page += 1

    # --- provisioning -------------------------------------------------------------------------

    def _cf_body(self, spec: register_fields.FieldSpec, queue: str) -> dict[str, Any]:
        cf_type, max_values = _CF_TYPE.get(spec.kind, ("Freeform", 1))
        if spec.kind == "flag":
            pattern = "^(" + "|".join(re.escape(v) for v in {self.candidate["value"], self.candidate["cleared"]} if v) + ")?$"
        else:
            pattern = spec.pattern()
        body = {
            "Name": self.cf_names[spec.key],
            "Type": cf_type,
            "MaxValues": max_values,
            "LookupType": TICKET_CF_LOOKUP,
            "Description": f"ci-plugin: {spec.description}",
            "Queue": queue,
        }
        if pattern:
            body["Pattern"] = pattern
        return body

    def provision(self) -> list[Change]:
        changes: list[Change] = []
        queue = self.queue(self.queue_name)
        if queue is None:
            body = {"Name": self.queue_name, "Description": "Continual improvement register (ci-plugin)",
                    "Lifecycle": self.lifecycle_name}
            try:
                self.session.request("POST", "queue", json=body)
            except HostRefused:
                body["Lifecycle"] = "default"  # lifecycle not installed yet: see manual_steps()
                self.session.request("POST", "queue", json=body)
            self._queues.pop(self.queue_name, None)
            changes.append(Change("created", f"queue {self.queue_name}"))
        elif queue.get("Lifecycle") != self.lifecycle_name:
            answer = self.session.request("PUT", f"queue/{queue['id']}", json={"Lifecycle": self.lifecycle_name}).json()
            if not refusals(answer):
                self._queues.pop(self.queue_name, None)
                changes.append(Change("updated", f"queue {self.queue_name} lifecycle -> {self.lifecycle_name}"))
        else:
            changes.append(Change("unchanged", f"queue {self.queue_name}"))
        for name in (self.problem_queue, self.project_queue):
            if self.queue(name) is None:
                self.session.request("POST", "queue", json={"Name": name, "Description": "Linked from improvements (ci-plugin)"})
                self._queues.pop(name, None)
                changes.append(Change("created", f"queue {name}"))
            else:
                changes.append(Change("unchanged", f"queue {name}"))
        for spec in register_fields.FIELDS:
            queues = self.candidate_queues if spec.on_candidates else [self.queue_name]
            changes.extend(self._ensure_cf(spec, queues))
        self._cfs = None
        return changes

    def _ensure_cf(self, spec: register_fields.FieldSpec, queues: list[str]) -> list[Change]:
        name = self.cf_names[spec.key]
        if self._cf(spec.key) is not None:
            return [Change("unchanged", f"custom field {name}")]
        self.session.request("POST", "customfield", json=self._cf_body(spec, queues[0]))
        self._cfs = None
        return [Change("created", f"custom field {name} (applied to {queues[0]})")]

    def manual_steps(self) -> list[ManualStep]:
        return [
            ManualStep(
                title=f"RT lifecycle {self.lifecycle_name!r}",
                why="RT's REST2 cannot create lifecycles; they live in RT's site configuration.",
                content=lifecycle.render(self.lifecycle_name, self.states),
                filename="/etc/request-tracker5/RT_SiteConfig.d/60-ci-plugin-lifecycle.pm",
                fixes=("lifecycle",),
            )
        ]

    def check(self) -> list[Finding]:
        findings: list[Finding] = []
        queue = self.queue(self.queue_name)
        findings.append(Finding(f"queue {self.queue_name}", queue is not None, "" if queue else "missing: run `ci-plugin setup`"))
        if queue is not None:
            ok = queue.get("Lifecycle") == self.lifecycle_name
            findings.append(Finding(
                f"lifecycle {self.lifecycle_name}", ok,
                "" if ok else f"queue uses lifecycle {queue.get('Lifecycle')!r}: install the snippet `ci-plugin setup` prints, restart RT, run setup again",
            ))
        for name in (self.problem_queue, self.project_queue):
            present = self.queue(name) is not None
            findings.append(Finding(f"queue {name}", present, "" if present else "missing: run `ci-plugin setup`"))
        applied: dict[str, set[str]] = {}
        for spec in register_fields.FIELDS:
            name = self.cf_names[spec.key]
            if self._cf(spec.key) is None:
                findings.append(Finding(f"custom field {name}", False, "missing: run `ci-plugin setup`"))
                continue
            queues = self.candidate_queues if spec.on_candidates else [self.queue_name]
            missing_in = []
            for queue_name in queues:
                if self.queue(queue_name) is None:
                    missing_in.append(f"{queue_name} (no such queue)")
                    continue
                if queue_name not in applied:
                    applied[queue_name] = self._queue_cf_names(queue_name)
                if name not in applied[queue_name]:
                    missing_in.append(queue_name)
            detail = ("not applied to queue " + ", ".join(missing_in) + ": apply it in RT (Admin > Custom Fields > "
                      f"{name} > Applies to)") if missing_in else ""
            findings.append(Finding(f"custom field {name}", not missing_in, detail))
        return findings

    # --- records ------------------------------------------------------------------------------

    def _to_ticket(self, data: dict[str, Any], classify: bool = False) -> Ticket:
        by_name = {name: key for key, name in self.cf_names.items()}
        values: dict[str, Any] = {}
        for cf in data.get("CustomFields") or []:
            key = by_name.get(cf.get("name"))
            if key is not None:
                raw = [v for v in cf.get("values") or [] if v is not None]  # a deleted value reads as null
                values[key] = raw if register_fields.BY_KEY[key].multi else (raw[0] if raw else "")
        owner = data.get("Owner") or {}
        creator = data.get("Creator") or {}
        ticket = Ticket(
            id=str(data["id"]),
            title=data.get("Subject") or "",
            status=data.get("Status") or "",
            container=_queue_id_of(data),
            submitter=creator.get("id", "") if isinstance(creator, dict) else str(creator),
            owner="" if (owner.get("id") if isinstance(owner, dict) else owner) in ("Nobody", None) else owner.get("id", ""),
            created=data.get("Created") or "",
            url=self.ticket_url(str(data["id"])),
            fields=values,
        )
        if classify:
            ticket.links = self._classify_links(data, values.get("source_tickets") or [],
                                                outside=not self.in_register(ticket))
        elif "_hyperlinks" in data:  # search results: only what ranking needs, without extra requests
            depends = [str(l["id"]) for l in data["_hyperlinks"] if l.get("ref") == "depends-on" and l.get("type") == "ticket"]
            if depends:
                ticket.links = {"depends_on": depends}
        return ticket

    def _classify_links(self, data: dict[str, Any], source_ids: list[str], outside: bool = False) -> dict[str, list[str]]:
        """Sort a ticket's RT links into register link kinds (:func:`ci_plugin.domain.links.classify`);
        the queue of each target says its role. The queue of a recorded source does not matter,
        so it is not looked up."""
        pairs = [(str(link["id"]), link["ref"]) for link in data.get("_hyperlinks") or []
                 if link.get("type") == "ticket" and link.get("ref") in _LINK_REFS.values()]
        sources = {str(s) for s in source_ids}
        targets = sorted({t for t, _ in pairs if outside or t not in sources}, key=int)
        queue_of = self._queues_of(targets) if targets else {}
        roles = {self._queue_id(self.queue_name): link_kinds.ROLE_REGISTER}
        for name, role in ((self.problem_queue, link_kinds.ROLE_PROBLEM), (self.project_queue, link_kinds.ROLE_PROJECT)):
            queue = self.queue(name)
            if queue is not None:
                roles.setdefault(str(queue["id"]), role)
        relations = {key: _LINK_REFS[self.link_types[key]] for key in ("problem", "project")}
        relations.update(follow_up="referred-to-by", depends_on="depends-on")
        return link_kinds.classify(pairs, role_of={t: roles.get(q, link_kinds.ROLE_OTHER) for t, q in queue_of.items()},
                              relations=relations, sources=sources, outside=outside)

    def _queues_of(self, ids: list[str]) -> dict[str, str]:
        """Queue id of each ticket id, in one search per hundred ids."""
        result: dict[str, str] = {}
        for start in range(0, len(ids), PAGE_SIZE):
            chunk = ids[start : start + PAGE_SIZE]
            query = " OR ".join(f"id = {i}" for i in chunk)
            for item in self._search(query, "Queue"):
                result[str(item["id"])] = _queue_id_of(item)
        return result

    def _search(self, query: str, fields: str) -> Iterator[dict[str, Any]]:
        return self._pages("tickets", {"query": query, "fields": fields, "orderby": "id"})

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        try:
            data = self.session.request("GET", f"ticket/{ticket_id}").json()
        except NotFound:
            raise NotFound(f"RT: ticket {ticket_id} does not exist") from None
        ticket = self._to_ticket(data, classify=links)
        if not ticket.description:
            ticket.description = self._first_message(ticket_id)
        return ticket

    def _first_message(self, ticket_id: str) -> str:
        """Text of the ticket's first plain-text message (its description), or ``""``."""
        answer = self.session.request(
            "GET", f"ticket/{ticket_id}/attachments",
            params={"fields": "Content,ContentType", "per_page": 5, "orderby": "id"},
        ).json()
        for item in answer.get("items", []):
            if str(item.get("ContentType", "")).startswith("text/plain") and item.get("Content"):
                return str(item["Content"]).strip()
        return ""

    def in_register(self, ticket: Ticket) -> bool:
        return ticket.container == self._queue_id(self.queue_name)

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        name = {"problem": self.problem_queue, "project": self.project_queue}[kind]
        queue = self.queue(name)
        return queue is not None and ticket.container == str(queue["id"])

    def find_project(self, ref: str) -> Ticket:
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def _encode_cfs(self, values: dict[str, Any]) -> dict[str, Any]:
        body = {}
        for key, raw in values.items():
            spec = register_fields.BY_KEY[key]
            pattern = spec.pattern()
            for item in raw if isinstance(raw, list) else [raw]:
                if pattern and item != "" and not re.search(re.sub(r"\(\?#[^)]*\)", "", pattern), str(item)):
                    raise UsageError(f"{key}: {item!r} is not a valid value for RT field {self.cf_names[key]!r}")
            body[self.cf_names[key]] = raw
        return body

    def create_improvement(self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]) -> str:
        body: dict[str, Any] = {
            "Queue": self.queue_name,
            "Subject": title,
            "Content": description or title,
            "ContentType": "text/plain",
            "CustomFields": self._encode_cfs(fields),
        }
        for kind, targets in links.items():
            if targets:
                link_type = self.link_types[link_kinds.singular(kind)]
                body.setdefault(link_type, [])
                body[link_type] += [str(t) for t in targets]
        answer = self.session.request("POST", "ticket", json=body).json()
        if not isinstance(answer, dict) or "id" not in answer:
            raise HostRefused("RT did not create the improvement", messages=[str(answer)])
        return str(answer["id"])

    def _put(self, ticket_id: str, body: dict[str, Any], what: str) -> list[str]:
        try:
            messages = self.session.request("PUT", f"ticket/{ticket_id}", json=body).json()
        except NotFound:
            raise NotFound(f"RT: ticket {ticket_id} does not exist") from None
        refused = refusals(messages)
        if refused:
            raise HostRefused(f"RT refused {what} on ticket {ticket_id}: {'; '.join(refused)}", messages=refused)
        return messages if isinstance(messages, list) else []

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        self._put(ticket_id, {"CustomFields": self._encode_cfs(fields)}, "the field update")

    def set_status(self, ticket_id: str, status: str) -> None:
        self._put(ticket_id, {"Status": status}, f"status {status!r}")

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        link_type = self.link_types[link_kinds.singular(kind)]
        self._put(ticket_id, {f"Add{link_type}": [str(t) for t in targets]}, f"the {kind} link")

    def comment(self, ticket_id: str, text: str) -> None:
        self.session.request("POST", f"ticket/{ticket_id}/comment", json={"Content": text, "ContentType": "text/plain"})

    def improvements_from_source(self, source_id: str) -> list[str]:
        query = f"Queue = {_sql_quote(self.queue_name)} AND CF.{{{self.cf_names['source_tickets']}}} = {_sql_quote(source_id)}"
        return [str(item["id"]) for item in self._search(query, "id")]

    def _ticket_fields(self) -> str:
        return "Subject,Status,Queue,Owner,Creator,Created,CustomFields,_hyperlinks"

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        query = f"Queue = {_sql_quote(self.queue_name)}"
        if statuses:
            query += " AND (" + " OR ".join(f"Status = {_sql_quote(s)}" for s in statuses) + ")"
        for item in self._search(query, self._ticket_fields()):
            yield self._to_ticket(item)

    def flagged_tickets(self) -> Iterator[Ticket]:
        query = f"CF.{{{self.cf_names['candidate']}}} = {_sql_quote(self.candidate['value'])}"
        for item in self._search(query, self._ticket_fields()):
            yield self._to_ticket(item)

    def clear_flag(self, ticket_id: str) -> None:
        self._put(ticket_id, {"CustomFields": {self.cf_names["candidate"]: self.candidate["cleared"]}}, "clearing the flag")

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_base}/Ticket/Display.html?id={ticket_id}"

