"""KPIs from the desk's own records: :meth:`search_tickets` with an encoded query.

A KPI query is ``[TABLE:]ENCODED_QUERY``: ``incident:short_descriptionLIKEpassword^priority=1``
(no table: the first of ``[servicenow] candidate_tables``). The window is added as
``sys_created_on`` (basis ``created``) or ``resolved_at``, else ``closed_at`` (basis
``resolved``) between the window's ends, in the Table API's own time format (UTC). The whole
query is checked against the table's ``sys_dictionary`` before it is sent, since ServiceNow
would silently drop a misspelt column and count the whole table; ``^NQ`` (a second query,
outside the window) is refused as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

from ci_plugin.hosts.servicenow.evidence import sn_time
from ci_plugin.hosts.servicenow.query import QueryRefused, check_query

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
