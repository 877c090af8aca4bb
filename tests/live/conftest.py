"""Fixtures for the live hosts started by ``scripts/rt-host.sh`` and ``scripts/redmine-host.sh``,
for the fixture-backed Zammad of ``tests/fixture_hosts`` (the worked example of a third-party
host adapter, ``docs/examples/ci_host_zammad``, installed with pip and run against a fake), for
the fixture-backed Jira Cloud (``jira_fake.py``, its exchanges checked by ``openapi_check.py``), and
for the in-memory host (``ci_plugin.hosts.memory``, harness in ``tests/fixture_hosts``).

``host`` runs a test once per live host through a *harness* (``rt_harness.py``,
``redmine_harness.py``: one API), which is how the contract suite is written once for every
adapter. Each host's register is provisioned once per session (setup is idempotent); every test
makes its own tickets with a unique tag in their subjects, so tests never depend on each
other's data.

A test that puts something between ci-plugin and the host's HTTP API (the fault proxy of
``test_contract_faults.py``, fixture ``proxy``) or asks for ``http_host`` runs only against the
hosts reached over HTTP (:data:`HTTP_HOSTS`); the in-memory host covers the same behaviours with
its own fault injection (``tests/unit/test_memory_host.py``).
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import STATE, host_env

HOSTS = ("rt", "redmine", "zammad", "jira", "servicenow", "memory")
FIXTURE_HOSTS = ("zammad", "jira", "servicenow", "memory")  # fakes, not live hosts: their ids say so
HTTP_HOSTS = ("rt", "redmine", "zammad", "jira", "servicenow")  # reached over HTTP: a proxy can stand in front of them
HTTP_ONLY_FIXTURES = ("proxy", "http_host")


def pytest_generate_tests(metafunc):
    """Run each test that uses ``host`` once per host; only per HTTP host when it needs HTTP."""
    if "host" in metafunc.fixturenames:
        needs_http = any(name in metafunc.fixturenames for name in HTTP_ONLY_FIXTURES)
        metafunc.parametrize("host", HTTP_HOSTS if needs_http else HOSTS, indirect=True,
                             ids=lambda name: f"{name}-fixture" if name in FIXTURE_HOSTS else name)


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


@pytest.fixture(scope="session")
def servicenow_env(tmp_path_factory):
    """The fake ServiceNow (Table API) with the register provisioned."""
    from tests.fixture_hosts.servicenow_harness import servicenow_session

    with servicenow_session(tmp_path_factory) as session:
        yield session


@pytest.fixture(scope="session")
def jira_env(tmp_path_factory):
    """The fake Jira Cloud (every exchange checked against Atlassian's OpenAPI description), provisioned."""
    from tests.fixture_hosts.jira_harness import jira_session

    with jira_session(tmp_path_factory) as session:
        yield session


@pytest.fixture
def servicenow(servicenow_env, tmp_path):
    """The ServiceNow harness (fixture-backed), for ServiceNow-only tests."""
    from tests.fixture_hosts.servicenow_harness import servicenow_harness

    return servicenow_harness(servicenow_env, tmp_path)


@pytest.fixture
def jira(jira_env, tmp_path):
    """The Jira harness (fixture-backed); afterwards, every request and answer of the test must
    match the OpenAPI description."""
    from tests.fixture_hosts.jira_harness import jira_harness

    jira_env.checker.take()
    yield jira_harness(jira_env, tmp_path)
    problems = jira_env.checker.take()
    assert problems == [], "Jira exchanges outside the OpenAPI description:\n" + "\n".join(problems[:20])


@pytest.fixture(scope="session")
def memory_env(tmp_path_factory):
    """The in-memory host, kept in a file so that subprocesses reach it, with the register provisioned."""
    from tests.fixture_hosts.memory_harness import memory_session

    with memory_session(tmp_path_factory) as session:
        yield session


@pytest.fixture
def memory(memory_env, tmp_path):
    """The memory-host harness (fixture-backed), for memory-only tests."""
    from tests.fixture_hosts.memory_harness import memory_harness

    return memory_harness(memory_env, tmp_path)


@pytest.fixture
def host(request):
    """The contract suite's host: the test runs once against every host (live or fixture-backed),
    parametrized by :func:`pytest_generate_tests`."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def http_host(host):
    """The contract suite's host, for a test that needs the host's HTTP API: only :data:`HTTP_HOSTS`."""
    return host
