"""A provisioned in-memory service desk for the unit tests of the operations.

:class:`Desk` holds one :class:`~ci_plugin.hosts.memory.MemoryStore` (the host's truth, read
directly by the tests), a config built with :func:`ci_plugin.config.parse`, and a register over
a memory adapter; :meth:`Desk.other_register` opens a second adapter over the same store, as a
second process would. :class:`Spy` is a plugin that records every notifier call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci_plugin import config as config_module
from ci_plugin.app import open_register
from ci_plugin.hookspecs import hookimpl
from ci_plugin.hosts.memory import MemoryAdapter, MemoryStore
from ci_plugin.plugins import PluginManager
from ci_plugin.register import ImprovementRegister

URL = "http://memory.localhost/unit"
TOKEN = "unit-token"
BASE = f'[host]\ntype = "memory"\nurl = "{URL}"\ntoken = "{TOKEN}"\n'
QUEUES = {"incident": "General", "problem": "Problems", "project": "Projects"}


def provision(store: MemoryStore) -> None:
    """Provision a store the way an admin completes setup: API part, then the workflow."""
    adapter = MemoryAdapter(config_module.parse(BASE, environ={}), store=store)
    adapter.provision()
    store.install_workflow(json.loads(adapter.manual_steps()[0].content))


class Desk:
    """One provisioned memory host and a register over it."""

    def __init__(self, extra_toml: str = "", plugins: list[tuple[str, Any]] = (), enabled: list[str] = ()):
        self.store = MemoryStore(URL, TOKEN)
        provision(self.store)
        self.extra_toml = extra_toml
        self.plugins = list(plugins)
        self.enabled = list(enabled)
        self.config = config_module.parse(BASE + extra_toml, environ={})
        self.register = self.other_register()
        self.adapter = self.register.host

    def other_register(self) -> ImprovementRegister:
        """A register over a new adapter instance on the same store (another process)."""
        manager = PluginManager(enabled=self.enabled, load_external=False, extra_plugins=self.plugins)
        return open_register(self.config, plugins=manager, host=MemoryAdapter(self.config, store=self.store))

    def cf(self, key: str) -> str:
        """Host custom-field name of a register field."""
        return self.config.section("fields")[key]

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident", flagged: bool = False,
               content: str = "Users cannot print after 5pm.") -> str:
        """A ticket made directly in the store."""
        fields = {self.cf("candidate"): "yes"} if flagged else {}
        return self.store.create_ticket(QUEUES[kind], subject, content, fields)

    def improvements(self) -> list[str]:
        """Ids of every ticket of the register queue, read from the store."""
        return [r.id for r in self.store.select(lambda r: r.queue == "Improvements")]

    def value(self, ticket_id: str, key: str) -> Any:
        """The raw value the store holds for a register field (None when unset)."""
        return self.store.tickets[ticket_id].fields.get(self.cf(key))

    def comments(self, ticket_id: str) -> list[str]:
        """Comments of a ticket, read from the store."""
        return self.store.tickets[ticket_id].comments


class Spy:
    """Records every notifier call: ``calls`` holds ``(hook, arguments)``."""

    def __init__(self):
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def of(self, hook: str) -> list[dict[str, Any]]:
        """The arguments of every call of one hook."""
        return [args for name, args in self.calls if name == hook]

    @hookimpl
    def ci_after_convert(self, improvement, sources, created, register):
        self.calls.append(("after_convert", {"improvement": improvement, "sources": sources, "created": created,
                                             "register": register}))

    @hookimpl
    def ci_after_link(self, improvement, kind, target, register):
        self.calls.append(("after_link", {"improvement": improvement, "kind": kind, "target": target,
                                          "register": register}))

    @hookimpl
    def ci_after_transition(self, improvement, from_state, to_state, register):
        self.calls.append(("after_transition", {"improvement": improvement, "from_state": from_state,
                                                "to_state": to_state, "register": register}))

    @hookimpl
    def ci_after_assess(self, improvement, assessment, register):
        self.calls.append(("after_assess", {"improvement": improvement, "assessment": assessment,
                                            "register": register}))

    @hookimpl
    def ci_after_measure(self, improvement, measurement, register):
        self.calls.append(("after_measure", {"improvement": improvement, "measurement": measurement,
                                             "register": register}))


@pytest.fixture
def desk() -> Desk:
    """A provisioned memory host with no plugins beyond the core ones."""
    return Desk()


@pytest.fixture
def spy() -> Spy:
    """A notifier-recording plugin (pass it to a Desk as ``plugins=[("spy", spy)]``)."""
    return Spy()


@pytest.fixture(autouse=True)
def _no_repair_pause(monkeypatch):
    """Converting again repairs a missing comment after a grace pause; the tests need none."""
    from ci_plugin.ops import convert

    monkeypatch.setattr(convert, "REPAIR_GRACE", 0, raising=False)
