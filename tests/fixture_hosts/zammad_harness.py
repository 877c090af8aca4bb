"""The contract-suite harness for Zammad, backed by the fake of ``zammad_fake.py``.

Same API as ``tests/live/rt_harness.py`` and ``redmine_harness.py``; the contract tests only use
this API. :func:`zammad_session` is what a session fixture yields: it installs the worked
example ``docs/examples/ci_host_zammad`` with pip (as a plugin author's user would), starts the
fake on a loopback port (so ``ci-plugin`` in a subprocess reaches it too) and provisions the
register once, restarting the fake where an admin would restart Zammad.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ci_plugin import config as config_module
from ci_plugin.ops.setup import setup
from ci_plugin.app import open_register
from ci_plugin.register import ImprovementRegister
from tests.fixture_hosts.environment import exported
from tests.fixture_hosts.zammad_fake import FakeZammad
from tests.live.harness import HostHarness

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "ci_host_zammad"
TOKEN_ENV = "CI_PLUGIN_ZAMMAD_TOKEN"
INCIDENT_GROUP = "Users"


def install_example(target: Path) -> Path:
    """pip-install the example package into ``target`` and make it importable here and in
    subprocesses (``sys.path`` and ``PYTHONPATH``); its entry point is then found like any
    installed plugin's."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), str(EXAMPLE)], check=True)
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), os.environ.get("PYTHONPATH", "")) if p)
    importlib.invalidate_caches()
    return target


def uninstall_example(target: Path, previous_pythonpath: str | None) -> None:
    """Undo :func:`install_example`."""
    if str(target) in sys.path:
        sys.path.remove(str(target))
    if previous_pythonpath is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = previous_pythonpath
    for name in [m for m in sys.modules if m == "ci_host_zammad" or m.startswith("ci_host_zammad.")]:
        sys.modules.pop(name)


def provision(path: Path, fake: FakeZammad) -> ImprovementRegister:
    """Complete the setup of the config at ``path``: API first, then the manual step (a restart)."""
    register = open_register(path)
    report = setup(register)
    if not report.complete:
        assert [m.filename for m in report.pending] == ["ci-plugin-zammad-restart.sh"], report.failing
        fake.restart()  # what the admin does with the printed step
        register = open_register(path)
        report = setup(register)
    assert report.complete, f"setup of the fake Zammad is incomplete: {report.failing}"
    return register


@dataclass
class ZammadSession:
    """What the session fixture yields: the running fake and the provisioned base config."""

    fake: FakeZammad
    base_config: Path

    @property
    def url(self) -> str:
        """Base URL of the fake."""
        return self.fake.url


@contextlib.contextmanager
def zammad_session(tmp_path_factory) -> Iterator[ZammadSession]:
    """Install the example, start the fake, provision the register; undo it all afterwards."""
    previous = os.environ.get("PYTHONPATH")
    target = install_example(tmp_path_factory.mktemp("zammad-site"))
    try:
        with FakeZammad() as fake, exported({TOKEN_ENV: fake.token}):
            path = tmp_path_factory.mktemp("zammad") / "ci-plugin.toml"
            path.write_text(f'[host]\ntype = "zammad"\nurl = "{fake.url}"\ntoken_env = "{TOKEN_ENV}"\nretries = 1\n')
            provision(path, fake)
            yield ZammadSession(fake, path)
    finally:
        uninstall_example(target, previous)


def zammad_harness(session: ZammadSession, tmp_path: Path) -> ZammadHarness:
    """The value of the per-test ``zammad`` fixture."""
    return ZammadHarness(session.base_config, tmp_path, session.url, session.fake)


class ZammadHarness(HostHarness):
    """Helpers over the fake Zammad for one test."""

    name = "zammad"

    def __init__(self, base_config_path: Path, tmp_path: Path, url: str, fake: FakeZammad):
        super().__init__(base_config_path, tmp_path, url)
        self.fake = fake

    @property
    def adapter(self):
        """The Zammad adapter of the register."""
        return self.register.host

    def _attribute(self, key: str) -> str:
        return self.adapter._attribute(key)["name"]

    def _group(self, kind: str) -> str:
        settings = self.adapter.settings
        return {"incident": INCIDENT_GROUP, "problem": settings["problem_group"], "project": settings["project_group"],
                "improvement": settings["group"]}[kind]

    # --- raw Zammad -----------------------------------------------------------------------------

    def raw(self, ticket_id: str) -> dict:
        """The ticket as Zammad's API returns it (``GET /tickets/ID``)."""
        return self.session.request("GET", f"tickets/{ticket_id}").json()

    def group_of(self, ticket_id: str) -> str:
        """Name of the ticket's group, read straight from Zammad."""
        group_id = self.raw(ticket_id)["group_id"]
        return next(g["name"] for g in self.session.request("GET", "groups").json() if g["id"] == group_id)

    # --- the harness API ------------------------------------------------------------------------

    def ticket(self, subject: str = "Printer queue stalls", kind: str = "incident",
               content: str = "Users cannot print after 5pm.", flagged: bool = False) -> str:
        """Create a source ticket of ``kind`` (incident, problem, project) directly in Zammad."""
        groups = {g["name"]: g["id"] for g in self.session.request("GET", "groups").json()}
        body = {"title": f"{subject} [{self.tag}]", "group_id": groups[self._group(kind)],
                "customer_id": self.session.request("GET", "users/me").json()["id"],
                "article": {"subject": subject, "body": content, "type": "note", "internal": False}}
        if flagged:
            body[self._attribute("candidate")] = self.register.config.section("candidate")["value"]
        return str(self.session.request("POST", "tickets", json=body).json()["id"])

    def field(self, ticket_id: str, key: str) -> list[str]:
        """Values of a register field's attribute, as an agent reads them (ids split)."""
        return self.values_of(key, self.raw(ticket_id).get(self._attribute(key)))

    def status(self, ticket_id: str) -> str:
        """Name of the ticket's state, read straight from Zammad."""
        state_id = self.raw(ticket_id)["state_id"]
        return next(s["name"] for s in self.session.request("GET", "ticket_states").json() if s["id"] == state_id)

    def _links(self, ticket_id: str) -> list[tuple[str, str]]:
        answer = self.session.request("GET", "links", params={"link_object": "Ticket", "link_object_value": ticket_id})
        return [(str(l["link_object_value"]), l["link_type"]) for l in answer.json()["links"]]

    def linked(self, ticket_id: str, kind: str) -> list[str]:
        """Targets of ``kind``, read straight from Zammad: links of the kind's type into the right
        group (sources: those also recorded in the source field; follow-ups: newer improvements)."""
        role = {"sources": "normal", "problems": "normal", "projects": "parent", "follow_ups": "normal",
                "depends_on": "child"}[kind]
        found = [other for other, link_type in self._links(ticket_id) if link_type == role]
        if kind == "sources":
            recorded = set(self.field(ticket_id, "source_tickets"))
            found = [t for t in found if t in recorded]
        else:
            group = {"problems": "problem", "projects": "project", "follow_ups": "improvement",
                     "depends_on": "improvement"}[kind]
            found = [t for t in found if self.group_of(t) == self._group(group)]
            if kind == "follow_ups":
                found = [t for t in found if int(t) > int(ticket_id)]
        return sorted(set(found), key=int)

    def comments(self, ticket_id: str) -> list[str]:
        """Body of every article of the ticket (its description and the notes)."""
        return [a["body"] for a in self.session.request("GET", f"ticket_articles/by_ticket/{ticket_id}").json()
                if a.get("body")]

    def add_dependency(self, ticket_id: str, on_id: str) -> None:
        """``ticket_id`` depends on ``on_id``: ``on_id`` is a child of ``ticket_id``."""
        number = self.raw(on_id)["number"]
        self.session.request("POST", "links/add", json={
            "link_type": "child", "link_object_source": "Ticket", "link_object_source_number": number,
            "link_object_target": "Ticket", "link_object_target_value": int(ticket_id)})

    def set_flag(self, ticket_id: str, value: str) -> None:
        """Set the candidate attribute, as an agent does in Zammad."""
        self.session.request("PUT", f"tickets/{ticket_id}", json={self._attribute("candidate"): value})
