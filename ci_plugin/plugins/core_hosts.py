"""Core plugin that registers the host adapters shipped with ci-plugin."""

from __future__ import annotations

from ci_plugin.hookspecs import hookimpl


@hookimpl
def ci_register_hosts(add_host):
    """Register Request Tracker 5 (``rt``), Redmine 5 (``redmine``), Jira Cloud (``jira``), ServiceNow
    (``servicenow``) and the memory host."""
    from ci_plugin.hosts.jira.adapter import JiraAdapter
    from ci_plugin.hosts.memory import MemoryAdapter
    from ci_plugin.hosts.redmine.adapter import RedmineAdapter
    from ci_plugin.hosts.rt.adapter import RTAdapter
    from ci_plugin.hosts.servicenow.adapter import ServiceNowAdapter

    add_host(RTAdapter.name, RTAdapter)
    add_host(RedmineAdapter.name, RedmineAdapter)
    add_host(JiraAdapter.name, JiraAdapter)  # fixture-tested against tests/fixture_hosts/jira_fake.py
    add_host(ServiceNowAdapter.name, ServiceNowAdapter)  # fixture-tested against tests/fixture_hosts/servicenow_fake.py
    add_host(MemoryAdapter.name, MemoryAdapter)  # in-memory host, for tests


@hookimpl
def ci_register_config_sections(add_section):
    """Own ``[servicenow]``: validated against its schema, defaults filled in (see
    :mod:`ci_plugin.hosts.servicenow.settings`)."""
    from ci_plugin.hosts.servicenow.settings import SCHEMA, SECTION

    add_section(SECTION, SCHEMA)
