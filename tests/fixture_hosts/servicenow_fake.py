"""A stateful fake of ServiceNow's Table API (``/api/now/table``), served on loopback by a thread.

Built from ``/work/shared/hosts/servicenow.md`` (ServiceNow's documented behaviour), not from the
adapter: bodies ``{"result": ...}``; errors ``{"error": {"message", "detail"}, "status":
"failure"}``; 201 on POST, 204 on DELETE; 401 "User Not Authenticated"; 403 for an ACL
(:meth:`FakeServiceNow.deny`); 404 "No Record found" for a missing record *and* one an ACL hides
(:meth:`FakeServiceNow.hide`, also left out of lists after the limit is applied, so a page comes
back short); 429 with ``Retry-After``, ``X-RateLimit-*`` (:meth:`FakeServiceNow.rate_limit`).
Lists take ``sysparm_query``, ``sysparm_limit`` (default 10000), ``sysparm_offset``,
``sysparm_fields``, ``sysparm_display_value`` and ``sysparm_exclude_reference_link``, and answer
``X-Total-Count`` and ``Link`` (first, prev, next, last). Quirks kept: a column the table lacks
is dropped from a write without a word; an encoded-query part ServiceNow cannot use is ignored
(the query matches more) unless ``glide.invalid_query.returns_no_rows`` (:attr:`strict_queries`);
choice columns keep any value; journal fields (``work_notes``, ``comments``) go to
``sys_journal_field`` and read back empty on the record. The Table API cannot create tables or
columns: :meth:`install_unload` is what an admin's *Import XML* does.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fixture_hosts.loopback import LoopbackFake
from tests.fixture_hosts.servicenow_fake_query import compile_query
from tests.fixture_hosts.servicenow_fake_rules import Refusal, ServiceNowRules, now as _now

from tests.fixture_hosts.servicenow_fake_data import (  # noqa: F401 - USER, PASSWORD are the fake's API
    CIM_STATES, DEFAULT_STATE, PASSWORD, SCHEMA, STOCK_STATES, SYSTEM, USER)


class FakeServiceNow(LoopbackFake, ServiceNowRules):
    """The Table API over in-memory tables; ``cim=True`` activates the CIM plugin (``sn_cim_register``)."""

    def __init__(self, *, cim: bool = False, token: str = "fake-servicenow-token"):
        self.token, self.lock = token, threading.RLock()
        self.tables: dict[str, str | None] = {}
        self.prefixes: dict[str, str] = {}
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}
        self.numbers = itertools.count(10001)
        self.denied: set[tuple[str, str]] = set()
        self.hidden: set[str] = set()
        self.limited = 0
        self.strict_queries = False
        self.requests: Counter[tuple[str, str]] = Counter()
        for table, (parent, prefix, columns) in SCHEMA.items():
            self.tables[table], self.prefixes[table] = parent, prefix
            self.rows[table] = {}
        for table, (parent, prefix, columns) in SCHEMA.items():
            self._insert("sys_db_object", {"name": table, "label": table, "super_class": ""}, raw=True)
            self._system_columns(table)
            for column, (kind, reference) in columns.items():
                self._define_column(table, column, column.replace("_", " ").title(), kind, reference=reference)
        for table, states in STOCK_STATES.items():
            self._choices(table, states)
        self.admin = self._insert("sys_user", {"user_name": USER, "name": "System Administrator", "active": "true"})
        self._insert("sys_user", {"user_name": "beth.anglin", "name": "Beth Anglin", "active": "true"})
        if cim:
            self._define_table("sn_cim_register", "task", "CIM")
            self._define_column("sn_cim_register", "source_id", "Source", "reference", reference="task")
            self._choices("sn_cim_register", CIM_STATES)

    # --- schema ---------------------------------------------------------------------------------

    def _define_table(self, name: str, parent: str | None, prefix: str = "") -> None:
        self.tables[name], self.prefixes[name] = parent, prefix or name[:4].upper()
        self.rows.setdefault(name, {})
        self._insert("sys_db_object", {"name": name, "label": name, "super_class": self._table_id(parent)}, raw=True)
        self._system_columns(name)

    def _system_columns(self, table: str) -> None:
        """Every table has its own dictionary rows of the system columns."""
        for element in SYSTEM:
            kind = "GUID" if element == "sys_id" else "glide_date_time" if element.endswith("_on") else "string"
            self._define_column(table, element, element.replace("_", " ").title(), kind)

    def _table_id(self, name: str | None) -> str:
        return next((i for i, r in self.rows.get("sys_db_object", {}).items() if r["name"] == name), "") if name else ""

    def _define_column(self, table: str, element: str, label: str, kind: str, *, length: str = "100",
                       reference: str = "") -> None:
        self._insert("sys_dictionary", {"name": table, "element": element, "column_label": label,
                                        "internal_type": kind, "max_length": length, "reference": reference}, raw=True)

    def _choices(self, table: str, states: dict[str, str]) -> None:
        for sequence, (value, label) in enumerate(states.items()):
            self._insert("sys_choice", {"name": table, "element": "state", "value": value, "label": label,
                                        "sequence": str(sequence), "language": "en", "inactive": "false"}, raw=True)

    def ancestry(self, table: str) -> list[str]:
        """The table and the tables it extends."""
        chain = [table]
        while self.tables.get(chain[-1]):
            chain.append(self.tables[chain[-1]])  # type: ignore[arg-type]
        return chain

    def columns(self, table: str) -> dict[str, dict[str, Any]]:
        """Every column of ``table`` (its own and inherited), element -> dictionary row."""
        chain = self.ancestry(table)
        found = {c: {"element": c, "internal_type": "string"} for c in SYSTEM}
        for row in self.rows.get("sys_dictionary", {}).values():
            if row["name"] in chain and row["element"]:
                found.setdefault(row["element"], row)
        return found

    def install_unload(self, xml: str) -> None:
        """An admin's *Import XML* of ``sys_db_object`` and ``sys_dictionary`` records."""
        with self.lock:
            for record in ET.fromstring(xml):
                values = {child.tag: (child.text or "") for child in record}
                if record.tag == "sys_db_object" and values["name"] not in self.tables:
                    self._define_table(values["name"], values.get("super_class") or None)
                elif record.tag == "sys_dictionary":
                    if values["element"] not in self.columns(values["name"]):
                        self._define_column(values["name"], values["element"], values["column_label"],
                                            values["internal_type"], length=values.get("max_length", "100"))

    # --- faults ---------------------------------------------------------------------------------

    def deny(self, method: str, table: str) -> None:
        """An ACL refuses ``method`` on ``table`` from now on (403)."""
        self.denied.add((method.upper(), table))

    def hide(self, sys_id: str) -> None:
        """An ACL hides the record: 404 on read, left out of lists after the limit."""
        self.hidden.add(sys_id)

    def rate_limit(self, times: int = 1) -> None:
        """The next ``times`` requests hit a rate-limit rule (429)."""
        self.limited = times

    # --- records --------------------------------------------------------------------------------

    def table_of(self, sys_id: str) -> str | None:
        """The table a record lives in."""
        return next((t for t, rows in self.rows.items() if sys_id in rows), None)

    def record(self, sys_id: str) -> dict[str, Any]:
        """The stored record (a copy)."""
        table = self.table_of(sys_id)
        return dict(self.rows[table][sys_id]) if table else {}

    def records(self, table: str) -> list[dict[str, Any]]:
        """Rows of ``table`` and of every table extending it, oldest first."""
        tables = [t for t in self.tables if table in self.ancestry(t)]
        found = [r for t in tables for r in self.rows.get(t, {}).values()]
        return sorted(found, key=lambda r: (r["sys_created_on"], r["_seq"]))

    def _insert(self, table: str, values: dict[str, Any], raw: bool = False) -> dict[str, Any]:
        now, sys_id = _now(), uuid.uuid4().hex
        record: dict[str, Any] = {"sys_id": sys_id, "sys_created_on": now, "sys_updated_on": now,
                                  "sys_created_by": USER, "sys_updated_by": USER, "sys_mod_count": "0",
                                  "_seq": next(self.numbers)}
        if "task" in self.ancestry(table):
            record.update({"sys_class_name": table, "number": f"{self.prefixes[table]}{record['_seq']:07d}",
                           "active": "true", "state": DEFAULT_STATE.get(table, ""), "short_description": "",
                           "description": "", "assigned_to": "", "opened_by": getattr(self, "admin", {}).get("sys_id", "")})
        self.rows[table][sys_id] = record
        if raw:
            record.update(values)
        else:
            self._assign(table, record, values)
        return record

    def _assign(self, table: str, record: dict[str, Any], values: dict[str, Any]) -> None:
        before = record.get("state", "")
        self._set(table, record, values)
        if "task" in self.ancestry(table) and record.get("state", "") != before and "_seq" in record:
            self._state_changed(table, record, before)

    def _set(self, table: str, record: dict[str, Any], values: dict[str, Any]) -> None:
        known = self.columns(table)
        for column, value in values.items():
            row = known.get(column)
            if row is None or column in SYSTEM or column == "sys_class_name":
                continue  # a column the table lacks: dropped without a word
            text = "" if value is None else (("true" if value else "false") if isinstance(value, bool) else str(value))
            if row.get("internal_type") == "journal_input":
                if text:
                    self._insert("sys_journal_field", {"element_id": record["sys_id"], "element": column,
                                                       "name": table, "value": text})
                continue
            record[column] = text
        record["sys_updated_on"] = _now()

    def _out(self, table: str, record: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        known = self.columns(table)
        wanted = [f for f in params.get("sysparm_fields", "").split(",") if f] or \
            [c for c in known if not c.startswith("_")]
        display = params.get("sysparm_display_value", "false")
        plain_refs = params.get("sysparm_exclude_reference_link", "false") == "true"
        out: dict[str, Any] = {}
        for column in wanted:
            if column not in known:
                continue
            row, value = known[column], record.get(column, "")
            if row.get("internal_type") == "journal_input":
                value = ""
            if row.get("internal_type") == "reference" and value and not plain_refs and display == "false":
                value = {"link": f"{self.url}/api/now/table/{row.get('reference') or 'task'}/{value}", "value": value}
            elif display in ("true", "all") and column == "state":
                label = self._label(table, str(value))
                value = label if display == "true" else {"display_value": label, "value": value}
            out[column] = value
        return out

    def _label(self, table: str, value: str) -> str:
        for name in self.ancestry(table):
            for row in self.rows["sys_choice"].values():
                if row["name"] == name and row["element"] == "state" and row["value"] == value:
                    return row["label"]
        return value

    # --- HTTP -----------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeServiceNow:
        """Serve on a loopback port (a free one by default), in a daemon thread."""
        self.listen(port, "fake-servicenow", ("GET", "POST", "PUT", "PATCH", "DELETE"))
        return self

    def answer(self, method: str, target: str, authorization: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """:meth:`handle`'s answer: JSON, or no body (a 204)."""
        status, payload, headers = self.handle(method, target, authorization, body)
        if payload is None:
            return status, b"", headers
        return status, json.dumps(payload).encode(), {**headers, "Content-Type": "application/json;charset=UTF-8"}

    def _authorized(self, authorization: str) -> bool:
        basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return authorization in (f"Basic {basic}", f"Bearer {self.token}")

    def handle(self, method: str, target: str, authorization: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: ``(status, JSON payload or None, headers)``."""
        parts = urlsplit(target)
        path = [p for p in parts.path.split("/") if p]
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if len(path) not in (4, 5) or path[:3] != ["api", "now", "table"]:
            return 400, {"error": {"message": "Requested URI does not represent any resource", "detail": None},
                         "status": "failure"}, {}
        if not self._authorized(authorization):
            return 401, {"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
                         "status": "failure"}, {}
        with self.lock:
            self.requests[(method, path[3])] += 1
            if self.limited > 0:
                self.limited -= 1
                reset = int(datetime.now(timezone.utc).timestamp()) + 1
                return 429, {"error": {"message": "Rate limit exceeded", "detail": "rule: ci-plugin test rule"},
                             "status": "failure"}, {"Retry-After": "0", "X-RateLimit-Limit": "1000",
                                                    "X-RateLimit-Reset": str(reset), "X-RateLimit-Rule": "ci-plugin test rule"}
            try:
                payload = json.loads(body) if body else {}
                return self._route(method, path[3], path[4] if len(path) == 5 else None, params, payload)
            except ValueError:
                return 400, {"error": {"message": "Exception while reading request", "detail": "not JSON"},
                             "status": "failure"}, {}
            except Refusal as refusal:
                return refusal.status, {"error": {"message": refusal.message, "detail": refusal.detail},
                                        "status": "failure"}, {}

    def _route(self, method: str, table: str, sys_id: str | None, params: dict[str, str],
               body: Any) -> tuple[int, Any, dict[str, str]]:
        if table not in self.tables:
            raise Refusal(400, f"Invalid table {table}")
        if (method, table) in self.denied:
            raise Refusal(403, "Operation Failed", "ACL Exception Insert Failed due to security constraints")
        if sys_id is None and method == "GET":
            return self._list(table, params)
        if sys_id is None and method == "POST":
            if not isinstance(body, dict):
                raise Refusal(400, "Exception while reading request", "body is not a JSON object")
            return 201, {"result": self._out(table, self._insert(table, body), params)}, {}
        if sys_id is None:
            raise Refusal(405, "Method not Supported")
        record = self.rows[table].get(sys_id) if table in self.rows else None
        if record is None:
            record = next((r for r in self.records(table) if r["sys_id"] == sys_id), None)
        if record is None or sys_id in self.hidden:
            raise Refusal(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        actual = record.get("sys_class_name") or table
        if method == "GET":
            return 200, {"result": self._out(actual, record, params)}, {}
        if method in ("PUT", "PATCH"):
            if not isinstance(body, dict):
                raise Refusal(400, "Exception while reading request", "body is not a JSON object")
            self._business_rules(actual, record, body)
            self._assign(actual, record, body)
            record["sys_mod_count"] = str(int(record["sys_mod_count"]) + 1)
            return 200, {"result": self._out(actual, record, params)}, {}
        if method == "DELETE":
            del self.rows[self.table_of(sys_id)][sys_id]
            return 204, None, {}
        raise Refusal(405, "Method not Supported")

    def _list(self, table: str, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        matches, order = compile_query(params.get("sysparm_query", ""), self.columns(table), strict=self.strict_queries)
        found = [r for r in self.records(table) if matches(r)]
        for column, desc in reversed(order):
            found.sort(key=lambda r: str(r.get(column, "")), reverse=desc)
        limit, offset = int(params.get("sysparm_limit") or 10000), int(params.get("sysparm_offset") or 0)
        page = [r for r in found[offset:offset + limit] if r["sys_id"] not in self.hidden]  # ACLs after the limit
        headers = {"X-Total-Count": str(len(found))}
        links = []
        base = f"{self.url}/api/now/table/{table}"

        def at(where: int) -> str:
            return base + "?" + urlencode({**params, "sysparm_limit": limit, "sysparm_offset": where})

        links.append(f'<{at(0)}>;rel="first"')
        if offset > 0:
            links.append(f'<{at(max(0, offset - limit))}>;rel="prev"')
        if offset + limit < len(found):
            links.append(f'<{at(offset + limit)}>;rel="next"')
        links.append(f'<{at(max(0, (len(found) - 1) // limit * limit))}>;rel="last"')
        headers["Link"] = ",".join(links)
        return 200, {"result": [self._out(table, r, params) for r in page]}, headers
