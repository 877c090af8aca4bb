"""The continual improvement register: one object that ties configuration, host and plugins.

:class:`ImprovementRegister` is what commands and hooks work with. It reads improvements from
the host (the system of record) and turns them into :class:`~ci_plugin.model.Improvement`; the
operations themselves live in their own modules (:mod:`ci_plugin.convert`,
:mod:`ci_plugin.linking`, :mod:`ci_plugin.provisioning`, ...).
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Iterator
from typing import Any

from ci_plugin import fields as register_fields
from ci_plugin import plugins
from ci_plugin.config import Config
from ci_plugin.errors import ConfigError, NotFound
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.model import Improvement, Ticket
from ci_plugin.workflow import StateMap

log = logging.getLogger(__name__)


class ImprovementRegister:
    """The register on one host: reads improvements, and gives operations the adapter,
    the plugin manager, the workflow state map and the acting user."""

    def __init__(self, config: Config, *, plugin_manager: plugins.PluginManager | None = None,
                 host: HostAdapter | None = None):
        self.config = config
        self.plugins = plugin_manager or plugins.from_config(config)
        self.states = StateMap(config.section("states"))
        if host is None:
            adapters = self.plugins.hosts()
            adapter_class = adapters.get(config.host_type)
            if adapter_class is None and self.plugins.load_host_plugin(config.host_type):
                adapters = self.plugins.hosts()  # a host from a third-party package, named by the config
                adapter_class = adapters.get(config.host_type)
            if adapter_class is None:
                raise ConfigError(
                    f"host.type: unknown host type {config.host_type!r}; known: {', '.join(sorted(adapters))}"
                )
            host = adapter_class(config)
        self.host = host

    @property
    def actor(self) -> str:
        """Who is acting, for audit comments (``CI_PLUGIN_ACTOR``, else the login name)."""
        return os.environ.get("CI_PLUGIN_ACTOR") or getpass.getuser()

    def improvement(self, ticket: Ticket) -> Improvement:
        """Turn a ticket of the register into a typed :class:`Improvement`."""
        values = {
            key: register_fields.decode(key, raw)
            for key, raw in ticket.fields.items()
            if key in register_fields.BY_KEY and not register_fields.BY_KEY[key].on_candidates
        }
        return Improvement(
            id=ticket.id, title=ticket.title, state=self.states.state(ticket.status), host_status=ticket.status,
            url=ticket.url, description=ticket.description, submitter=ticket.submitter, owner=ticket.owner,
            created=ticket.created, values=values, links=dict(ticket.links),
        )

    def get(self, improvement_id: str, *, links: bool = True) -> Improvement:
        """Read one improvement from the host; NotFound if the ticket is not in the register."""
        ticket = self.host.get_ticket(register_fields.parse_ticket_id(improvement_id, "improvement"), links=links)
        if not self.host.in_register(ticket):
            raise NotFound(f"ticket {ticket.id} is not an improvement (not in the register's queue/tracker)")
        return self.improvement(ticket)

    def list(self, states: list[str] | None = None) -> Iterator[Improvement]:
        """Every improvement of the register, optionally only in the given workflow states."""
        statuses = self.states.host_statuses(states) if states else None
        for ticket in self.host.list_improvements(statuses):
            yield self.improvement(ticket)

    def write_values(self, improvement_id: str, values: dict[str, Any]) -> None:
        """Encode typed register values and write them to the host in one update."""
        self.host.update_fields(improvement_id, {k: register_fields.encode(k, v) for k, v in values.items()})

    def audit(self, ticket_id: str, text: str) -> None:
        """Leave an audit comment on a host ticket, signed with the acting user."""
        self.host.comment(ticket_id, f"{text}\n\n-- ci-plugin, by {self.actor}")
