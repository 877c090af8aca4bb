"""Converting tickets into improvements on the live RT: CLI, several at once, the in-host flag."""

import json

import pytest

from ci_plugin.convert import sync, watch

pytestmark = pytest.mark.live


def convert_json(run_cli, rt, *args):
    result = run_cli("--config", rt.config_path, "convert", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_convert_creates_one_improvement_with_source_field_link_and_comment(rt, run_cli):
    source = rt.ticket("Password resets flood the desk", content="40 calls a day ask for a reset.")
    record = convert_json(run_cli, rt, source, "--category", "process")
    imp = record["id"]
    assert record["created"] is True
    assert record["title"] == f"Password resets flood the desk [{rt.tag}]"
    assert record["state"] == "new"
    assert record["category"] == "process" and record["source"] == "incident"
    assert record["source_tickets"] == [source]
    assert record["links"]["sources"] == [source]
    assert record["url"].endswith(f"/Ticket/Display.html?id={imp}")
    assert "40 calls a day ask for a reset." in record["description"]

    # What an agent sees in RT is the truth: queue, custom fields, link, comment on the source.
    raw = rt.raw(imp)
    assert str(raw["Queue"]["id"]) == str(rt.register.host.queue("Improvements")["id"])
    assert rt.cf(imp, "CI Source Ticket") == [source]
    assert rt.cf(imp, "CI Category") == ["process"]
    assert rt.links(imp, "refers-to") == [source]
    assert any(f"Converted into improvement #{imp}" in c for c in rt.comments(source))


def test_converting_the_same_ticket_again_returns_the_same_improvement(rt, run_cli):
    source = rt.ticket("Slow laptop provisioning")
    first = run_cli("--config", rt.config_path, "convert", source)
    assert first.code == 0 and first.out.strip().isdigit()
    second = convert_json(run_cli, rt, source)
    assert second["id"] == first.out.strip() and second["created"] is False
    assert rt.improvements_for(source) == [second["id"]]
    assert sum("Converted into improvement" in c for c in rt.comments(source)) == 1


def test_several_tickets_become_one_improvement_linked_to_all(rt, run_cli):
    a, b, c = rt.ticket("Wifi drops A"), rt.ticket("Wifi drops B"), rt.ticket("Wifi drops C")
    record = convert_json(run_cli, rt, a, b, c, "--title", "Stabilise office wifi")
    assert record["title"] == "Stabilise office wifi"
    assert record["source_tickets"] == sorted([a, b, c], key=int)
    assert sorted(rt.links(record["id"], "refers-to"), key=int) == sorted([a, b, c], key=int)
    for ticket in (a, b, c):
        assert rt.improvements_for(ticket) == [record["id"]]
    # Converting one of them again, alone, finds the same improvement.
    assert convert_json(run_cli, rt, b)["id"] == record["id"]


def test_into_adds_new_sources_to_an_existing_improvement(rt, run_cli):
    first, later = rt.ticket("Backup job fails"), rt.ticket("Backup job fails again")
    imp = convert_json(run_cli, rt, first)["id"]
    record = convert_json(run_cli, rt, later, "--into", imp)
    assert record["id"] == imp and record["created"] is False
    assert record["source_tickets"] == sorted([first, later], key=int)
    assert any(f"Added as a source of improvement #{imp}" in c for c in rt.comments(later))


def test_into_refuses_a_ticket_already_converted_elsewhere(rt, run_cli):
    one, two = rt.ticket("Mail delay"), rt.ticket("Calendar sync")
    imp_one = convert_json(run_cli, rt, one)["id"]
    imp_two = convert_json(run_cli, rt, two)["id"]
    result = run_cli("--config", rt.config_path, "convert", one, "--into", imp_two)
    assert result.code == 2
    assert f"already converted into improvement {imp_one}" in result.err
    assert rt.cf(imp_two, "CI Source Ticket") == [two]


def test_convert_with_problem_and_project_links(rt, run_cli):
    problem = rt.ticket("Root cause: DHCP lease exhaustion", queue="Problems")
    project = rt.ticket("Network refresh 2027", queue="Projects")
    source = rt.ticket("No IP address on floor 3")
    record = convert_json(run_cli, rt, source, "--problem", problem, "--project", project)
    assert record["links"]["problems"] == [problem]
    assert record["links"]["projects"] == [project]
    assert rt.links(record["id"], "parent") == [project]
    assert sorted(rt.links(record["id"], "refers-to"), key=int) == sorted([source, problem], key=int)


def test_a_problem_record_converts_with_source_problem(rt, run_cli):
    problem = rt.ticket("Recurring certificate expiry", queue="Problems")
    assert convert_json(run_cli, rt, problem)["source"] == "problem"


def test_sync_converts_flagged_tickets_once_and_clears_the_flag(rt, run_cli):
    flagged = rt.ticket("Agents flagged this", **{"Improvement candidate": "yes"})
    other = rt.ticket("Not flagged")
    result = run_cli("--config", rt.config_path, "sync", "--json")
    assert result.code == 0, result.err
    converted = {c["ticket"]: c for c in json.loads(result.out)["converted"]}
    assert flagged in converted and other not in converted
    imp = converted[flagged]["improvement"]
    assert rt.cf(flagged, "Improvement candidate") == ["converted"]
    assert rt.improvements_for(flagged) == [imp]
    assert rt.improvements_for(other) == []

    again = run_cli("--config", rt.config_path, "sync", "--json")
    assert flagged not in {c["ticket"] for c in json.loads(again.out)["converted"]}
    # An agent flags it again: sync finds the existing improvement and creates nothing.
    rt.register.host.update_fields(flagged, {"candidate": "yes"})
    third = sync(rt.register)
    assert (flagged, imp, False) in third.converted
    assert rt.improvements_for(flagged) == [imp]


def test_watch_runs_passes_until_told_to_stop(rt):
    flagged = rt.ticket("Watched ticket", **{"Improvement candidate": "yes"})
    reports = []
    passes = watch(rt.register, interval=1, passes=2, on_report=reports.append, sleep=lambda s: None)
    assert passes == 2 and len(reports) == 2
    assert any(t == flagged for t, _, _ in reports[0].converted)
    assert all(t != flagged for t, _, _ in reports[1].converted)
    assert len(rt.improvements_for(flagged)) == 1
