"""The host adapter contract: what ci-plugin needs from a service desk, and nothing more.

An adapter turns these calls into the host's REST API and hides every host quirk (RT's refusals
inside HTTP 200, Redmine's 204 without a body, page caps, values as strings). The core never
builds a URL. The contract suite (``tests/live/test_contract_*.py``) runs one behaviour suite
against every adapter.

Writing an adapter for another host (Jira, ServiceNow, GLPI, Zammad): subclass
:class:`HostAdapter`, implement the abstract methods, and register the class from your package
with the ``ci_register_hosts`` hook (``add_host("myhost", MyAdapter)``). ``docs/adapters.md``
walks through a complete example.

The constructor reads what every adapter needs from the configuration (see
:meth:`HostAdapter.__init__`); a subclass reads its own ``[<name>]`` table after calling it.
The RT and Redmine adapters are composed of one module per job under ``hosts/<name>/``
(``metadata``, ``provisioning``, ``adapter`` for the records; see their docstrings); a small
adapter may well stay one module.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.evidence import TicketFacts
from ci_plugin.domain.model import Ticket
from ci_plugin.domain.recurrence import Occurrence
from ci_plugin.domain.workflow import StateMap
from ci_plugin.errors import UsageError
from ci_plugin.http import HostSession

if TYPE_CHECKING:  # pragma: no cover
    from ci_plugin.config import Config


@dataclass
class Finding:
    """One thing ``doctor`` checked: ``ok`` or not, with a one-line detail."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class Change:
    """One thing ``setup`` did (``created``/``updated``) or found in place (``unchanged``)."""

    action: str
    what: str


@dataclass
class ManualStep:
    """Something the host's API cannot do: a title, why, the exact text to install, where to
    put it, and the name prefixes of the ``doctor`` findings it fixes."""

    title: str
    why: str
    content: str
    filename: str
    fixes: tuple[str, ...] = ()
    #: What ``setup --print-provisioning NAME`` calls it (the first step is printed without a name).
    name: str = ""


class HostAdapter(abc.ABC):
    """A service desk seen through its REST API.

    Ids are strings. Field values are register field keys (see :mod:`ci_plugin.domain.fields`) with
    raw string values; the adapter maps keys to host custom-field names with the configuration.
    Statuses are host status names; the core maps workflow states to them.
    """

    #: Name used in ``[host] type`` (set by subclasses).
    name: str = ""
    #: Human name used in messages.
    label: str = "host"

    def __init__(self, config: Config, session: HostSession | None = None):
        """Open the session (unless one is given), then read the tables every adapter uses:

        * ``cf_names``: ``[fields]``, register field key -> host field name;
        * ``candidate``: ``[candidate]``, the flag's ``value`` and ``cleared``;
        * ``states``: a :class:`StateMap` of ``[states]``;
        * ``web_base``: ``[host] url`` without a trailing ``/``, for :meth:`ticket_url`;
        * ``link_types``: the ``links`` table of the host's own ``[<name>]`` table (``{}`` when
          it has none), singular link kind -> host link type (see :meth:`link_type`).
        """
        self.config = config
        self.session = session or self.open_session(config)
        self.cf_names: dict[str, str] = config.section("fields")
        self.candidate: dict[str, str] = config.section("candidate")
        self.states = StateMap(config.section("states"))
        self.web_base: str = config.data["host"]["url"].rstrip("/")
        self.link_types: dict[str, str] = config.section(self.name).get("links", {})

    def link_type(self, kind: str) -> str:
        """The host link type configured for a writable link kind (``problems`` -> the
        ``problem`` key of ``link_types``, see :func:`ci_plugin.domain.links.singular`)."""
        return self.link_types[link_kinds.singular(kind)]

    # --- connection ---------------------------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def open_session(cls, config: Config) -> HostSession:
        """Build the one :class:`HostSession` of this host (auth headers, timeouts, retries)."""

    @abc.abstractmethod
    def about(self) -> dict[str, Any]:
        """Check connection and credentials; return facts such as ``{"version": "5.0.3"}``."""

    # --- provisioning -------------------------------------------------------------------------

    @abc.abstractmethod
    def provision(self) -> list[Change]:
        """Create, through the API, whatever the register needs and the API can create.
        Idempotent: a second call reports only ``unchanged``."""

    @abc.abstractmethod
    def manual_steps(self) -> list[ManualStep]:
        """What the API cannot do, as exact text an admin installs on the host."""

    @abc.abstractmethod
    def check(self) -> list[Finding]:
        """Everything ``doctor`` verifies (container, fields, statuses/lifecycle, link targets)."""

    # --- records ------------------------------------------------------------------------------

    @abc.abstractmethod
    def get_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """Read any ticket. ``links=True`` also sorts its links into :data:`ci_plugin.domain.links.LINK_KINDS`
        (an improvement's links by kind; another record's links to improvements as
        ``improvements``). Raises NotFound."""

    def peek_ticket(self, ticket_id: str, *, links: bool = False) -> Ticket:
        """:meth:`get_ticket`, but the description may be left out where reading it costs a
        request of its own (RT: the first message); :meth:`describe` fills it in when it is
        needed. The default is :meth:`get_ticket`."""
        return self.get_ticket(ticket_id, links=links)

    def describe(self, ticket: Ticket) -> None:
        """Fill in the description :meth:`peek_ticket` left out (the default leaves none out)."""

    def created_ticket(self, ticket_id: str, title: str, description: str, fields: dict[str, Any],
                       links: dict[str, list[str]]) -> Ticket:
        """The improvement :meth:`create_improvement` just made from these values, as the host
        stored it. The default reads it back; an adapter whose create answer (or whose checks
        before sending) already says what was stored builds it without a request."""
        return self.get_ticket(ticket_id, links=True)

    @abc.abstractmethod
    def in_register(self, ticket: Ticket) -> bool:
        """Whether the ticket is an improvement of the register (right queue/tracker)."""

    @abc.abstractmethod
    def container_of(self, ticket: Ticket, kind: str) -> bool:
        """Whether ``ticket`` may be the target of a ``problem`` or ``project`` link."""

    @abc.abstractmethod
    def find_project(self, ref: str) -> Ticket:
        """Resolve a ``--project`` argument to the record a project link targets."""

    @abc.abstractmethod
    def create_improvement(
        self, title: str, description: str, fields: dict[str, Any], links: dict[str, list[str]]
    ) -> str:
        """Create an improvement in one request where the host allows; return its id.
        Values the host would drop silently must be checked before sending."""

    @abc.abstractmethod
    def update_fields(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Write register fields; raise HostRefused when the host refuses any of them."""

    @abc.abstractmethod
    def set_status(self, ticket_id: str, status: str) -> None:
        """Change the host status; raise HostRefused with the host's words when refused."""

    @abc.abstractmethod
    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        """Link the improvement to targets as ``sources``/``problems``/``projects``/``follow_ups``."""

    @abc.abstractmethod
    def comment(self, ticket_id: str, text: str) -> None:
        """Add an internal comment (RT comment, Redmine private note where possible)."""

    def comments(self, ticket_id: str) -> list[str] | None:
        """The text of the description and of every comment of ``ticket_id``, oldest first, or
        ``None`` when the host cannot tell (the default). ``convert`` reads them to finish an
        interrupted conversion without commenting twice; with ``None`` it leaves the comment out
        rather than risk a duplicate."""
        return None

    @abc.abstractmethod
    def improvements_from_source(self, source_id: str) -> list[str]:
        """Ids of improvements whose source tickets include ``source_id``."""

    @abc.abstractmethod
    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        """Every improvement of the register (all pages), optionally only in these statuses."""

    @abc.abstractmethod
    def flagged_tickets(self) -> Iterator[Ticket]:
        """Every ticket whose candidate flag asks for conversion (all pages)."""

    @abc.abstractmethod
    def clear_flag(self, ticket_id: str) -> None:
        """Mark a flagged ticket as handled, so the watcher does not pick it up again."""

    @abc.abstractmethod
    def ticket_url(self, ticket_id: str) -> str:
        """Web address an agent opens to see the ticket."""

    # --- delivery: plan and progress (optional; the defaults say the host cannot) --------------

    def create_delivery(self, kind: str, improvement_id: str, *, title: str, description: str,
                        owner: str = "", target_date: str = "") -> str:
        """Create the delivery record of ``kind`` (``projects`` or ``changes``) for an improvement
        and return its id: a record of the project/change queue or tracker (or what the host
        calls it), with ``title``, ``description`` (which ends with
        :func:`ci_plugin.domain.links.delivery_marker`), ``owner`` and ``target_date``
        (``YYYY-MM-DD``) where the host has them, linked to the improvement by the kind's link
        type, so that ``get_ticket(improvement_id, links=True)`` lists it under ``kind`` and the
        record lists the improvement under ``improvements``.

        The caller has checked that no record of ``kind`` is linked yet. A host that cannot
        create the record and its link in one request must first look for a record carrying the
        marker (made by an earlier call whose answer was lost) and link that one instead of
        creating a second. The default refuses: the host has no delivery records."""
        raise UsageError(f"{self.label}: this host adapter cannot create project or change records "
                         "(it implements no create_delivery); link existing ones with `ci-plugin link`")

    def delivery_items(self, improvement_ids: list[str]) -> dict[str, dict[str, bool]] | None:
        """For each improvement, every delivery item and whether it is done: the project and
        change records linked to it (:data:`ci_plugin.domain.links.DELIVERY`) and their child
        tickets (RT ``MemberOf`` children, Redmine subtasks), never an improvement of the
        register; id -> done (RT: an inactive status; Redmine: a closed status). Read in
        page-sized batches for all the improvements at once, never one request per child; an
        improvement without delivery records maps to ``{}``. ``None`` (the default): the host
        cannot tell, and ``show``/``register`` leave ``progress`` out."""
        return None

    # --- editing the record: owner and title (optional; the defaults say the host cannot) ------

    def find_user(self, login: str) -> str | None:
        """The host's reference for the user whose login is ``login`` (what :meth:`update_record`
        takes as ``owner``: RT the user name, Redmine and Zammad the user id), or ``None`` when
        the host has no such (active) user. Only reads. The default refuses: the adapter cannot
        assign owners."""
        raise UsageError(f"{self.label}: this host adapter cannot assign an owner (it implements no find_user)")

    def update_record(self, ticket_id: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """Write register fields, and the title and owner when given (``owner`` from
        :meth:`find_user`), in one request where the host allows, all or nothing; HostRefused
        when the host refuses any of it. The default writes fields only (through
        :meth:`update_fields`) and refuses a title or an owner before sending anything."""
        if owner is not None:
            raise UsageError(f"{self.label}: this host adapter cannot assign an owner (it implements no update_record)")
        if title is not None:
            raise UsageError(f"{self.label}: this host adapter cannot change a title (it implements no update_record)")
        if fields:
            self.update_fields(ticket_id, fields)

    # --- KPIs from the desk's own tickets (optional; the defaults say the host cannot) ---------

    def search_tickets(self, query: str, start: datetime, end: datetime,
                       basis: str) -> Iterator[tuple[datetime, datetime | None]]:
        """``(created, resolved or None)`` (aware UTC datetimes) of every ticket that matches
        ``query``, written in the host's own search language (RT: TicketSQL; Redmine: an
        issue-filter query string), whose ``basis`` time (``created`` or ``resolved``) lies in
        ``[start, end)``; all pages, ceil(N/100) search requests for N tickets. The adapter may
        return more (e.g. the window widened to whole days): the caller keeps exactly what lies
        in the window. A query the host rejects raises HostRefused with the host's words, before
        anything is written. The default refuses: the adapter has no ticket search."""
        raise UsageError(f"{self.label}: this host adapter cannot compute a KPI from a query (it implements "
                         "no search_tickets); enter the KPI's values by hand with --baseline/--actual")

    def entered_status_at(self, ticket_id: str, status: str) -> datetime | None:
        """When the ticket last entered host status ``status``, read from the host's history
        (RT transactions, Redmine journals), or ``None`` when it never did or the host cannot
        tell (the default)."""
        return None

    def container_name(self, ticket: Ticket) -> str:
        """The name of the queue, tracker or group holding ``ticket`` (``stats`` counts
        improvements per source queue/tracker); the default is ``ticket.container``."""
        return ticket.container

    def status_history(self, ticket_id: str) -> list[tuple[str, datetime]] | None:
        """Every status change of the ticket, oldest first, as ``(new host status, when)``
        (aware UTC datetimes), read from the host's history (RT transactions, Redmine journals):
        what ``stats`` needs for the time spent in each state. ``None`` when the host cannot
        tell (the default)."""
        return None

    # --- evidence: what the source tickets say (optional; the default says the host cannot) ---

    def ticket_facts(self, ticket_ids: list[str], *, reopens: bool = True) -> list[TicketFacts]:
        """Creation time, resolution time (``None`` unless the ticket is resolved/closed now),
        requestor and, with ``reopens``, the reopen count of each of ``ticket_ids`` that exists
        (missing ids are left out): ceil(N/100) searches for N tickets, plus what the host
        needs for the reopen counts (RT one history read per ticket, Redmine one issue read with
        journals per ticket). The default refuses: the adapter has no batched ticket read."""
        raise UsageError(f"{self.label}: this host adapter cannot read evidence (it implements no ticket_facts); "
                         "give the scoring inputs by hand")

    # --- proposals from recurring incidents (optional; the default says the host cannot) ------

    def candidate_occurrences(self, since: datetime, group_by: str | None) -> Iterator[Occurrence]:
        """Every ticket of the candidate queues/trackers created at or after ``since`` (aware UTC),
        as an :class:`~ci_plugin.domain.recurrence.Occurrence` whose ``key`` is the value of the
        custom field named ``group_by``, or, when ``group_by`` is ``None``, the host's own
        category (RT: the queue name; Redmine: the issue category); ``""`` when the ticket has
        none. All pages, ceil(N/100) search requests for N tickets; the adapter may return more
        (the window widened to whole days): the caller keeps what lies in the window. The default
        refuses: the adapter has no ticket search."""
        raise UsageError(f"{self.label}: this host adapter cannot propose improvements from recurring tickets "
                         "(it implements no candidate_occurrences); convert the tickets by hand with `ci-plugin convert`")
