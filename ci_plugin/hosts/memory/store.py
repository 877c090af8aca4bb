"""The state of one in-memory service desk: the "server" side of the ``memory`` host.

A :class:`MemoryStore` is a plain object (queues, workflows, custom fields, tickets, links) that
tests read directly and that several adapter instances can share, as several processes share
one real host. It enforces what a host enforces: a ticket lives in an existing queue, a
custom-field value must match the field's pattern and apply to the ticket's queue, a status
change must be allowed by the queue's workflow, a link needs both tickets. Refusals raise
:class:`~ci_plugin.errors.HostRefused` with the host's words; every write is all or nothing.

Links are stored once, as ``(from, relation, to)`` with a base relation (``refers-to``,
``depends-on``, ``member-of``), and read from either end (the other end sees the inverse,
``referred-to-by``...). With a ``path`` the store keeps itself in a JSON file after every write
and reloads it when another process changed it (one writer at a time; the last write wins).

Fault injection, for tests: :meth:`MemoryStore.fail_next` makes the next call of an adapter
operation fail (before or after the store did the work) and :meth:`MemoryStore.before_next`
runs a function just before it (e.g. a concurrent conversion).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ci_plugin.errors import CIPluginError, HostRefused, NotFound

#: Base relations and the name each has seen from the other end.
INVERSE = {"refers-to": "referred-to-by", "depends-on": "depended-on-by", "member-of": "has-member"}
INVERSE.update({inverse: base for base, inverse in list(INVERSE.items())})
BASE_RELATIONS = ("refers-to", "depends-on", "member-of")
DEFAULT_WORKFLOW = "default"
_DEFAULT_STATUSES = ("new", "open", "stalled", "resolved", "rejected")
#: Entering one of these sets a ticket's ``resolved`` time (the register's ``closed`` too).
RESOLVED_STATUSES = ("resolved", "rejected", "closed")


@dataclass
class Record:
    """One ticket as the memory host holds it; ``fields`` maps custom-field names to a string
    (single-valued fields) or a list of strings (multi-valued ones)."""

    id: str
    queue: str
    subject: str
    status: str
    description: str = ""
    creator: str = "root"
    owner: str = ""
    created: str = ""
    due: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    resolved: str = ""  # when it last entered a status of RESOLVED_STATUSES (kept when reopened, as RT does)
    history: list[list[str]] = field(default_factory=list)  # [status, when] of every status change


@dataclass
class Fault:
    """A failure armed for the next call(s) of one adapter operation (see :meth:`MemoryStore.fail_next`)."""

    op: str
    lost_answer: bool = False
    refuse: str | None = None
    ignore: bool = False
    error: CIPluginError | None = None
    before: Callable[[], Any] | None = None
    times: int = 1


def digest(token: str) -> str:
    """What the store keeps of a token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


class MemoryStore:
    """One memory host: answers at ``url`` to ``token``; kept in the JSON file ``path`` if given."""

    def __init__(self, url: str = "http://memory.localhost", token: str = "memory-token", path: str | None = None):
        self.url = url.rstrip("/")
        self.token_digest = digest(token)
        self.path = path
        self.queues: dict[str, dict[str, str]] = {"General": {"workflow": DEFAULT_WORKFLOW}}
        self.workflows: dict[str, dict[str, Any]] = {DEFAULT_WORKFLOW: {
            "initial": "new", "transitions": {s: [t for t in _DEFAULT_STATUSES if t != s] for s in _DEFAULT_STATUSES}}}
        self.fields: dict[str, dict[str, Any]] = {}  # name -> {"multi", "pattern", "queues"}
        self.tickets: dict[str, Record] = {}
        self.links: list[tuple[str, str, str]] = []
        self.users: list[str] = ["root"]  # logins a ticket may be assigned to
        self.next_id = 1
        self.faults: list[Fault] = []
        self._seen: tuple[int, int] | None = None

    # --- fault injection ------------------------------------------------------------------------

    def fail_next(self, op: str, *, lost_answer: bool = False, refuse: str | None = None, ignore: bool = False,
                  error: CIPluginError | None = None, times: int = 1) -> None:
        """Make the next ``times`` calls of adapter operation ``op`` (``create_improvement``,
        ``set_status``, ``get_ticket``...) fail. By default the host is unreachable and does
        nothing (HostUnavailable); ``lost_answer``: it does the work, then the answer is lost
        (HostUnavailable); ``refuse``: it refuses with these words (HostRefused); ``ignore``: it
        answers success and does nothing (a silent drop); ``error``: that error is raised."""
        self.faults.append(Fault(op, lost_answer=lost_answer, refuse=refuse, ignore=ignore, error=error, times=times))

    def before_next(self, op: str, action: Callable[[], Any]) -> None:
        """Run ``action()`` once, just before the store serves the next call of ``op``."""
        self.faults.append(Fault(op, before=action))

    def take_fault(self, op: str) -> Fault | None:
        """The fault armed for this call of ``op`` (used up), or None."""
        for fault in self.faults:
            if fault.op == op:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- admin: what an API may or may not do ---------------------------------------------------

    def create_queue(self, name: str, workflow: str = DEFAULT_WORKFLOW) -> None:
        """Create a queue whose tickets follow ``workflow`` (the default one until it is installed)."""
        if name in self.queues:
            raise HostRefused(f"memory host: queue {name!r} already exists", messages=["Queue already exists"])
        self.queues[name] = {"workflow": workflow}
        self._changed()

    def create_field(self, name: str, *, multi: bool = False, pattern: str = "", queues: Iterable[str] = ()) -> None:
        """Create a custom field applied to ``queues``."""
        self.fields[name] = {"multi": multi, "pattern": pattern, "queues": []}
        self.apply_field(name, queues)

    def apply_field(self, name: str, queues: Iterable[str]) -> None:
        """Apply an existing custom field to more queues."""
        for queue in queues:
            self._queue(queue)
            if queue not in self.fields[name]["queues"]:
                self.fields[name]["queues"].append(queue)
        self._changed()

    def install_workflow(self, document: dict[str, Any]) -> None:
        """What an admin does with the memory host's manual step: install the workflow
        ``{"name", "initial", "transitions": {status: [status, ...]}}``."""
        self.workflows[document["name"]] = {"initial": document["initial"],
                                            "transitions": {s: list(t) for s, t in document["transitions"].items()}}
        self._changed()

    def workflow_of(self, queue: str) -> dict[str, Any]:
        """The workflow a queue's tickets follow: its own once installed, else the default one."""
        return self.workflows.get(self._queue(queue)["workflow"]) or self.workflows[DEFAULT_WORKFLOW]

    # --- records ------------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Record:
        """One ticket; NotFound if there is none with that id."""
        record = self.tickets.get(str(ticket_id))
        if record is None:
            raise NotFound(f"memory host: ticket {ticket_id} does not exist", status=404)
        return record

    def select(self, match: Callable[[Record], bool]) -> list[Record]:
        """Every ticket ``match`` accepts, in id order."""
        return [r for r in sorted(self.tickets.values(), key=lambda r: int(r.id)) if match(r)]

    def create_ticket(self, queue: str, subject: str, description: str = "", fields: dict[str, Any] | None = None,
                      links: Iterable[tuple[str, str]] = (), creator: str = "root", owner: str = "",
                      due: str = "") -> str:
        """Create a ticket with custom-field values and links ``(relation seen from it, target)``
        (and an owner and due date); all checked first: a refusal creates nothing. Returns the new id."""
        self._queue(queue)
        values = self._checked(queue, fields or {})
        links = [(relation, str(target)) for relation, target in links]
        for relation, target in links:
            self._relation(relation)
            self.ticket(target)
        ticket_id = str(self.next_id)
        self.next_id += 1
        self.tickets[ticket_id] = Record(ticket_id, queue, subject, self.workflow_of(queue)["initial"], description,
                                         creator, owner, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                         due=due)
        self._store_values(self.tickets[ticket_id], values)
        self._add_links(ticket_id, links)
        self._changed()
        return ticket_id

    def set_fields(self, ticket_id: str, values: dict[str, Any]) -> None:
        """Set custom fields (``""`` or ``[]`` clears one); a refused value changes nothing."""
        record = self.ticket(ticket_id)
        self._store_values(record, self._checked(record.queue, values))
        self._changed()

    def add_user(self, login: str) -> None:
        """Add a user tickets may be assigned to."""
        if login not in self.users:
            self.users.append(login)
            self._changed()

    def update_ticket(self, ticket_id: str, values: dict[str, Any], *, subject: str | None = None,
                      owner: str | None = None) -> None:
        """Set custom fields, subject and owner at once; a refused part changes nothing."""
        record = self.ticket(ticket_id)
        checked = self._checked(record.queue, values)
        if subject is not None and not subject.strip():
            raise HostRefused(f"memory host refused the update of ticket {ticket_id}: a subject is required",
                              messages=["a subject is required"])
        if owner is not None and owner not in self.users:
            raise HostRefused(f"memory host refused the update of ticket {ticket_id}: no user {owner!r}",
                              messages=[f"no user {owner!r}"])
        self._store_values(record, checked)
        record.subject = record.subject if subject is None else subject
        record.owner = record.owner if owner is None else owner
        self._changed()

    def set_status(self, ticket_id: str, status: str) -> None:
        """Change a ticket's status, if its queue's workflow allows it (RT's words otherwise)."""
        record = self.ticket(ticket_id)
        if status == record.status:
            return
        transitions = self.workflow_of(record.queue)["transitions"]
        if status not in transitions:
            words = f"'{status}' isn't a valid status for this ticket."
        elif status not in transitions.get(record.status, []):
            words = f"You can't change status from '{record.status}' to '{status}'."
        else:
            record.status = status
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            record.history.append([status, now])
            record.resolved = now if status in RESOLVED_STATUSES else record.resolved
            self._changed()
            return
        raise HostRefused(f"memory host refused status {status!r} on ticket {ticket_id}: {words}", messages=[words])

    def add_links(self, ticket_id: str, relation: str, targets: Iterable[str]) -> None:
        """Link a ticket to ``targets`` by ``relation`` (seen from it); links in place are kept once."""
        self.ticket(ticket_id)
        self._relation(relation)
        pairs = [(relation, str(t)) for t in targets]
        for _, target in pairs:
            self.ticket(target)
        self._add_links(ticket_id, pairs)
        self._changed()

    def links_of(self, ticket_id: str) -> list[tuple[str, str]]:
        """``(other ticket, relation seen from this one)`` for every link of a ticket."""
        found = [(b, r) for a, r, b in self.links if a == ticket_id]
        return found + [(a, INVERSE[r]) for a, r, b in self.links if b == ticket_id]

    def add_comment(self, ticket_id: str, text: str) -> None:
        """Add an internal comment to a ticket."""
        self.ticket(ticket_id).comments.append(text)
        self._changed()

    # --- checks the host enforces -------------------------------------------------------------

    def _queue(self, name: str) -> dict[str, str]:
        if name not in self.queues:
            raise NotFound(f"memory host: queue {name!r} does not exist", status=404)
        return self.queues[name]

    @staticmethod
    def _relation(relation: str) -> None:
        if relation not in INVERSE:
            raise HostRefused(f"memory host: unknown link relation {relation!r}", messages=["Invalid link type"])

    def _checked(self, queue: str, values: dict[str, Any]) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in values.items():
            spec = self.fields.get(name)
            if spec is None or queue not in spec["queues"]:
                words = (f"No custom field named {name!r}" if spec is None
                         else f"Custom field {name!r} does not apply to queue {queue!r}")
                raise HostRefused(f"memory host refused the field update: {words}", messages=[words])
            items = [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None and str(v) != ""]
            if len(items) > 1 and not spec["multi"]:
                words = f"Custom field {name!r} holds one value, not {len(items)}"
                raise HostRefused(f"memory host refused the field update: {words}", messages=[words])
            for item in items:
                if spec["pattern"] and not re.search(spec["pattern"], item):
                    words = f"{item!r} is not a valid value for custom field {name!r}"
                    raise HostRefused(f"memory host refused the field update: {words}", messages=[words])
            checked[name] = list(dict.fromkeys(items)) if spec["multi"] else (items[0] if items else "")
        return checked

    @staticmethod
    def _store_values(record: Record, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if value in ("", []):
                record.fields.pop(name, None)
            else:
                record.fields[name] = value

    def _add_links(self, ticket_id: str, pairs: list[tuple[str, str]]) -> None:
        for relation, target in pairs:
            link = (ticket_id, relation, target) if relation in BASE_RELATIONS else (target, INVERSE[relation], ticket_id)
            if link not in self.links:
                self.links.append(link)

    # --- persistence ----------------------------------------------------------------------------

    def _changed(self) -> None:
        if self.path:
            self.save()

    def save(self) -> None:
        """Write the store to its file (atomically)."""
        data = {"url": self.url, "token_digest": self.token_digest, "next_id": self.next_id, "queues": self.queues,
                "workflows": self.workflows, "fields": self.fields, "links": self.links, "users": self.users,
                "tickets": {i: asdict(r) for i, r in self.tickets.items()}}
        path = Path(self.path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
        self._seen = self._stat()

    def refresh(self) -> None:
        """Reload from the file if another process changed it since this store last saw it."""
        stat = self._stat()
        if stat is None or stat == self._seen:
            return
        data = json.loads(Path(self.path).read_text(encoding="utf-8"))
        self.url, self.token_digest, self.next_id = data["url"], data["token_digest"], data["next_id"]
        self.queues, self.workflows, self.fields = data["queues"], data["workflows"], data["fields"]
        self.links = [tuple(link) for link in data["links"]]
        self.users = data.get("users", ["root"])
        self.tickets = {i: Record(**r) for i, r in data["tickets"].items()}
        self._seen = stat

    @classmethod
    def load(cls, path: str) -> MemoryStore:
        """The store kept in the file ``path``."""
        store = cls(path=path)
        store.refresh()
        return store

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path) if self.path else None
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size) if stat else None
