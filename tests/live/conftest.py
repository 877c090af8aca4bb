"""Fixtures for the live Request Tracker started by ``scripts/rt-host.sh``.

The register is provisioned once per session (setup is idempotent, so this also works against
an RT that earlier runs used). Every test makes its own source tickets with unique subjects, so
tests never depend on each other's data.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from ci_plugin import config as config_module
from ci_plugin.provisioning import setup
from ci_plugin.register import ImprovementRegister
from tests.conftest import STATE, host_env

pytestmark = pytest.mark.live


def rt_toml(url: str, extra: str = "") -> str:
    """A configuration for the live RT; the token comes from CI_PLUGIN_RT_TOKEN."""
    return f'[host]\ntype = "rt"\nurl = "{url}"\ntoken_env = "CI_PLUGIN_RT_TOKEN"\nretries = 1\n{extra}'


@pytest.fixture(scope="session")
def rt_env():
    """URL and token of the live RT."""
    values = host_env("rt", ("CI_PLUGIN_RT_URL", "CI_PLUGIN_RT_TOKEN"), STATE / "rt" / "env")
    os.environ["CI_PLUGIN_RT_TOKEN"] = values["CI_PLUGIN_RT_TOKEN"]
    return values


@pytest.fixture(scope="session")
def rt_provisioned(rt_env, tmp_path_factory):
    """Path of a config file for the live RT, whose register setup has completed."""
    path = tmp_path_factory.mktemp("rt") / "ci-plugin.toml"
    path.write_text(rt_toml(rt_env["CI_PLUGIN_RT_URL"]))
    report = setup(ImprovementRegister(config_module.load(path)))
    assert report.complete, f"setup of the live RT is incomplete: {report.failing}"
    return path


class LiveRT:
    """Helpers over the live RT: a config file per test, source tickets, raw reads."""

    def __init__(self, config_path: Path, tmp_path: Path, url: str):
        self.base_config = config_path
        self.tmp_path = tmp_path
        self.url = url
        self.config_path = tmp_path / "ci-plugin.toml"
        self.config_path.write_text(config_path.read_text())
        self._register = None
        self.tag = uuid.uuid4().hex[:8]

    def configure(self, extra: str) -> Path:
        """Rewrite this test's config with extra TOML appended."""
        self.config_path.write_text(self.base_config.read_text() + "\n" + extra)
        self._register = None
        return self.config_path

    @property
    def register(self) -> ImprovementRegister:
        """A register built from this test's config (rebuilt after configure())."""
        if self._register is None:
            self._register = ImprovementRegister(config_module.load(self.config_path))
        return self._register

    @property
    def session(self):
        return self.register.host.session

    def ticket(self, subject: str = "Printer queue stalls", queue: str = "General",
               content: str = "Users cannot print after 5pm.", **custom_fields: str) -> str:
        """Create a ticket directly in RT; returns its id."""
        body = {"Queue": queue, "Subject": f"{subject} [{self.tag}]", "Content": content, "ContentType": "text/plain"}
        if custom_fields:
            body["CustomFields"] = custom_fields
        return str(self.session.request("POST", "ticket", json=body).json()["id"])

    def raw(self, ticket_id: str) -> dict:
        """The ticket as RT's REST2 returns it."""
        return self.session.request("GET", f"ticket/{ticket_id}").json()

    def cf(self, ticket_id: str, name: str) -> list[str]:
        """Values of a custom field on a ticket, read straight from RT."""
        for cf in self.raw(ticket_id).get("CustomFields", []):
            if cf["name"] == name:
                return cf["values"]
        return []

    def links(self, ticket_id: str, ref: str) -> list[str]:
        """Ids of tickets linked with ``ref`` (refers-to, parent, depends-on, ...)."""
        return [str(l["id"]) for l in self.raw(ticket_id).get("_hyperlinks", [])
                if l.get("ref") == ref and l.get("type") == "ticket"]

    def comments(self, ticket_id: str) -> list[str]:
        """Text of the comments on a ticket."""
        texts = []
        answer = self.session.request("GET", f"ticket/{ticket_id}/attachments",
                                      params={"fields": "Content,ContentType,TransactionId", "per_page": 100}).json()
        for item in answer.get("items", []):
            if str(item.get("ContentType", "")).startswith("text/plain") and item.get("Content"):
                texts.append(item["Content"])
        return texts

    def improvements_for(self, source_id: str) -> list[str]:
        """Improvement ids recording ``source_id`` as a source, searched in RT."""
        return self.register.host.improvements_from_source(source_id)


@pytest.fixture
def rt(rt_provisioned, rt_env, tmp_path):
    """A :class:`LiveRT` with a fresh config file for this test."""
    return LiveRT(rt_provisioned, tmp_path, rt_env["CI_PLUGIN_RT_URL"])
