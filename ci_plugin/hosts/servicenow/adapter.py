"""ServiceNow (Table API, ``/api/now``) as a ci-plugin host: :class:`ServiceNowAdapter`.

The register is a table: by default one of its own (``u_ci_improvement``, extending ``task``),
or, with ``[servicenow] register = "sn_cim_register"``, the initiatives of CIM. Problem records
are ``problem``, project records ``pm_project``, change records ``change_request``; register
fields are columns found by label in ``sys_dictionary``; workflow states are ``sys_choice``
labels of the table's ``state``; comments are ``work_notes``; links are ``task_rel_task`` rows
(CIM's ``source_id`` reference also names the first source).

One module per job: :mod:`.settings` (``[servicenow]``), :mod:`.query` (encoded queries checked
before they are sent), :mod:`.metadata` (dictionary, choices, ids, paging), :mod:`.links`,
:mod:`.provisioning`, :mod:`.state_model`, :mod:`.evidence` (facts and ``sys_audit`` history), :mod:`.kpi_search` (KPI queries), :mod:`.delivery` (``plan``'s project and change records, progress), and this module (records, searches, flags).

ServiceNow quirks handled here and nowhere else:

* A write names columns the table lacks? ServiceNow drops them silently and answers 200: every
  write compares the answer with what was sent and refuses what was not stored.
* Choice columns take any value through the API: register values are checked before sending.
* Errors are ``{"error": {"message", "detail"}, "status": "failure"}``; an ACL refusal is a
  403 and a record an ACL hides a 404, like a missing one.
* ``work_notes`` is a journal field: written with a PATCH, read from ``sys_journal_field``.
* Auth is basic (``[servicenow] username``, password from ``host.token_env``) or an OAuth
  bearer token (``host.token_env``, no username).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.fields import decode_ids, encode_checked_ids
from ci_plugin.domain.model import Ticket
from ci_plugin.errors import HostRefused, NotFound, PermissionDenied, UsageError
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.http import HostSession

from ci_plugin.hosts.servicenow.delivery import ServiceNowDelivery
from ci_plugin.hosts.servicenow.evidence import ServiceNowEvidence
from ci_plugin.hosts.servicenow.kpi_search import ServiceNowKpiSearch
from ci_plugin.hosts.servicenow.metadata import PAGE_SIZE, plain, sys_id_prefix, ticket_id
from ci_plugin.hosts.servicenow.provisioning import ServiceNowProvisioning
from ci_plugin.hosts.servicenow.query import term
from ci_plugin.hosts.servicenow.settings import CIM_TABLE, SECTION, settings


def _auth(username: str):
    """The header builder of :meth:`HostSession.from_config`: basic with ``username``, else bearer."""
    def headers(secret: str) -> dict[str, str]:
        if username:
            pair = base64.b64encode(f"{username}:{secret}".encode("latin-1")).decode("ascii")
            return {"Authorization": f"Basic {pair}"}
        return {"Authorization": f"Bearer {secret}"}
    return headers


class ServiceNowAdapter(ServiceNowDelivery, ServiceNowKpiSearch, ServiceNowEvidence, ServiceNowProvisioning, HostAdapter):
    """ServiceNow Table API: improvements are rows of the register table."""

    name = SECTION
    label = "ServiceNow"

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        self.settings = settings(config)
        self.register_table: str = self.settings["register"]
        self.link_types = self.settings["links"]
        self.forget_metadata()
        self._rel_types = None

    @property
    def page_size(self) -> int:
        """Records per page (:data:`PAGE_SIZE` of this module, which tests lower)."""
        return PAGE_SIZE

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        """One session on ``URL/api/now`` with basic or bearer auth."""
        return HostSession.from_config(config, api_path="/api/now", host_name="ServiceNow",
                                       auth=_auth(settings(config)["username"]))

    def about(self) -> dict[str, Any]:
        """Check the credentials with a one-row read of the register's ``sys_db_object``."""
        self.session.request("GET", "table/sys_db_object", params={
            "sysparm_query": term("name", "=", self.register_table), "sysparm_limit": 1, "sysparm_fields": "name"})
        return {"register": self.register_table, "auth": "basic" if self.settings["username"] else "bearer"}

    # --- values ---------------------------------------------------------------------------------

    def _encode(self, fields: dict[str, Any], table: str | None = None) -> dict[str, str]:
        """Register values as column values, checked first (ServiceNow keeps any choice value)."""
        body: dict[str, str] = {}
        for key, raw in fields.items():
            spec = register_fields.BY_KEY[key]
            if spec.kind == "ids":
                value = encode_checked_ids(key, raw)
            else:
                value = (str(raw[0]) if raw else "") if isinstance(raw, list) else plain(raw)
            if spec.kind == "enum" and value and value not in spec.choices:
                raise UsageError(f"{key}: {value!r} is not one of {', '.join(spec.choices)}")
            if spec.on_candidates and value and value not in (self.candidate["value"], self.candidate["cleared"]):
                raise UsageError(f"{key}: {value!r} is neither {self.candidate['value']!r} nor "
                                 f"{self.candidate['cleared']!r}")
            body[self.column(key, table)] = value
        return body

    def _dropped(self, sent: dict[str, str], record: dict[str, Any]) -> list[str]:
        """Columns whose value the answer does not carry as sent (ServiceNow drops unknown ones)."""
        return [name for name, value in sent.items() if name not in record or plain(record[name]) != value]

    def _to_ticket(self, table: str, record: dict[str, Any]) -> Ticket:
        sys_id = plain(record.get("sys_id"))
        fields: dict[str, Any] = {}
        keys = [s for s in register_fields.FIELDS if not s.on_candidates] if table == self.register_table else \
            [s for s in register_fields.FIELDS if s.on_candidates] if table in self.settings["candidate_tables"] else []
        for spec in keys:
            row = self.column_of(spec.key, table)
            if row is not None and str(row["element"]) in record:
                raw = plain(record[str(row["element"])])
                fields[spec.key] = decode_ids(raw) if spec.kind == "ids" else raw
        return Ticket(id=self.remember(sys_id, table), title=plain(record.get("short_description")),
                      status=self.state_label(table, record.get("state")), container=table,
                      description=plain(record.get("description")), submitter=plain(record.get("opened_by")),
                      owner=self._login(plain(record.get("assigned_to"))),
                      created=plain(record.get("sys_created_on")).replace(" ", "T") + "Z"
                      if record.get("sys_created_on") else "", url=self.ticket_url(ticket_id(sys_id)), fields=fields)

    def _login(self, user_sys_id: str) -> str:
        """The ``user_name`` of a ``sys_user`` (read once per user and command)."""
        if not user_sys_id:
            return ""
        if user_sys_id not in self._users:
            rows = list(self._pages("sys_user", term("sys_id", "=", user_sys_id), "user_name",
                                    columns=("sys_id", "user_name")))
            self._users[user_sys_id] = plain(rows[0].get("user_name")) if rows else ""
        return self._users[user_sys_id]

    # --- records --------------------------------------------------------------------------------

    def get_ticket(self, ticket_id_: str, *, links: bool = False) -> Ticket:
        """Read any task record; ``links=True`` sorts its ``task_rel_task`` links."""
        table, record = self.read(ticket_id_)
        ticket = self._to_ticket(table, record)
        if links:
            ticket.links = self.classify_links(ticket, plain(record.get("sys_id")))
        return ticket

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        """Problems are ``problem`` rows, projects ``pm_project`` rows (as configured)."""
        return ticket.container == self.settings[f"{kind}_table"]

    def find_project(self, ref: str) -> Ticket:
        """A project is a ``pm_project`` record, named by its id."""
        return self.get_ticket(register_fields.parse_ticket_id(ref, "project"))

    def _write(self, method: str, table: str, sys_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        path = f"table/{table}" + (f"/{sys_id}" if sys_id else "")
        answer = self.session.request(method, path, json=body,
                                      params={"sysparm_exclude_reference_link": "true"}).json()
        record = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(record, dict):
            raise HostRefused(f"ServiceNow answered {method} {path} without a record", messages=[])
        return record

    def create_improvement(self, title: str, description: str, fields: dict[str, Any],
                           links: dict[str, list[str]]) -> str:
        """One POST of the register row (CIM: with ``source_id``), then its links."""
        values = self._encode(fields)
        state = self.state_value(self.register_table, self.states.host_status("new"))
        body: dict[str, Any] = {"short_description": title, "description": description, **values}
        if state is not None:
            body["state"] = state
        sources = links.get("sources") or []
        if self.register_table == CIM_TABLE and sources and self.column_of_name("source_id"):
            body["source_id"] = self.locate(sources[0])[1]
        record = self._write("POST", self.register_table, None, body)
        new_id = self.remember(plain(record.get("sys_id")), self.register_table)
        dropped = self._dropped(values, record)
        if dropped:
            self.session.request("DELETE", f"table/{self.register_table}/{plain(record.get('sys_id'))}")
            raise HostRefused(f"ServiceNow did not store {', '.join(dropped)} on the new improvement (deleted "
                              "it again): are the register's columns there (`ci-plugin doctor`)?", messages=[])
        for kind, targets in links.items():
            if targets:
                self.add_links(new_id, kind, targets)
        return new_id

    def column_of_name(self, element: str) -> bool:
        """Whether the register table has the column ``element``."""
        return element in self.columns(self.register_table)

    def _patch(self, ticket_id_: str, body: dict[str, Any], checked: dict[str, str]) -> dict[str, Any]:
        table, sys_id = self.locate(ticket_id_)
        try:
            record = self._write("PUT", table, sys_id, body)
        except NotFound:
            raise NotFound(f"ServiceNow: ticket {ticket_id_} does not exist") from None
        dropped = self._dropped(checked, record)
        if dropped:
            raise HostRefused(f"ServiceNow did not store {', '.join(dropped)} on ticket {ticket_id_}", messages=[])
        return record

    def update_fields(self, ticket_id_: str, fields: dict[str, Any]) -> None:
        """One PATCH of the columns, checked against the answer."""
        table, _ = self.locate(ticket_id_)
        values = self._encode(fields, table if table != self.register_table else None)
        if values:
            self._patch(ticket_id_, values, values)

    def find_user(self, login: str) -> str | None:
        """The ``sys_id`` of the active ``sys_user`` whose ``user_name`` is ``login``."""
        rows = list(self._pages("sys_user", term("user_name", "=", login) + "^active=true", "sys_id,user_name",
                                columns=("user_name", "active", "sys_id")))
        return plain(rows[0].get("sys_id")) if rows else None

    def update_record(self, ticket_id_: str, fields: dict[str, Any], *, title: str | None = None,
                      owner: str | None = None) -> None:
        """One PATCH: ``short_description``, ``assigned_to`` and the columns, all checked."""
        values = self._encode(fields) if fields else {}
        body: dict[str, Any] = dict(values)
        if title is not None:
            body["short_description"] = title
        if owner is not None:
            body["assigned_to"] = owner
        if body:
            self._patch(ticket_id_, body, {k: v for k, v in body.items()})

    def set_status(self, ticket_id_: str, status: str) -> None:
        """PATCH ``state`` with the value ``sys_choice`` gives the label."""
        table, _ = self.locate(ticket_id_)
        value = self.state_value(table, status)
        if value is None:
            raise HostRefused(f"ServiceNow: {table} has no state labelled {status!r} (sys_choice)", messages=[])
        before = self.get_ticket(ticket_id_).status
        try:
            self._patch(ticket_id_, {"state": value}, {"state": value})
        except (HostRefused, PermissionDenied) as exc:  # a business rule's abort is a 403
            words = getattr(exc, "host_message", "") or "; ".join(getattr(exc, "messages", []) or []) or str(exc)
            raise HostRefused(f"ServiceNow refused state {status!r} on ticket {ticket_id_} (now {before!r}): {words}",
                              status=exc.status, messages=[words]) from None

    def comment(self, ticket_id_: str, text: str) -> None:
        """A work note (internal journal entry): a PATCH of ``work_notes``."""
        table, sys_id = self.locate(ticket_id_)
        self._write("PATCH", table, sys_id, {"work_notes": text})

    def comments(self, ticket_id_: str) -> list[str]:
        """The description, then every work note and comment (``sys_journal_field``), oldest first."""
        table, record = self.read(ticket_id_)
        query = term("element_id", "=", plain(record.get("sys_id"))) + "^elementINwork_notes,comments" \
            + "^ORDERBYsys_created_on"
        notes = [plain(r.get("value")) for r in self._pages("sys_journal_field", query, "value,element,sys_created_on",
                                                            columns=("element_id", "element", "value", "sys_created_on"))]
        return [t for t in (plain(record.get("description")), *notes) if t]

    # --- searches -------------------------------------------------------------------------------

    def improvements_from_source(self, source_id: str) -> list[str]:
        """Register rows whose source column holds ``,ID,``."""
        column = self.column("source_tickets")
        query = term(column, "LIKE", f",{register_fields.parse_ticket_id(source_id)},")
        rows = self._pages(self.register_table, query, f"sys_id,{column}")
        return sorted({self.remember(plain(r.get("sys_id")), self.register_table) for r in rows
                       if source_id in decode_ids(plain(r.get(column)))}, key=int)

    def list_improvements(self, statuses: list[str] | None = None) -> Iterator[Ticket]:
        """Every register row (all pages), with what it depends on (one ``task_rel_task`` read
        per improvement: the price of dependency-aware ranking)."""
        query = "sys_idISNOTEMPTY"
        if statuses:
            values = [v for v in (self.state_value(self.register_table, s) for s in statuses) if v is not None]
            if not values:
                return
            query = term("state", "IN", ",".join(values))
        for record in self._pages(self.register_table, query + "^ORDERBYsys_created_on"):
            ticket = self._to_ticket(self.register_table, record)
            depends = self.depends_on(plain(record.get("sys_id")))
            if depends:
                ticket.links = {"depends_on": depends}
            yield ticket

    def flagged_tickets(self) -> Iterator[Ticket]:
        """Every record of a candidate table whose candidate column holds the flag value."""
        for table in self.settings["candidate_tables"]:
            query = term(self.column("candidate", table), "=", self.candidate["value"])
            for record in self._pages(table, query + "^ORDERBYsys_created_on"):
                yield self._to_ticket(table, record)

    def clear_flag(self, ticket_id_: str) -> None:
        """Write the cleared value into the candidate column."""
        self.update_fields(ticket_id_, {"candidate": self.candidate["cleared"]})

    def ticket_url(self, ticket_id_: str) -> str:
        """The record's form, found by its ``sys_id`` prefix; the id closes the address."""
        prefix = sys_id_prefix(ticket_id_) or ""
        return f"{self.web_base}/task.do?sysparm_query=sys_idSTARTSWITH{prefix}&ci_plugin_id={ticket_id_}"


__all__ = ["PAGE_SIZE", "ServiceNowAdapter"]
