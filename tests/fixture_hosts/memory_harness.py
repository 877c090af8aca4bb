"""The contract-suite harness for the in-memory host (``ci_plugin.hosts.memory``).

Same API as ``tests/live/rt_harness.py`` and ``zammad_harness.py``; the contract tests only use
this API. It reads and writes the :class:`~ci_plugin.hosts.memory.MemoryStore` itself, never
through the adapter, so the tests check what the host holds. :func:`memory_session` is what the
session fixture yields: a store kept in a JSON file (``CI_PLUGIN_MEMORY_STORE``), so that
``ci-plugin`` run in a subprocess reaches the same host, provisioned once, with the manual step
(the workflow) installed as an admin would.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ci_plugin.app import open_register
from ci_plugin.hosts.memory import STORE_ENV, MemoryStore
from ci_plugin.hosts.memory.session import forget
from ci_plugin.ops.setup import setup
from tests.fixture_hosts.environment import exported
from tests.live.harness import HostHarness

TOKEN_ENV = "CI_PLUGIN_MEMORY_TOKEN"
URL = "http://memory.localhost/contract"
QUEUES = {"incident": "General", "problem": "Problems", "project": "Projects"}
# What each link kind is on this host, seen from the improvement (restated, not read from the adapter).
RELATIONS = {"sources": "refers-to", "problems": "refers-to", "projects": "member-of", "changes": "member-of",
             "follow_ups": "referred-to-by", "depends_on": "depends-on"}
INVERSE = {"refers-to": "referred-to-by", "depends-on": "depended-on-by", "member-of": "has-member"}
INVERSE.update({v: k for k, v in list(INVERSE.items())})
TARGET_QUEUE = {"problems": "Problems", "projects": "Projects", "changes": "Changes", "follow_ups": "Improvements"}


@dataclass
class MemoryHostSession:
    """What the session fixture yields: the store and the provisioned base config."""

    store: MemoryStore
    base_config: Path
    url: str = URL


@contextlib.contextmanager
def memory_session(tmp_path_factory) -> Iterator[MemoryHostSession]:
    """A file-backed memory host with the register provisioned; undone afterwards."""
    directory = tmp_path_factory.mktemp("memory")
    with exported({TOKEN_ENV: "memory-contract-token", STORE_ENV: str(directory / "memory-host.json")}):
        path = directory / "ci-plugin.toml"
        path.write_text(f'[host]\ntype = "memory"\nurl = "{URL}"\ntoken_env = "{TOKEN_ENV}"\nretries = 1\n')
        register = open_register(path)
        store = register.host.store
        try:
            report = setup(register)
            assert [m.filename for m in report.pending] == ["ci-improvement.workflow.json"], report.failing
            store.install_workflow(json.loads(report.pending[0].content))  # what the admin does with the step
            report = setup(register)
            assert report.complete, f"setup of the memory host is incomplete: {report.failing}"
            yield MemoryHostSession(store, path)
        finally:
            forget(store)


def memory_harness(session: MemoryHostSession, tmp_path: Path) -> MemoryHarness:
    """The value of the per-test ``memory`` fixture."""
    return MemoryHarness(session.base_config, tmp_path, session.url, session.store)


class MemoryHarness(HostHarness):
    """Helpers over the memory host's store for one test."""

    name = "memory"

    def __init__(self, base_config_path: Path, tmp_path: Path, url: str, store: MemoryStore):
        super().__init__(base_config_path, tmp_path, url)
        self.store = store

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident",
               content: str = "Users cannot print after 5pm.", flagged: bool = False) -> str:
        """Create a source ticket of ``kind`` (incident, problem, project) directly in the store."""
        fields = {self._cf_name("candidate"): self.register.config.section("candidate")["value"]} if flagged else {}
        return self.store.create_ticket(QUEUES[kind], f"{subject} [{self.tag}]", content, fields)

    def raw(self, ticket_id: str):
        """The ticket as the store holds it."""
        self.store.refresh()
        return self.store.tickets[str(ticket_id)]

    def field(self, ticket_id: str, key: str) -> list[str]:
        """Values of a register field's custom field, read straight from the store."""
        return self.values_of(key, self.raw(ticket_id).fields.get(self._cf_name(key)))

    def status(self, ticket_id: str) -> str:
        """The ticket's status in the store."""
        return self.raw(ticket_id).status

    def _links(self, ticket_id: str) -> list[tuple[str, str]]:
        self.store.refresh()
        found = [(b, r) for a, r, b in self.store.links if a == ticket_id]
        return found + [(a, INVERSE[r]) for a, r, b in self.store.links if b == ticket_id]

    def linked(self, ticket_id: str, kind: str) -> list[str]:
        """Targets of ``kind``: links of the kind's relation (sources: also recorded in the source
        field; problems, projects, follow-ups: into their queue)."""
        found = {other for other, relation in self._links(str(ticket_id)) if relation == RELATIONS[kind]}
        if kind == "sources":
            found &= set(self.field(ticket_id, "source_tickets"))
        elif kind in TARGET_QUEUE:
            found = {t for t in found if self.raw(t).queue == TARGET_QUEUE[kind]}
        return sorted(found, key=int)

    def comments(self, ticket_id: str) -> list[str]:
        """The ticket's description and every comment."""
        record = self.raw(ticket_id)
        return [text for text in (record.description, *record.comments) if text]

    def add_dependency(self, ticket_id: str, on_id: str) -> None:
        """``ticket_id`` depends on ``on_id``."""
        self.store.add_links(str(ticket_id), "depends-on", [str(on_id)])

    def child(self, parent_id: str, subject: str = "Delivery task") -> str:
        """A ticket of ``General`` that is a member of ``parent_id``."""
        return self.store.create_ticket("General", f"{subject} [{self.tag}]", subject, {}, [("member-of", str(parent_id))])

    def titled(self, text: str) -> list[str]:
        """Ids of every ticket whose subject contains ``text``."""
        self.store.refresh()
        return [r.id for r in self.store.select(lambda r: text in r.subject)]

    def resolve(self, ticket_id: str) -> None:
        """Put the ticket in ``resolved``, as an agent finishing it does."""
        self.store.set_status(str(ticket_id), "resolved")

    def record(self, ticket_id: str) -> dict:
        """Queue, subject, owner and due date of a ticket, straight from the store."""
        raw = self.raw(ticket_id)
        return {"container": raw.queue, "title": raw.subject, "owner": raw.owner, "due": raw.due}

    def set_flag(self, ticket_id: str, value: str) -> None:
        """Set the candidate flag, as an agent does in the host."""
        self.store.set_fields(str(ticket_id), {self._cf_name("candidate"): value})
