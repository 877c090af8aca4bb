"""KPIs from the desk's own records: :meth:`search_tickets` with an encoded query.

A KPI query is ``[TABLE:]ENCODED_QUERY``: ``incident:short_descriptionLIKEpassword^priority=1``
(no table: the first of ``[servicenow] candidate_tables``). The window is added as
``sys_created_on`` (basis ``created``) or ``resolved_at``, else ``closed_at`` (basis
``resolved``) between the window's ends, in the Table API's own time format (UTC). The whole
query is checked against the table's ``sys_dictionary`` before it is sent, since ServiceNow
would silently drop a misspelt column and count the whole table; ``^NQ`` (a second query,
outside the window) is refused as well.

:meth:`candidate_occurrences` (``propose``) reads the records of the candidate tables created
since the day before ``since``; their key is the value of the column labelled ``group_by``
(``[propose] group_by``), or ServiceNow's own ``category`` (``incident.category``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from ci_plugin.domain.recurrence import Occurrence
from ci_plugin.errors import UsageError
from ci_plugin.hosts.servicenow.evidence import sn_time
from ci_plugin.hosts.servicenow.metadata import plain, ticket_id
from ci_plugin.hosts.servicenow.query import QueryRefused, check_query, term

_TABLE = re.compile(r"([a-z][a-z0-9_]*):(.*)", re.S)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class ServiceNowKpiSearch:
    """``search_tickets`` (needs the metadata reads and ``settings``)."""

    def search_tickets(self, query: str, start: datetime, end: datetime,
                       basis: str) -> Iterator[tuple[datetime, datetime | None]]:
        """``(created, resolved or None)`` of every record the encoded query matches whose
        ``basis`` time lies in ``[start, end)``; all pages."""
        found = _TABLE.fullmatch(query.strip())
        table, encoded = (found.group(1), found.group(2)) if found else \
            (self.settings["candidate_tables"][0], query.strip())  # type: ignore[attr-defined]
        if "^NQ" in encoded:
            raise QueryRefused("ServiceNow: a KPI query cannot hold ^NQ (a second query would escape the window)")
        columns = self.columns(table)  # type: ignore[attr-defined]
        if not columns:
            raise QueryRefused(f"ServiceNow: no table {table!r} (sys_dictionary lists no column of it)")
        check_query(encoded, columns, table=table)
        resolved_column = "resolved_at" if "resolved_at" in columns else "closed_at"
        column = "sys_created_on" if basis == "created" else resolved_column
        window = f"{column}>={_stamp(start)}^{column}<{_stamp(end)}"
        full = f"{encoded}^{window}" if encoded else window
        fields = ",".join(["sys_id", "sys_created_on", resolved_column])
        for row in self._pages(table, full, fields, columns=columns):  # type: ignore[attr-defined]
            created = sn_time(row.get("sys_created_on"))
            if created is not None:
                yield created, sn_time(row.get(resolved_column))

    def candidate_occurrences(self, since: datetime, group_by: str | None) -> Iterator[Occurrence]:
        """Every record of the candidate tables created since the day before ``since``, keyed
        by the column labelled ``group_by`` or by ``category``; all pages."""
        low = _stamp(since - timedelta(days=1))
        for table in self.settings["candidate_tables"]:  # type: ignore[attr-defined]
            columns = self.columns(table)  # type: ignore[attr-defined]
            if group_by is None:
                key_column = "category" if "category" in columns else ""
            else:
                wanted = group_by.strip().lower()
                key_column = next((e for e, row in columns.items() if e == group_by or
                                   str(row.get("column_label", "")).strip().lower() == wanted), "")
                if not key_column:
                    raise UsageError(f"ServiceNow: {table} has no column labelled {group_by!r} ([propose] group_by)")
            fields = ",".join(c for c in ("sys_id", "short_description", "sys_created_on", key_column) if c)
            query = term("sys_created_on", ">=", low) + "^ORDERBYsys_created_on"
            for row in self._pages(table, query, fields, columns=columns):  # type: ignore[attr-defined]
                created = sn_time(row.get("sys_created_on"))
                yield Occurrence(ticket_id(plain(row.get("sys_id"))), plain(row.get(key_column)) if key_column else "",
                                 plain(row.get("short_description")), created.isoformat() if created else "")
