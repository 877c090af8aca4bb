"""The contract-suite harness for ServiceNow, backed by the fake of ``servicenow_fake.py``.

Same API as ``zammad_harness.py`` and ``memory_harness.py``; the contract tests only use this
API. :func:`servicenow_session` starts the fake on a loopback port (so ``ci-plugin`` in a
subprocess reaches it too), runs ``setup``, imports the printed XML as an admin would (the
Table API cannot create tables or columns) and runs ``setup`` again. Raw values are read
straight from the fake's tables, with the harness's own id arithmetic, so the tests do not
trust the adapter they test.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ci_plugin.app import open_register
from ci_plugin.ops.setup import setup
from tests.fixture_hosts.environment import exported
from tests.fixture_hosts.servicenow_fake import PASSWORD, USER, FakeServiceNow
from tests.live.harness import HostHarness

TOKEN_ENV = "CI_PLUGIN_SERVICENOW_PASSWORD"
TABLES = {"incident": "incident", "problem": "problem", "project": "pm_project", "change": "change_request"}
DONE = {"incident": "Resolved", "problem": "Resolved", "pm_project": "Closed Complete", "change_request": "Closed",
        "task": "Closed Complete"}


def base_config(url: str, register: str = "u_ci_improvement", extra: str = "") -> str:
    """The config of a register on the fake (basic auth as ``admin``)."""
    return (f'[host]\ntype = "servicenow"\nurl = "{url}"\ntoken_env = "{TOKEN_ENV}"\nretries = 1\n\n'
            f'[servicenow]\nregister = "{register}"\nusername = "{USER}"\n{extra}')


def provision(path: Path, fake: FakeServiceNow):
    """Complete the setup of the config at ``path``: API first, then the XML an admin imports."""
    register = open_register(path)
    report = setup(register)
    if not report.complete:
        assert [m.filename for m in report.pending] == ["ci-plugin-servicenow-schema.xml"], report.failing
        fake.install_unload(report.pending[0].content)
        register = open_register(path)
        report = setup(register)
    assert report.complete, f"setup of the fake ServiceNow is incomplete: {report.failing}"
    return register


@dataclass
class ServiceNowSession:
    """What the session fixture yields: the running fake and the provisioned base config."""

    fake: FakeServiceNow
    base_config: Path

    @property
    def url(self) -> str:
        """Base URL of the fake."""
        return self.fake.url


@contextlib.contextmanager
def servicenow_session(tmp_path_factory) -> Iterator[ServiceNowSession]:
    """Start the fake, provision the register; stop it afterwards."""
    with FakeServiceNow() as fake, exported({TOKEN_ENV: PASSWORD}):
        path = tmp_path_factory.mktemp("servicenow") / "ci-plugin.toml"
        path.write_text(base_config(fake.url))
        provision(path, fake)
        yield ServiceNowSession(fake, path)


def servicenow_harness(session: ServiceNowSession, tmp_path: Path) -> ServiceNowHarness:
    """The value of the per-test ``servicenow`` fixture."""
    return ServiceNowHarness(session.base_config, tmp_path, session.url, session.fake)


def column(label: str) -> str:
    """The column the schema XML gives a field label (``CI Size`` -> ``u_ci_size``)."""
    return "u_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


class ServiceNowHarness(HostHarness):
    """Helpers over the fake ServiceNow for one test."""

    name = "servicenow"

    def __init__(self, base_config_path: Path, tmp_path: Path, url: str, fake: FakeServiceNow):
        super().__init__(base_config_path, tmp_path, url)
        self.fake = fake

    @property
    def settings(self) -> dict:
        """``[servicenow]`` of this test's config."""
        return self.register.config.section("servicenow")

    def sys_id(self, ticket_id: str) -> str:
        """The sys_id the id stands for (its first 14 hex digits)."""
        prefix = f"{int(ticket_id):014x}"
        with self.fake.lock:
            found = [r["sys_id"] for rows in self.fake.rows.values() for r in rows.values()
                     if r["sys_id"].startswith(prefix)]
        assert len(found) == 1, f"no single record for id {ticket_id}"
        return found[0]

    @staticmethod
    def id_of(sys_id: str) -> str:
        """The id of a record."""
        return str(int(sys_id[:14], 16))

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident",
               content: str = "Users cannot print after 5pm.", flagged: bool = False) -> str:
        """Create a source record of ``kind`` (incident, problem, project) through the Table API."""
        body = {"short_description": f"{subject} [{self.tag}]", "description": content}
        if flagged:
            body[column(self._cf_name("candidate"))] = self.register.config.section("candidate")["value"]
        answer = self.session.request("POST", f"table/{TABLES[kind]}", json=body).json()
        return self.id_of(answer["result"]["sys_id"])

    def raw(self, ticket_id: str) -> dict:
        """The record as the fake stores it."""
        return self.fake.record(self.sys_id(ticket_id))

    def field(self, ticket_id: str, key: str) -> list[str]:
        """Values of a register field's column, read straight from the fake."""
        return self.values_of(key, self.raw(ticket_id).get(column(self._cf_name(key))))

    def status(self, ticket_id: str) -> str:
        """The label of the record's state, from the fake's sys_choice."""
        record = self.raw(ticket_id)
        return self.fake._label(record["sys_class_name"], record.get("state", ""))

    def _type_name(self, kind: str) -> str:
        names = {"sources": "source", "problems": "problem", "projects": "project", "changes": "change",
                 "follow_ups": "follow_up"}
        return self.settings["links"][names[kind]] if kind in names else "Depends on::Used by"

    def linked(self, ticket_id: str, kind: str) -> list[str]:
        """Children of the improvement by the kind's task_rel_type, of the right table."""
        parent = self.sys_id(ticket_id)
        with self.fake.lock:
            types = {i for i, r in self.fake.rows["task_rel_type"].items() if r["name"] == self._type_name(kind)}
            children = [r["child"] for r in self.fake.rows["task_rel_task"].values()
                        if r["parent"] == parent and r["type"] in types]
        want = {"problems": "problem", "projects": "pm_project", "changes": "change_request",
                "follow_ups": self.settings["register"]}.get(kind)
        found = {self.id_of(c) for c in children if want is None or self.fake.table_of(c) == want}
        if kind == "sources":
            found &= set(self.field(ticket_id, "source_tickets"))
        return sorted(found, key=int)

    def comments(self, ticket_id: str) -> list[str]:
        """The description and every journal entry (work notes, comments), oldest first."""
        sys_id = self.sys_id(ticket_id)
        with self.fake.lock:
            notes = sorted((r for r in self.fake.rows["sys_journal_field"].values() if r["element_id"] == sys_id),
                           key=lambda r: r["_seq"])
        return [t for t in (self.raw(ticket_id).get("description", ""), *(r["value"] for r in notes)) if t]

    def add_dependency(self, ticket_id: str, on_id: str) -> None:
        """``ticket_id`` depends on ``on_id``: a task_rel_task row of the depends-on type."""
        types = self.session.request("GET", "table/task_rel_type", params={"sysparm_query": "name=Depends on::Used by"})
        body = {"parent": self.sys_id(ticket_id), "child": self.sys_id(on_id), "type": types.json()["result"][0]["sys_id"]}
        self.session.request("POST", "table/task_rel_task", json=body)

    def set_flag(self, ticket_id: str, value: str) -> None:
        """Set the candidate column, as an agent does."""
        record = self.raw(ticket_id)
        self.session.request("PATCH", f"table/{record['sys_class_name']}/{record['sys_id']}",
                             json={column(self._cf_name("candidate")): value})

    def resolve(self, ticket_id: str) -> None:
        """Put the record in its table's resolved/closed state (value read from sys_choice)."""
        record = self.raw(ticket_id)
        table = record["sys_class_name"]
        with self.fake.lock:
            value = next(r["value"] for r in self.fake.rows["sys_choice"].values()
                         if r["name"] == table and r["element"] == "state" and r["label"] == DONE[table])
        self.session.request("PATCH", f"table/{table}/{record['sys_id']}", json={"state": value})

    def reopen(self, ticket_id: str) -> None:
        """Put a resolved record back into its table's first state (ServiceNow counts the reopen)."""
        record = self.raw(ticket_id)
        with self.fake.lock:
            value = next(r["value"] for r in sorted(self.fake.rows["sys_choice"].values(), key=lambda r: int(r["sequence"]))
                         if r["name"] == record["sys_class_name"] and r["element"] == "state")
        self.session.request("PATCH", f"table/{record['sys_class_name']}/{record['sys_id']}", json={"state": value})

    def created_resolved(self, ticket_id: str):
        """Creation and resolution time (aware UTC) straight from the fake's record."""
        from datetime import datetime, timezone

        def when(text):
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) if text else None

        raw = self.raw(ticket_id)
        return when(raw["sys_created_on"]), when(raw.get("resolved_at") or raw.get("closed_at") or "")

    def titled(self, text: str) -> list[str]:
        """Ids of every task record whose short description contains ``text``."""
        with self.fake.lock:
            return sorted((self.id_of(r["sys_id"]) for r in self.fake.records("task")
                           if text in r.get("short_description", "")), key=int)

    def record(self, ticket_id: str) -> dict:
        """Table, title, owner (user name) and due date of a record, straight from the fake."""
        raw = self.raw(ticket_id)
        owner = self.fake.record(raw["assigned_to"]).get("user_name", "") if raw.get("assigned_to") else ""
        return {"container": raw["sys_class_name"], "title": raw.get("short_description", ""), "owner": owner,
                "due": raw.get("due_date", "")[:10]}

    def child(self, parent_id: str, subject: str = "Delivery task") -> str:
        """A ``task`` row whose ``parent`` is ``parent_id`` (a project or change task)."""
        body = {"short_description": f"{subject} [{self.tag}]", "parent": self.sys_id(parent_id)}
        return self.id_of(self.session.request("POST", "table/task", json=body).json()["result"]["sys_id"])
