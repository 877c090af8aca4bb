"""The ``memory`` host adapter: the adapter contract over a :class:`MemoryStore`, no HTTP.

Fast and deterministic, for unit tests of every operation, and faithful to the contract: the
register is the queue ``Improvements`` with workflow ``ci-improvement`` (an admin installs it:
:meth:`MemoryAdapter.manual_steps`), problem and project records are tickets of ``Problems``
and ``Projects``, change records of ``Changes``, agents flag tickets of ``General``; register fields are custom fields (names
from ``[fields]``) that ``provision`` creates with the patterns the store enforces. Links,
seen from the improvement: sources and problems ``refers-to``, projects and changes
``member-of`` (the improvement is a member of its delivery records; their other members are
their children, and ``resolved`` or ``rejected`` means done), follow-ups ``referred-to-by``, dependencies ``depends-on``. Lists come in pages of
:data:`PAGE_SIZE`, each counted as one ``GET``. KPI queries (``measure --query``) use the small
filter language of :mod:`.kpi_search`. None of this is configurable: the memory host
has no settings beyond ``[host] url`` and the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain import links as link_kinds
from ci_plugin.domain import workflow
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.workflow import StateMap
from ci_plugin.hosts.base import Change, Finding, HostAdapter, ManualStep
from ci_plugin.hosts.memory.kpi_search import MemoryKpiSearch
from ci_plugin.hosts.memory.session import LABEL, MemorySession, store_for
from ci_plugin.hosts.memory.store import DEFAULT_WORKFLOW, MemoryStore, Record

PAGE_SIZE = 100
REGISTER_QUEUE, PROBLEM_QUEUE, PROJECT_QUEUE, CHANGE_QUEUE = "Improvements", "Problems", "Projects", "Changes"
DELIVERY_QUEUES = {"projects": PROJECT_QUEUE, "changes": CHANGE_QUEUE}
#: Statuses of the default workflow that mean a delivery item is done.
DONE_STATUSES = ("resolved", "rejected")
CANDIDATE_QUEUES = ("General",)
WORKFLOW = "ci-improvement"
#: Host relation of each writable link kind (singular, as ``[<host>.links]`` keys), seen from the improvement.
LINK_TYPES = {"source": "refers-to", "problem": "refers-to", "project": "member-of", "change": "member-of",
              "follow_up": "referred-to-by"}
T = TypeVar("T")


class MemoryAdapter(MemoryKpiSearch, HostAdapter):
    """A service desk held in memory (optionally in a JSON file): see the module docstring.
    ``store`` attaches the adapter to a given store instead of the one the config reaches."""

    name = "memory"
    label = LABEL

    def __init__(self, config: Any, session: MemorySession | None = None, *, store: MemoryStore | None = None):
        if session is None and store is not None:
            session = MemorySession(store, config.data["host"]["url"], config.token())
        super().__init__(config, session)  # type: ignore[arg-type]
        self.store: MemoryStore = self.session.store
        self.cf_names: dict[str, str] = config.section("fields")
        self.candidate: dict[str, str] = config.section("candidate")
        self.states = StateMap(config.section("states"))
        self.web_base: str = config.data["host"]["url"].rstrip("/")
        self.link_types: dict[str, str] = dict(LINK_TYPES)

    @classmethod
    def open_session(cls, config: Any) -> MemorySession:  # type: ignore[override]
        """The session to the store the configuration reaches (see :mod:`.session`)."""
        url, token = config.data["host"]["url"], config.token()
        return MemorySession(store_for(url, token, config.environ), url, token)

    def _call(self, op: str, method: str, action: Callable[[], T]) -> T:
        return self.session.call(op, method, action)

    def about(self) -> dict[str, Any]:
        """The memory host's version and size."""
        return self._call("about", "GET", lambda: {"version": "1.0", "tickets": len(self.store.tickets)})

    # --- provisioning -------------------------------------------------------------------------

    def _field_queues(self, spec: register_fields.FieldSpec) -> tuple[str, ...]:
        return CANDIDATE_QUEUES if spec.on_candidates else (REGISTER_QUEUE,)

    def _pattern(self, spec: register_fields.FieldSpec) -> str:
        if spec.kind == "flag":
            return "^(" + "|".join(sorted({self.candidate["value"], self.candidate["cleared"]})) + ")?$"
        return spec.pattern()

    def workflow_document(self) -> dict[str, Any]:
        """The register's workflow in host statuses, as an admin installs it."""
        status = self.states.host_status
        return {"name": WORKFLOW, "initial": status(workflow.INITIAL_STATE),
                "transitions": {status(s): [status(t) for t in workflow.TRANSITIONS[s]] for s in workflow.STATES}}

    def provision(self) -> list[Change]:
        """Create the four queues and every custom field (applied to its queues); idempotent."""
        return self._call("provision", "POST", self._provision)

    def _provision(self) -> list[Change]:
        store, changes = self.store, []
        for name, flow in ((REGISTER_QUEUE, WORKFLOW), (PROBLEM_QUEUE, DEFAULT_WORKFLOW), (PROJECT_QUEUE, DEFAULT_WORKFLOW),
                           (CHANGE_QUEUE, DEFAULT_WORKFLOW)):
            if name in store.queues:
                changes.append(Change("unchanged", f"queue {name}"))
            else:
                store.create_queue(name, flow)
                changes.append(Change("created", f"queue {name}"))
        for spec in register_fields.FIELDS:
            name, queues = self.cf_names[spec.key], [q for q in self._field_queues(spec) if q in store.queues]
            if name not in store.fields:
                store.create_field(name, multi=spec.multi, pattern=self._pattern(spec), queues=queues)
                changes.append(Change("created", f"custom field {name} (applied to {', '.join(queues)})"))
            elif missing := [q for q in queues if q not in store.fields[name]["queues"]]:
                store.apply_field(name, missing)
                changes.append(Change("updated", f"custom field {name} applied to {', '.join(missing)}"))
            else:
                changes.append(Change("unchanged", f"custom field {name}"))
        return changes

    def manual_steps(self) -> list[ManualStep]:
        """The workflow: the memory host's API cannot define one (like RT's lifecycles)."""
        return [ManualStep(
            title=f"memory host workflow {WORKFLOW!r}",
            why="The memory host's API cannot define workflows; an admin installs this document "
                "(MemoryStore.install_workflow).",
            content=json.dumps(self.workflow_document(), indent=2) + "\n",
            filename=f"{WORKFLOW}.workflow.json", fixes=("workflow",))]

    def check(self) -> list[Finding]:
        """Queues, the installed workflow (as ``[states]`` maps it now) and every custom field."""
        return self._call("check", "GET", self._check)

    def _check(self) -> list[Finding]:
        store, findings = self.store, []
        for name in (REGISTER_QUEUE, PROBLEM_QUEUE, PROJECT_QUEUE, CHANGE_QUEUE):
            present = name in store.queues
            findings.append(Finding(f"queue {name}", present, "" if present else "missing: run `ci-plugin setup`"))
        expected = self.workflow_document()
        installed = store.workflows.get(WORKFLOW)
        ok = installed == {"initial": expected["initial"], "transitions": expected["transitions"]}
        findings.append(Finding(f"workflow {WORKFLOW}", ok, "" if ok else (
            "not installed" if installed is None else "differs from the register's states")
            + ": install the document `ci-plugin setup --print-provisioning` prints"))
        for spec in register_fields.FIELDS:
            name, spec_queues = self.cf_names[spec.key], self._field_queues(spec)
            if name not in store.fields:
                findings.append(Finding(f"custom field {name}", False, "missing: run `ci-plugin setup`"))
                continue
            missing = [q if q in store.queues else f"{q} (no such queue)" for q in spec_queues
                       if q not in store.fields[name]["queues"]]
            findings.append(Finding(f"custom field {name}", not missing,
                                    "not applied to queue " + ", ".join(missing) if missing else ""))
        return findings

    # --- records ------------------------------------------------------------------------------

    def _to_ticket(self, record: Record, links: bool) -> Ticket:
        values: dict[str, Any] = {}
        for spec in register_fields.FIELDS:
            name = self.cf_names[spec.key]
            if record.queue in self.store.fields.get(name, {}).get("queues", ()):
                raw = record.fields.get(name, [] if spec.multi else "")
                values[spec.key] = list(raw) if spec.multi else raw
        ticket = Ticket(id=record.id, title=record.subject, status=record.status, container=record.queue,
                        description=record.description, submitter=record.creator, owner=record.owner,
                        created=record.created, url=self.ticket_url(record.id), fields=values)
        if links:
            ticket.links = self._classify(record, values.get("source_tickets") or [])
        return ticket

    def _classify(self, record: Record, sources: list[str]) -> dict[str, list[str]]:
        pairs = self.store.links_of(record.id)
        roles = {REGISTER_QUEUE: link_kinds.ROLE_REGISTER, PROBLEM_QUEUE: link_kinds.ROLE_PROBLEM,
                 PROJECT_QUEUE: link_kinds.ROLE_PROJECT, CHANGE_QUEUE: link_kinds.ROLE_CHANGE}
        role_of = {other: roles.get(self.store.ticket(other).queue, link_kinds.ROLE_OTHER) for other, _ in pairs}
        relations = {**{k: v for k, v in LINK_TYPES.items() if k != "source"}, "depends_on": "depends-on"}
        return link_kinds.classify(pairs, role_of=role_of, relations=relations, sources=sources,
                                   outside=record.queue != REGISTER_QUEUE)

    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """Read one ticket (NotFound naming it)."""
        return self._call("get_ticket", "GET", lambda: self._to_ticket(self.store.ticket(ticket_id), links))

    def in_register(self, ticket: Ticket) -> bool:
        """A ticket of the register queue."""
        return ticket.container == REGISTER_QUEUE

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        """A ticket of the problem or project queue."""
        return ticket.container == {"problem": PROBLEM_QUEUE, "project": PROJECT_QUEUE}[kind]

    def find_project(self, ref: str) -> Ticket:
        """A project is a ticket of the project queue, named by its id."""
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def _host_values(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {self.cf_names[key]: value for key, value in fields.items()}

    def create_improvement(self, title: str, description: str, fields: dict[str, Any],
                           links: dict[str, list[str]]) -> str:
        """One call: the ticket with its fields and links, or nothing when the host refuses any."""
        pairs = [(self.link_types[link_kinds.singular(kind)], target) for kind, targets in links.items() for target in targets]
        return self._call("create_improvement", "POST", lambda: self.store.create_ticket(
            REGISTER_QUEUE, title, description or title, self._host_values(fields), pairs))

    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Write fields; HostRefused (nothing written) when the store refuses a value."""
        self._call("update_fields", "PUT", lambda: self.store.set_fields(ticket_id, self._host_values(fields)))

    def find_user(self, login: str) -> str | None:
        """The login itself when the store has that user, else ``None``."""
        return self._call("find_user", "GET", lambda: login if login in self.store.users else None)

    def update_record(self, ticket_id: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """One call: fields, subject and owner, or nothing when the store refuses any part."""
        self._call("update_record", "PUT", lambda: self.store.update_ticket(
            ticket_id, self._host_values(fields), subject=title, owner=owner))

    def set_status(self, ticket_id: str, status: str) -> None:
        """Change the status; HostRefused with the workflow's words when it does not allow it."""
        self._call("set_status", "PUT", lambda: self.store.set_status(ticket_id, status))

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        """Link by the kind's relation; links in place stay once, a missing target is NotFound."""
        relation = self.link_types[link_kinds.singular(kind)]
        self._call("add_links", "PUT", lambda: self.store.add_links(ticket_id, relation, targets))

    def comment(self, ticket_id: str, text: str) -> None:
        """Add an internal comment."""
        self._call("comment", "POST", lambda: self.store.add_comment(ticket_id, text))

    def comments(self, ticket_id: str) -> list[str]:
        """The ticket's description and every comment (read back to repair an interrupted conversion)."""
        def read() -> list[str]:
            record = self.store.ticket(ticket_id)
            return [text for text in (record.description, *record.comments) if text]
        return self._call("comments", "GET", read)

    def improvements_from_source(self, source_id: str) -> list[str]:
        """Improvements whose source-ticket field holds ``source_id``."""
        name = self.cf_names["source_tickets"]
        return self._call("improvements_from_source", "GET", lambda: [r.id for r in self.store.select(
            lambda r: r.queue == REGISTER_QUEUE and str(source_id) in r.fields.get(name, []))])

    def _pages(self, op: str, match: Callable[[Record], bool]) -> Iterator[Ticket]:
        start = 0
        while True:
            size = PAGE_SIZE
            page = self._call(op, "GET", lambda: [self._to_ticket(r, True) for r in self.store.select(match)[start:start + size]])
            yield from page
            if len(page) < size:
                return
            start += size

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        """Every improvement, page by page, optionally only in these statuses."""
        wanted = {s.lower() for s in statuses} if statuses else None
        yield from self._pages("list_improvements", lambda r: r.queue == REGISTER_QUEUE
                               and (wanted is None or r.status.lower() in wanted))

    def flagged_tickets(self) -> Iterator[Ticket]:
        """Every ticket whose candidate flag asks for conversion, page by page."""
        name, value = self.cf_names["candidate"], self.candidate["value"]
        yield from self._pages("flagged_tickets", lambda r: r.fields.get(name) == value)

    def clear_flag(self, ticket_id: str) -> None:
        """Set the flag to its cleared value."""
        self.update_fields(ticket_id, {"candidate": self.candidate["cleared"]})

    def ticket_url(self, ticket_id: str) -> str:
        """``<url>/ticket/<id>``."""
        return f"{self.web_base}/ticket/{ticket_id}"

    # --- delivery: plan and progress ----------------------------------------------------------

    def create_delivery(self, kind: str, improvement_id: str, *, title: str, description: str,
                        owner: str = "", target_date: str = "") -> str:
        """One call: the ticket in ``Projects``/``Changes`` with owner and due date, linked to the
        improvement (which is ``member-of`` it)."""
        return self._call("create_delivery", "POST", lambda: self.store.create_ticket(
            DELIVERY_QUEUES[kind], title, description, {}, [("has-member", str(improvement_id))],
            owner=owner, due=target_date))

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]]:
        """The delivery records each improvement is a member of, and their other members outside
        the register; one call per hundred improvements."""
        wanted = [str(i) for i in improvement_ids]
        result: dict[str, dict[str, bool]] = {}
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[start : start + PAGE_SIZE]
            result.update(self._call("delivery_items", "GET", lambda chunk=chunk: {i: self._delivery_of(i) for i in chunk}))
        return result

    def _delivery_of(self, improvement_id: str) -> dict[str, bool]:
        store, items = self.store, {}
        for record_id, relation in store.links_of(improvement_id):
            record = store.tickets.get(record_id)
            if record is None or relation != "member-of" or record.queue not in DELIVERY_QUEUES.values():
                continue
            items[record_id] = record.status in DONE_STATUSES
            for child_id, child_relation in store.links_of(record_id):
                child = store.tickets.get(child_id)
                if child is not None and child_relation == "has-member" and child.queue != REGISTER_QUEUE:
                    items[child_id] = child.status in DONE_STATUSES
        items.pop(improvement_id, None)
        return dict(sorted(items.items(), key=lambda kv: int(kv[0])))
