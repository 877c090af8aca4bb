"""Contract: converting tickets into improvements, from the CLI and from the in-host flag."""

import json

import pytest

from ci_plugin.ops.sync import sync, watch

pytestmark = pytest.mark.live


def convert_json(run_cli, host, *args):
    result = run_cli("--config", host.config_path, "convert", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_convert_creates_one_improvement_with_source_field_link_and_comment(host, run_cli):
    source = host.ticket("Password resets flood the desk", content="40 calls a day ask for a reset.")
    record = convert_json(run_cli, host, source, "--category", "process")
    imp = record["id"]
    assert record["created"] is True
    assert record["title"] == f"Password resets flood the desk [{host.tag}]"
    assert (record["state"], record["category"], record["source"]) == ("new", "process", "incident")
    assert record["source_tickets"] == [source] and record["links"]["sources"] == [source]
    assert record["url"] == host.register.host.ticket_url(imp)
    assert "40 calls a day ask for a reset." in record["description"]
    # What an agent sees in the host is the truth.
    assert host.register.host.in_register(host.register.host.get_ticket(imp))
    assert host.field(imp, "source_tickets") == [source]
    assert host.field(imp, "category") == ["process"]
    assert host.linked(imp, "sources") == [source]
    assert any(f"Converted into improvement #{imp}" in c for c in host.comments(source))


def test_converting_the_same_ticket_again_returns_the_same_improvement(host, run_cli):
    source = host.ticket("Slow laptop provisioning")
    first = run_cli("--config", host.config_path, "convert", source)
    assert first.code == 0 and first.out.strip().isdigit()
    second = convert_json(run_cli, host, source)
    assert second["id"] == first.out.strip() and second["created"] is False
    assert host.improvements_for(source) == [second["id"]]
    assert sum("Converted into improvement" in c for c in host.comments(source)) == 1


def test_several_tickets_become_one_improvement_linked_to_all(host, run_cli):
    tickets = [host.ticket(f"Wifi drops {n}") for n in "ABC"]
    record = convert_json(run_cli, host, *tickets, "--title", "Stabilise office wifi")
    assert record["title"] == "Stabilise office wifi"
    assert record["source_tickets"] == sorted(tickets, key=int)
    assert host.linked(record["id"], "sources") == sorted(tickets, key=int)
    for ticket in tickets:
        assert host.improvements_for(ticket) == [record["id"]]
    assert convert_json(run_cli, host, tickets[1])["id"] == record["id"]


def test_into_adds_new_sources_to_an_existing_improvement(host, run_cli):
    first, later = host.ticket("Backup job fails"), host.ticket("Backup job fails again")
    imp = convert_json(run_cli, host, first)["id"]
    record = convert_json(run_cli, host, later, "--into", imp)
    assert record["id"] == imp and record["created"] is False
    assert record["source_tickets"] == sorted([first, later], key=int)
    assert host.linked(imp, "sources") == sorted([first, later], key=int)
    assert any(f"Added as a source of improvement #{imp}" in c for c in host.comments(later))


def test_into_refuses_a_ticket_already_converted_elsewhere(host, run_cli):
    one, two = host.ticket("Mail delay"), host.ticket("Calendar sync")
    imp_one = convert_json(run_cli, host, one)["id"]
    imp_two = convert_json(run_cli, host, two)["id"]
    result = run_cli("--config", host.config_path, "convert", one, "--into", imp_two)
    assert result.code == 2 and f"already converted into improvement {imp_one}" in result.err
    assert host.field(imp_two, "source_tickets") == [two]


def test_convert_with_problem_and_project_links(host, run_cli):
    problem = host.ticket("Root cause: DHCP lease exhaustion", kind="problem")
    project = host.ticket("Network refresh 2027", kind="project")
    source = host.ticket("No IP address on floor 3")
    record = convert_json(run_cli, host, source, "--problem", problem, "--project", project)
    assert record["links"]["problems"] == [problem] and record["links"]["projects"] == [project]
    assert problem in host.linked(record["id"], "problems")
    assert host.linked(record["id"], "projects") == [project]


def test_a_problem_record_converts_with_source_problem(host, run_cli):
    assert convert_json(run_cli, host, host.ticket("Recurring certificate expiry", kind="problem"))["source"] == "problem"


def test_sync_converts_flagged_tickets_once_and_clears_the_flag(host, run_cli):
    flagged = host.ticket("Agents flagged this", flagged=True)
    other = host.ticket("Not flagged")
    result = run_cli("--config", host.config_path, "sync", "--json")
    assert result.code == 0, result.err
    converted = {c["ticket"]: c for c in json.loads(result.out)["converted"]}
    assert flagged in converted and other not in converted
    imp = converted[flagged]["improvement"]
    assert host.field(flagged, "candidate") == ["converted"]
    assert host.improvements_for(flagged) == [imp] and host.improvements_for(other) == []

    again = run_cli("--config", host.config_path, "sync", "--json")
    assert flagged not in {c["ticket"] for c in json.loads(again.out)["converted"]}
    host.set_flag(flagged, "yes")  # an agent flags it again: the same improvement, nothing created
    assert (flagged, imp, False) in sync(host.register).converted
    assert host.improvements_for(flagged) == [imp]


def test_watch_runs_passes_until_told_to_stop(host):
    flagged = host.ticket("Watched ticket", flagged=True)
    reports = []
    passes = watch(host.register, interval=1, passes=2, on_report=reports.append, sleep=lambda s: None)
    assert passes == 2 and len(reports) == 2
    assert any(t == flagged for t, _, _ in reports[0].converted)
    assert all(t != flagged for t, _, _ in reports[1].converted)
    assert len(host.improvements_for(flagged)) == 1
