"""The continual improvement register on one host: the one gateway operations write through.

:class:`ImprovementRegister` is handed its configuration, host adapter and plugin manager by
the composition root (:func:`ci_plugin.app.open_register`); it builds nothing itself. It reads
improvements from the host (the system of record) as typed
:class:`~ci_plugin.domain.model.Improvement` objects, and every change an operation makes to the
host goes through one of its methods, which encode register values in one place
(:mod:`ci_plugin.domain.fields`) and map workflow states to host statuses.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain import host_ids
from ci_plugin.domain.model import ConversionDraft, Improvement, Ticket
from ci_plugin.domain.workflow import StateMap
from ci_plugin.errors import NotFound

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ci_plugin.config import Config
    from ci_plugin.hosts.base import HostAdapter
    from ci_plugin.plugins.manager import PluginManager


class ImprovementRegister:
    """The register on one host: reads improvements, writes what operations decide."""

    def __init__(self, config: Config, host: HostAdapter, plugins: PluginManager, *, label: str = ""):
        self.config = config
        self.host = host
        self.plugins = plugins
        self.states = StateMap(config.section("states"))
        #: The host's name when several hosts are configured (ids are then shown ``label:id``), else "".
        self.label = label

    def shown_id(self, local_id: str) -> str:
        """The id as the user sees it: ``label:id`` when several hosts are configured."""
        return host_ids.qualify(self.label, local_id) if self.label else local_id

    def shown(self, improvement: Improvement) -> Improvement:
        """``improvement`` with its id, its links' ids and its source tickets as the user sees them
        (:meth:`shown_id`); for printing only: the host knows the bare ids."""
        if self.label:
            improvement.id = self.shown_id(improvement.id)
            improvement.links = {k: [self.shown_id(i) for i in v] for k, v in improvement.links.items()}
            sources = improvement.values.get("source_tickets")
            if isinstance(sources, list):
                improvement.values["source_tickets"] = [self.shown_id(str(i)) for i in sources]
        return improvement

    @property
    def actor(self) -> str:
        """Who is acting, for audit comments (``CI_PLUGIN_ACTOR``, else the login name)."""
        return os.environ.get("CI_PLUGIN_ACTOR") or getpass.getuser()

    # --- reading ------------------------------------------------------------------------------

    def improvement(self, ticket: Ticket) -> Improvement:
        """Turn a ticket of the register into a typed :class:`Improvement`."""
        return Improvement(
            id=ticket.id, title=ticket.title, state=self.states.state(ticket.status), host_status=ticket.status,
            url=ticket.url, description=ticket.description, submitter=ticket.submitter, owner=ticket.owner,
            created=ticket.created, values=register_fields.decode_all(ticket.fields), links=dict(ticket.links),
        )

    def get(self, improvement_id: str, *, links: bool = True, describe: bool = True) -> Improvement:
        """Read one improvement from the host; NotFound if the ticket is not in the register.
        ``describe=False`` may leave the description out where it costs a request of its own."""
        ticket_id = register_fields.parse_ticket_id(improvement_id, "improvement")
        ticket = (self.host.get_ticket if describe else self.host.peek_ticket)(ticket_id, links=links)
        if not self.host.in_register(ticket):
            raise NotFound(f"ticket {ticket.id} is not an improvement (not in the register's queue/tracker)")
        return self.improvement(ticket)

    def list(self, states: list[str] | None = None) -> Iterator[Improvement]:
        """Every improvement of the register, optionally only in the given workflow states."""
        statuses = self.states.host_statuses(states) if states else None
        for ticket in self.host.list_improvements(statuses):
            yield self.improvement(ticket)

    # --- writing ------------------------------------------------------------------------------

    def create(self, draft: ConversionDraft, links: dict[str, list[str]]) -> str:
        """Create the improvement ``draft`` describes, with its links; return its id."""
        encoded = {k: register_fields.encode(k, v) for k, v in draft.values.items() if v not in (None, "", [])}
        return self.host.create_improvement(draft.title, draft.description, encoded, links)

    def created(self, improvement_id: str, draft: ConversionDraft, links: dict[str, list[str]]) -> Improvement:
        """The improvement :meth:`create` just made from ``draft`` and ``links``, as the host
        stored it (without a read where the host's create answer already says)."""
        encoded = {k: register_fields.encode(k, v) for k, v in draft.values.items() if v not in (None, "", [])}
        return self.improvement(self.host.created_ticket(improvement_id, draft.title, draft.description, encoded, links))

    def write_values(self, improvement_id: str, values: dict[str, Any]) -> None:
        """Encode typed register values and write them to the host in one update."""
        self.host.update_fields(improvement_id, {k: register_fields.encode(k, v) for k, v in values.items()})

    def find_user(self, login: str) -> str | None:
        """The host's reference for user ``login`` (to pass to :meth:`update`), ``None`` if unknown."""
        return self.host.find_user(login)

    def update(self, improvement_id: str, values: dict[str, Any], *, title: str | None = None,
               owner: str | None = None) -> None:
        """Write typed register values, and the title and owner (a :meth:`find_user` reference)
        when given, in one update."""
        self.host.update_record(improvement_id, {k: register_fields.encode(k, v) for k, v in values.items()},
                                title=title, owner=owner)

    def set_state(self, improvement_id: str, state: str) -> None:
        """Change the host status to the one of workflow ``state``."""
        self.host.set_status(improvement_id, self.states.host_status(state))

    def add_links(self, improvement_id: str, kind: str, targets: list[str]) -> None:
        """Link an improvement to ``targets`` as ``kind`` (sources, problems, projects, follow_ups)."""
        self.host.add_links(improvement_id, kind, targets)

    def create_delivery(self, kind: str, improvement: Improvement, *, title: str, description: str) -> str:
        """Create the ``projects`` or ``changes`` record of ``improvement``, linked to it, with its
        owner and target date; return the record's id."""
        return self.host.create_delivery(kind, improvement.id, title=title, description=description,
                                         owner=improvement.owner, target_date=str(improvement.get("target_date") or ""))

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]] | None:
        """Each improvement's delivery items (records and their children) -> done, read in
        batches; ``None`` when the host cannot tell."""
        return self.host.delivery_items(improvement_ids)

    def clear_flag(self, ticket_id: str) -> None:
        """Mark a flagged ticket as converted."""
        self.host.clear_flag(ticket_id)

    def audit(self, ticket_id: str, text: str) -> None:
        """Leave an audit comment on a host ticket, signed with the acting user."""
        self.host.comment(ticket_id, f"{text}\n\n-- ci-plugin, by {self.actor}")
