"""Shared fixtures: the CLI in-process, and the live hosts started by scripts/*-host.sh.

Live hosts are found through ``CI_PLUGIN_RT_URL``/``CI_PLUGIN_RT_TOKEN`` (and the Redmine
equivalents), or the env files the host scripts write. Without a host, live tests skip, unless
``CI_PLUGIN_REQUIRE_LIVE=1`` (set by scripts/test.sh and so by CI): then a missing host fails
the test, and any skipped test fails the whole run.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import tests.checkout  # noqa: F401 (first: ci_plugin.hooks and ci_plugin.schemas from this checkout)
from ci_plugin import cli

REQUIRE_LIVE = os.environ.get("CI_PLUGIN_REQUIRE_LIVE") == "1"
# Never the user's metadata cache, even for session fixtures (each test then gets its own below).
os.environ["CI_PLUGIN_CACHE_DIR"] = tempfile.mkdtemp(prefix="ci-plugin-test-cache-")
STATE = Path("/var/lib/ci-plugin-test")


@dataclass
class Run:
    """Outcome of one CLI run."""

    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def metadata_cache_dir(tmp_path_factory, monkeypatch):
    """Every test gets its own, empty on-disk metadata cache (never the user's): the directory
    is returned so a test can look at or tamper with what was cached."""
    directory = tmp_path_factory.mktemp("metadata-cache")
    monkeypatch.setenv("CI_PLUGIN_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run ``ci-plugin ARGS`` in-process; returns :class:`Run`."""
    monkeypatch.setenv("CI_PLUGIN_DISABLE_EXTERNAL", "1")

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def host_env(prefix: str, keys: tuple[str, str], env_file: Path) -> dict[str, str]:
    """The URL/secret of a live host from the environment or its env file; skip/fail without."""
    values = {k: os.environ.get(k, "") for k in keys}
    if not all(values.values()) and env_file.exists():
        for line in env_file.read_text().splitlines():
            parts = shlex.split(line.removeprefix("export "))
            if parts and "=" in parts[0]:
                key, _, value = parts[0].partition("=")
                if key in keys and not values[key]:
                    values[key] = value
    if not all(values.values()):
        message = f"live {prefix} not available: start it with scripts/{prefix}-host.sh up"
        if REQUIRE_LIVE:
            pytest.fail(message)
        pytest.skip(message)
    return values


def pytest_sessionfinish(session, exitstatus):
    """With live tests required, a skipped test is a failure of the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_LIVE and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        reporter.write_line(f"FAILED: {len(reporter.stats['skipped'])} test(s) skipped while live tests are required")
        session.exitstatus = 1
