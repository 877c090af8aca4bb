"""Cached reads of ServiceNow's own metadata, record reads by id, and paging.

* Columns come from ``sys_dictionary`` (``name``, ``element``, ``column_label``,
  ``internal_type``, ``max_length``): a register field is the register table's column whose
  label is the ``[fields]`` name, in either register mode; the candidate flag is that column of
  each candidate table.
* State labels come from ``sys_choice`` (``name`` = table, ``element`` = ``state``): the
  ``[states]`` names are labels, and the stored values are whatever ``sys_choice`` says, never
  a number written here.
* Ids: ServiceNow keys records by a 32-hex ``sys_id``; the core wants positive numbers of at
  most 18 digits. A record's id is the number its first 14 hex digits spell
  (:func:`ticket_id`), found again with ``sys_idSTARTSWITH`` on ``task``, the table every
  record type of the register extends (the own register table is created extending ``task``;
  ``sn_cim_register`` extends it through ``planned_task``).
* Lists follow the ``Link: <...>;rel="next"`` header, bounded by the first page's
  ``X-Total-Count`` through :class:`ci_plugin.http.Pager`; a page may come back short (the
  limit is applied before ACLs), so a short page does not end the read, the missing ``next``
  link does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.errors import HostBadAnswer, NotFound, NotProvisionedError
from ci_plugin.http import HostSession, Pager

from ci_plugin.hosts.servicenow.query import check_query, term

#: Records per page of every list read (tests lower it).
PAGE_SIZE = 100
#: Hex digits of the ``sys_id`` an id stands for.
ID_HEX = 14
#: Columns of ``task`` the adapter reads on every record type.
TASK_COLUMNS = ("sys_id", "number", "short_description", "description", "state", "sys_class_name",
                "assigned_to", "opened_by", "sys_created_on", "sys_updated_on", "active")


def ticket_id(sys_id: str) -> str:
    """The register id of a record: its ``sys_id``'s first :data:`ID_HEX` hex digits as a number."""
    return str(int(sys_id[:ID_HEX], 16))


def sys_id_prefix(ticket: str) -> str | None:
    """The ``sys_id`` prefix an id stands for, or ``None`` when no record can have it."""
    number = int(ticket)
    return f"{number:0{ID_HEX}x}" if 0 < number < 16 ** ID_HEX else None


def plain(value: Any) -> str:
    """A Table API value as the string the core expects (a reference's ``value``, ``None`` empty)."""
    if isinstance(value, dict):
        value = value.get("value")
    return "" if value is None else str(value)


class ServiceNowMetadata:
    """Dictionary, choices and record reads (needs ``session``, ``settings``, ``cf_names``)."""

    session: HostSession
    settings: dict[str, Any]
    cf_names: dict[str, str]
    register_table: str

    @property
    def page_size(self) -> int:
        """Records per page of every list read."""
        return PAGE_SIZE

    def forget_metadata(self) -> None:
        """Drop the cached dictionary and choices (after setup changed them)."""
        self._dictionary: dict[str, dict[str, dict[str, Any]]] = {}
        self._choice_cache: dict[str, dict[str, str]] = {}
        self._tables: dict[str, str] = {}
        self._sys_ids: dict[str, str] = {}
        self._users: dict[str, str] = {}

    # --- paging ---------------------------------------------------------------------------------

    def _pages(self, table: str, query: str, fields: str | None = None,
               columns: Any = None) -> Iterator[dict[str, Any]]:
        """Every record of ``table`` matching ``query`` (checked first against ``columns``, by
        default the table's dictionary), following ``Link`` ``rel="next"`` to the end."""
        known = columns if columns is not None else self.columns(table)
        params: dict[str, Any] | None = {"sysparm_query": check_query(query, known, table=table),
                                         "sysparm_limit": self.page_size, "sysparm_offset": 0,
                                         "sysparm_exclude_reference_link": "true"}
        if fields and params is not None:
            params["sysparm_fields"] = fields
        path: str = f"table/{table}"
        pager, page = Pager(self.page_size, what=f"ServiceNow table/{table}"), 1
        while True:
            response = self.session.request("GET", path, params=params)
            items = self.session.json(response, dict).get("result")
            if not isinstance(items, list):
                raise HostBadAnswer(f"ServiceNow answered GET table/{table} without a result list")
            yield from (item for item in items if isinstance(item, dict))
            following = (response.links.get("next") or {}).get("url")
            total = response.headers.get("X-Total-Count")
            # a page may be empty only because ACLs hid its rows (the limit applies first): the
            # missing next link ends the read, the first page's X-Total-Count bounds it
            if not following or not pager.more(page, items or [{}], total=total):
                return
            path, params, page = following, None, page + 1

    # --- dictionary and choices -----------------------------------------------------------------

    def columns(self, table: str) -> dict[str, dict[str, Any]]:
        """The columns of ``table`` and of ``task`` (which every task table extends), from
        ``sys_dictionary``: element -> dictionary row."""
        if table not in self._dictionary:
            names = table if table in ("task", "sys_dictionary", "sys_db_object", "sys_choice") else f"{table},task"
            rows = self._pages("sys_dictionary", f"nameIN{names}^elementISNOTEMPTY",
                               "name,element,column_label,internal_type,max_length,reference",
                               columns=("name", "element"))
            found: dict[str, dict[str, Any]] = {}
            for row in rows:
                if row.get("name") == table or str(row.get("element")) not in found:
                    found[str(row.get("element"))] = row
            self._dictionary[table] = found
        return self._dictionary[table]

    def column_of(self, key: str, table: str | None = None) -> dict[str, Any] | None:
        """The dictionary row of register field ``key`` on ``table`` (default: the register
        table; the candidate flag: the first candidate table): the column labelled ``[fields]``."""
        spec = register_fields.BY_KEY[key]
        table = table or (self.settings["candidate_tables"][0] if spec.on_candidates else self.register_table)
        label = self.cf_names[key].strip().lower()
        for row in self.columns(table).values():
            if str(row.get("column_label", "")).strip().lower() == label:
                return row
        return None

    def column(self, key: str, table: str | None = None) -> str:
        """The column name of register field ``key``; NotProvisionedError when the table lacks it."""
        row = self.column_of(key, table)
        if row is None:
            raise NotProvisionedError([f"column {self.cf_names[key]}: missing on "
                                       f"{table or self.register_table} (run `ci-plugin setup --print-provisioning`)"])
        return str(row["element"])

    def choices(self, table: str, element: str = "state") -> dict[str, str]:
        """``sys_choice`` of ``table``.``element``: stored value -> label (the table's own
        choices, else those of ``task``)."""
        key = f"{table}.{element}"
        if key not in self._choice_cache:
            rows = list(self._pages("sys_choice", f"nameIN{table},task^element={element}^inactive=false",
                                    "name,element,value,label,sequence",
                                    columns=("name", "element", "inactive", "value", "label")))
            own = [r for r in rows if r.get("name") == table]
            self._choice_cache[key] = {plain(r.get("value")): plain(r.get("label")) for r in (own or rows)}
        return self._choice_cache[key]

    def state_label(self, table: str, value: Any) -> str:
        """The label of a stored state value (the value itself when ``sys_choice`` lacks it)."""
        return self.choices(table).get(plain(value), plain(value))

    def state_value(self, table: str, label: str) -> str | None:
        """The stored value of state ``label`` on ``table`` (case-insensitive), or ``None``."""
        wanted = label.strip().lower()
        return next((v for v, l in self.choices(table).items() if l.strip().lower() == wanted), None)

    # --- records --------------------------------------------------------------------------------

    def locate(self, ticket: str) -> tuple[str, str]:
        """``(table, sys_id)`` of the record with id ``ticket``; NotFound when there is none
        (also when an ACL hides it: ServiceNow answers the same)."""
        prefix = sys_id_prefix(ticket)
        if prefix is not None and ticket in self._tables:
            return self._tables[ticket], self._sys_ids[ticket]
        rows = [] if prefix is None else list(self._pages(
            "task", term("sys_id", "STARTSWITH", prefix), "sys_id,sys_class_name", columns=TASK_COLUMNS))
        if len(rows) != 1:
            raise NotFound(f"ServiceNow: ticket {ticket} does not exist" if not rows else
                           f"ServiceNow: ticket {ticket} names {len(rows)} records")
        table, sys_id = plain(rows[0].get("sys_class_name")), plain(rows[0].get("sys_id"))
        self.remember(sys_id, table)
        return table, sys_id

    def remember(self, sys_id: str, table: str) -> str:
        """Note where a record lives (read or made by this adapter); return its id."""
        number = ticket_id(sys_id)
        self._tables[number], self._sys_ids[number] = table, sys_id
        return number

    def read(self, ticket: str) -> tuple[str, dict[str, Any]]:
        """``(table, record)``: every column of the record with id ``ticket``."""
        table, sys_id = self.locate(ticket)
        try:
            answer = self.session.request("GET", f"table/{table}/{sys_id}",
                                          params={"sysparm_exclude_reference_link": "true"}).json()
        except NotFound:
            raise NotFound(f"ServiceNow: ticket {ticket} does not exist") from None
        record = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(record, dict):
            raise HostBadAnswer(f"ServiceNow answered GET table/{table} without a record")
        return table, record
