"""Contract: link, show and register."""

import csv
import io
import json
import sys

import pytest

pytestmark = pytest.mark.live


def new_improvement(host, run_cli, subject="Reduce change failures"):
    result = run_cli("--config", host.config_path, "convert", host.ticket(subject), "--category", "service")
    assert result.code == 0, result.err
    return result.out.strip()


def test_link_records_problem_and_project_once(host, run_cli):
    imp = new_improvement(host, run_cli)
    problem = host.ticket("Known error: flaky deploy script", kind="problem")
    project = host.ticket("CI/CD platform", kind="project")
    result = run_cli("--config", host.config_path, "link", imp, "--problem", problem, "--project", project, "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["added"] == {"problems": [problem], "projects": [project]}
    assert record["links"]["problems"] == [problem] and record["links"]["projects"] == [project]
    assert host.linked(imp, "problems") == [problem] and host.linked(imp, "projects") == [project]
    assert any(f"Linked to problem #{problem}" in c for c in host.comments(imp))
    again = run_cli("--config", host.config_path, "link", imp, "--problem", problem)
    assert again.code == 0 and "links already in place" in again.out


def test_link_refuses_a_project_outside_the_project_records(host, run_cli):
    imp = new_improvement(host, run_cli)
    wrong = host.ticket("An incident, not a project")
    result = run_cli("--config", host.config_path, "link", imp, "--project", wrong)
    assert result.code == 4 and "is not a project record" in result.err
    assert host.linked(imp, "projects") == []


def test_link_needs_a_target(host, run_cli):
    result = run_cli("--config", host.config_path, "link", "1")
    assert result.code == 2 and "link needs --problem ID and/or --project ID" in result.err


def test_show_prints_the_record(host, run_cli):
    imp = new_improvement(host, run_cli, "Automate onboarding")
    human = run_cli("--config", host.config_path, "show", imp)
    assert human.code == 0
    assert human.out.startswith(f"#{imp}  Automate onboarding [{host.tag}]  [new]")
    assert "  category        service\n" in human.out  # labels are 16 wide: "source tickets #1" keeps its space
    as_json = json.loads(run_cli("--config", host.config_path, "show", imp, "--json").out)
    assert as_json["id"] == imp and as_json["state"] == "new"


def test_register_lists_every_page_in_every_format(host, run_cli, monkeypatch):
    ids = [new_improvement(host, run_cli, f"Register entry {n}") for n in range(3)]
    adapter_module = sys.modules[type(host.register.host).__module__]
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)  # force several pages on the live host
    before = host.register.host.session.counts["GET"]
    listed = [i.id for i in host.register.list(["new"])]
    assert set(ids) <= set(listed) and len(listed) == len(set(listed))
    assert host.register.host.session.counts["GET"] - before >= 2  # followed to the last page

    table = run_cli("--config", host.config_path, "register", "--state", "new")
    assert table.code == 0
    assert table.out.splitlines()[0].split() == ["ID", "RANK", "SCORE", "STATE", "CATEGORY", "TITLE"]
    assert all(any(line.startswith(i + " ") for line in table.out.splitlines()) for i in ids)
    rows = list(csv.DictReader(io.StringIO(run_cli("--config", host.config_path, "register", "--format", "csv").out)))
    assert {r["id"] for r in rows} >= set(ids) and all(r["state"] for r in rows)
    records = json.loads(run_cli("--config", host.config_path, "register", "--json", "--state", "new").out)
    assert {r["id"] for r in records} >= set(ids) and {r["state"] for r in records} == {"new"}
    closed = json.loads(run_cli("--config", host.config_path, "register", "--json", "--state", "closed").out)
    assert not set(ids) & {r["id"] for r in closed} and all(r["state"] == "closed" for r in closed)


def test_register_rejects_an_unknown_state(host, run_cli):
    result = run_cli("--config", host.config_path, "register", "--state", "done")
    assert result.code == 2 and "unknown state 'done'" in result.err
