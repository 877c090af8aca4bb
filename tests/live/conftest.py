"""Fixtures for the live hosts started by ``scripts/rt-host.sh`` and ``scripts/redmine-host.sh``,
and for the fixture-backed Zammad of ``tests/fixture_hosts`` (the worked example of a third-party
host adapter, ``docs/examples/ci_host_zammad``, installed with pip and run against a fake).

``host`` runs a test once per live host through a *harness* (``rt_harness.py``,
``redmine_harness.py``: one API), which is how the contract suite is written once for every
adapter. Each host's register is provisioned once per session (setup is idempotent); every test
makes its own tickets with a unique tag in their subjects, so tests never depend on each
other's data.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import STATE, host_env

HOSTS = ("rt", "redmine", "zammad")
FIXTURE_HOSTS = ("zammad",)  # fakes, not live hosts: their ids say so


@pytest.fixture(scope="session")
def rt_env():
    """URL and token of the live RT (exported for the configs' token_env)."""
    values = host_env("rt", ("CI_PLUGIN_RT_URL", "CI_PLUGIN_RT_TOKEN"), STATE / "rt" / "env")
    os.environ["CI_PLUGIN_RT_TOKEN"] = values["CI_PLUGIN_RT_TOKEN"]
    return values


@pytest.fixture(scope="session")
def redmine_env():
    """URL and API key of the live Redmine (exported for the configs' token_env)."""
    values = host_env("redmine", ("CI_PLUGIN_REDMINE_URL", "CI_PLUGIN_REDMINE_KEY"), STATE / "redmine" / "env")
    os.environ["CI_PLUGIN_REDMINE_KEY"] = values["CI_PLUGIN_REDMINE_KEY"]
    return values


@pytest.fixture(scope="session")
def rt_base_config(rt_env, tmp_path_factory):
    from tests.live.rt_harness import rt_provisioned

    return rt_provisioned(rt_env, tmp_path_factory)


@pytest.fixture(scope="session")
def redmine_base_config(redmine_env, tmp_path_factory):
    from tests.live.redmine_harness import redmine_provisioned

    return redmine_provisioned(redmine_env, tmp_path_factory)


@pytest.fixture
def rt(rt_base_config, rt_env, tmp_path):
    """The RT harness, for RT-only tests."""
    from tests.live.rt_harness import RTHarness

    return RTHarness(rt_base_config, tmp_path, rt_env["CI_PLUGIN_RT_URL"])


@pytest.fixture
def redmine(redmine_base_config, redmine_env, tmp_path):
    """The Redmine harness, for Redmine-only tests."""
    from tests.live.redmine_harness import RedmineHarness

    return RedmineHarness(redmine_base_config, tmp_path, redmine_env["CI_PLUGIN_REDMINE_URL"])


@pytest.fixture(scope="session")
def zammad_env(tmp_path_factory):
    """The fake Zammad with the example adapter installed and the register provisioned."""
    from tests.fixture_hosts.zammad_harness import zammad_session

    with zammad_session(tmp_path_factory) as session:
        yield session


@pytest.fixture
def zammad(zammad_env, tmp_path):
    """The Zammad harness (fixture-backed), for Zammad-only tests."""
    from tests.fixture_hosts.zammad_harness import zammad_harness

    return zammad_harness(zammad_env, tmp_path)


@pytest.fixture(params=HOSTS, ids=lambda name: f"{name}-fixture" if name in FIXTURE_HOSTS else name)
def host(request):
    """The contract suite's host: the test runs once against every host (live or fixture-backed)."""
    return request.getfixturevalue(request.param)
