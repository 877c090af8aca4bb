"""Core plugin that registers the host adapters shipped with ci-plugin."""

from __future__ import annotations

from ci_plugin.hookspecs import hookimpl


@hookimpl
def ci_register_hosts(add_host):
    """Register Request Tracker 5 (``rt``), Redmine 5 (``redmine``) and Jira Cloud (``jira``)."""
    from ci_plugin.hosts.jira.adapter import JiraAdapter
    from ci_plugin.hosts.memory import MemoryAdapter
    from ci_plugin.hosts.redmine.adapter import RedmineAdapter
    from ci_plugin.hosts.rt.adapter import RTAdapter

    add_host(RTAdapter.name, RTAdapter)
    add_host(RedmineAdapter.name, RedmineAdapter)
    add_host(JiraAdapter.name, JiraAdapter)
    add_host(MemoryAdapter.name, MemoryAdapter)  # in-memory host, for tests
