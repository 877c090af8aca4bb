"""Contract: ``stats`` reads the register's engagement figures from the host: improvements raised
this month, per source kind and queue/tracker, the converting agent, the conversion lead time,
and the time spent in ``new`` from the host's status history (RT transactions, Redmine
journals). Other tests create improvements on the same hosts at the same time: the figures are
checked as lower bounds that this test's own improvements must reach."""

import json
from datetime import datetime, timezone

import pytest

pytestmark = pytest.mark.live


def test_stats_counts_this_tests_improvements_and_reads_state_times(host, run_cli):
    config = ("--config", host.config_path)
    sources = [host.ticket("Password resets take a day"), host.ticket("VPN drops at noon")]
    made = []
    for source in sources:
        result = run_cli(*config, "convert", source, "--category", "process")
        assert result.code == 0, result.err
        made.append(result.out.strip())
    moved = run_cli(*config, "transition", made[0], "assessing")
    assert moved.code == 0, moved.err
    today = datetime.now(timezone.utc).date().isoformat()
    result = run_cli(*config, "stats", "--since", today, "--json")
    assert result.code == 0, result.err
    figures = json.loads(result.out)
    assert figures["since"] == today and figures["raised"] >= 2
    assert figures["raised_per_month"][today[:7]] >= 2
    assert figures["by_source_kind"]["incident"] >= 2
    queue = host.register.host.container_name(host.register.host.get_ticket(sources[0]))
    assert queue and figures["by_source_container"][queue] >= 2
    assert figures["top_converters"] and figures["conversion_lead_time"]["count"] >= 2
    assert figures["conversion_lead_time"]["median_hours"] >= 0
    if host.name == "zammad":  # the example adapter keeps no status history it can read
        assert figures["state_times"] is None and figures["closed_per_month"] is None
    else:
        assert figures["state_times"]["new"]["stays"] >= 1 and figures["reads"]["histories"] >= 1
        assert figures["state_times"]["new"]["median_hours"] >= 0
    text = run_cli(*config, "stats", "--since", today)
    assert text.code == 0 and "raised per month:" in text.out and today[:7] in text.out


def test_stats_refuses_a_bad_since_before_reading(host, run_cli):
    result = run_cli("--config", host.config_path, "stats", "--since", "2026-02-30", "--json")
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "--since" in result.err and "Traceback" not in result.err
