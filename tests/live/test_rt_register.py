"""link, show and register on the live RT."""

import csv
import io
import json

import pytest

from ci_plugin.hosts.rt import adapter as rt_adapter

pytestmark = pytest.mark.live


def new_improvement(rt, run_cli, subject="Reduce change failures"):
    result = run_cli("--config", rt.config_path, "convert", rt.ticket(subject), "--category", "service")
    assert result.code == 0, result.err
    return result.out.strip()


def test_link_records_problem_and_project_once(rt, run_cli):
    imp = new_improvement(rt, run_cli)
    problem = rt.ticket("Known error: flaky deploy script", queue="Problems")
    project = rt.ticket("CI/CD platform", queue="Projects")
    result = run_cli("--config", rt.config_path, "link", imp, "--problem", problem, "--project", project, "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["added"] == {"problems": [problem], "projects": [project]}
    assert record["links"]["problems"] == [problem] and record["links"]["projects"] == [project]
    assert problem in rt.links(imp, "refers-to") and rt.links(imp, "parent") == [project]
    assert any(f"Linked to problem #{problem}" in c for c in rt.comments(imp))

    again = run_cli("--config", rt.config_path, "link", imp, "--problem", problem)
    assert again.code == 0 and "links already in place" in again.out


def test_link_refuses_a_project_outside_the_project_queue(rt, run_cli):
    imp = new_improvement(rt, run_cli)
    wrong = rt.ticket("An incident, not a project")
    result = run_cli("--config", rt.config_path, "link", imp, "--project", wrong)
    assert result.code == 4 and "is not a project record" in result.err
    assert rt.links(imp, "parent") == []


def test_link_needs_a_target(rt, run_cli):
    result = run_cli("--config", rt.config_path, "link", "1")
    assert result.code == 2 and "link needs --problem ID and/or --project ID" in result.err


def test_show_prints_the_record(rt, run_cli):
    imp = new_improvement(rt, run_cli, "Automate onboarding")
    human = run_cli("--config", rt.config_path, "show", imp)
    assert human.code == 0
    assert human.out.startswith(f"#{imp}  Automate onboarding [{rt.tag}]  [new]")
    assert "category      service" in human.out
    as_json = json.loads(run_cli("--config", rt.config_path, "show", imp, "--json").out)
    assert as_json["id"] == imp and as_json["state"] == "new"


def test_register_lists_every_page_in_every_format(rt, run_cli, monkeypatch):
    ids = [new_improvement(rt, run_cli, f"Register entry {n}") for n in range(3)]
    monkeypatch.setattr(rt_adapter, "PAGE_SIZE", 2)  # force several pages on the live host
    calls_before = rt.register.host.session.counts["GET"]
    listed = [i.id for i in rt.register.list(["new"])]
    assert set(ids) <= set(listed)
    assert len(listed) == len(set(listed))
    assert rt.register.host.session.counts["GET"] - calls_before >= 2  # followed to the last page

    table = run_cli("--config", rt.config_path, "register", "--state", "new")
    assert table.code == 0 and table.out.splitlines()[0].split() == ["ID", "RANK", "SCORE", "STATE", "CATEGORY", "TITLE"]
    assert all(any(line.startswith(i + " ") for line in table.out.splitlines()) for i in ids)

    rows = list(csv.DictReader(io.StringIO(run_cli("--config", rt.config_path, "register", "--format", "csv").out)))
    assert {r["id"] for r in rows} >= set(ids)
    assert all(r["state"] for r in rows)

    records = json.loads(run_cli("--config", rt.config_path, "register", "--json", "--state", "new").out)
    assert {r["id"] for r in records} >= set(ids) and {r["state"] for r in records} == {"new"}
    closed = json.loads(run_cli("--config", rt.config_path, "register", "--json", "--state", "closed").out)
    assert not set(ids) & {r["id"] for r in closed}
    assert all(r["state"] == "closed" for r in closed)

def test_register_rejects_an_unknown_state(rt, run_cli):
    result = run_cli("--config", rt.config_path, "register", "--state", "done")
    assert result.code == 2 and "unknown state 'done'" in result.err
