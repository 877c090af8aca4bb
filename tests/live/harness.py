"""What every live-test harness shares: the test's own config, its register, a unique tag.

A harness (``rt_harness.RTHarness``, ``redmine_harness.RedmineHarness``, or one a plugin author
writes for another host) adds the host-specific half: make source records (``ticket``), and
read raw host values (``raw``, ``field``, ``status``, ``linked``, ``comments``) so that the
contract tests check what an agent would see in the host, not what ci-plugin believes.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from ci_plugin import config as config_module
from ci_plugin.domain import fields as register_fields
from ci_plugin.app import open_register
from ci_plugin.register import ImprovementRegister


class HostHarness:
    """Helpers over one live host for one test."""

    name = ""

    def __init__(self, base_config_path: Path, tmp_path: Path, url: str):
        self.base_config = base_config_path
        self.url = url
        self.tmp_path = tmp_path
        self.config_path = tmp_path / "ci-plugin.toml"
        self.config_path.write_text(base_config_path.read_text())
        self.tag = uuid.uuid4().hex[:8]  # in every subject this test makes: tests never share data
        self._register: ImprovementRegister | None = None

    def configure(self, extra_toml: str) -> Path:
        """This test's config: the base one plus ``extra_toml``."""
        self.config_path.write_text(self.base_config.read_text() + "\n" + extra_toml)
        self._register = None
        return self.config_path

    @property
    def register(self) -> ImprovementRegister:
        """The register of this test's config (rebuilt after ``configure``)."""
        if self._register is None:
            self._register = open_register(self.config_path)
        return self._register

    @property
    def session(self):
        """The adapter's HTTP session (for raw reads and writes)."""
        return self.register.host.session

    @staticmethod
    def values_of(key: str, raw) -> list[str]:
        """A raw host value of register field ``key`` as the list of values an agent reads:
        empty for unset, one id per item for an id list kept as ``,11,12,``. Split here rather
        than with the adapters' own decoding, so the tests do not trust the code they test."""
        if isinstance(raw, list):
            return [str(v) for v in raw if str(v) != ""]
        if raw in (None, ""):
            return []
        if register_fields.BY_KEY[key].kind == "ids":
            return [part for part in str(raw).split(",") if part]
        return [str(raw)]

    def _cf_name(self, key: str) -> str:
        return self.register.config.section("fields")[key]

    def improvements_for(self, source_id: str) -> list[str]:
        """Improvements recording ``source_id`` as a source (the adapter's idempotency query)."""
        return self.register.host.improvements_from_source(source_id)
