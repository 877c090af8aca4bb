"""Contract: ``plan`` creates the project and change records of an improvement, and ``show`` /
``register --progress`` report delivery progress (issue 9, points 2 and 3).

Runs against every host of the suite. The Zammad example implements no delivery records: there
``plan`` is refused with a message that says so, and no progress is reported. An answer lost in
transit is injected by the fault proxy on the HTTP hosts and by the store's fault injection on
the memory host.
"""

from __future__ import annotations

import json

import pytest

from tests.live.fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.live

#: Hosts whose adapter creates delivery records (the Zammad example refuses).
PLANS = ("rt", "redmine", "servicenow", "memory", "jira")
REFUSAL = "cannot create project or change records"


def ok(run_cli, host, *args, config=None):
    result = run_cli("--config", config or host.config_path, *args)
    assert result.code == 0, result.err
    return result


def approved(host, run_cli, subject="Cut onboarding time", target_date="2027-03-31"):
    """A new improvement, moved to ``approved``, with a target date."""
    imp = ok(run_cli, host, "convert", host.ticket(subject), "--category", "process").out.strip()
    for state in ("assessing", "approved"):
        ok(run_cli, host, "transition", imp, state)
    if target_date:
        host.register.write_values(imp, {"target_date": target_date})
    return imp


def containers(host):
    """Where project and change records live on this host (queue or tracker names)."""
    settings = host.register.config.section(host.name)
    if host.name == "redmine":
        return settings["project_tracker"], settings["change_tracker"]
    if host.name == "rt":
        return settings["project_queue"], settings["change_queue"]
    if host.name == "servicenow":
        return settings["project_table"], settings["change_table"]
    if host.name == "jira":
        return host.adapter.settings["project_type"], host.adapter.settings["change_type"]
    return "Projects", "Changes"


def test_plan_refuses_an_improvement_in_new_and_writes_nothing(host, run_cli):
    source = host.ticket("Retire the fax gateway")
    imp = ok(run_cli, host, "convert", source, "--category", "technology").out.strip()
    before = host.comments(imp)
    result = run_cli("--config", host.config_path, "plan", imp, "--create-change")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert f"improvement {imp} is 'new'" in result.err and "--force" in result.err
    assert host.comments(imp) == before
    if host.name in PLANS:  # no record was made: the test's tag is only on the source and the improvement
        assert host.linked(imp, "changes") == [] and set(host.titled(host.tag)) <= {source, imp}
    else:  # the Zammad example has no change records at all
        assert host.linked(imp, "projects") == []


def test_plan_needs_a_kind(host, run_cli):
    result = run_cli("--config", host.config_path, "plan", "1")
    assert result.code == 2 and "plan needs --create-project or --create-change" in result.err


def test_plan_creates_project_and_change_records_linked_both_ways_once(host, run_cli):
    imp = approved(host, run_cli)
    project = run_cli("--config", host.config_path, "plan", imp, "--create-project", "--json")
    if host.name not in PLANS:
        assert project.code == 2 and REFUSAL in project.err and len(project.err.strip().splitlines()) == 1
        assert host.linked(imp, "projects") == [] and not any("Planned" in c for c in host.comments(imp))
        return
    assert project.code == 0, project.err
    made = json.loads(project.out)
    assert made["created"] is True and made["kind"] == "project" and made["improvement"] == imp
    project_id = made["id"]
    assert host.linked(imp, "projects") == [project_id]
    record = host.record(project_id)
    assert record["container"] == containers(host)[0]
    assert record["title"] == f"Cut onboarding time [{host.tag}]" and record["due"] == "2027-03-31"
    assert host.register.host.get_ticket(project_id, links=True).links.get("improvements") == [imp]  # seen from the record
    assert any(f"Planned: project record #{project_id} created and linked" in c for c in host.comments(imp))

    again = ok(run_cli, host, "plan", imp, "--create-project")
    assert again.out.strip() == project_id and "already linked" in again.err
    assert host.linked(imp, "projects") == [project_id]

    change = ok(run_cli, host, "plan", imp, "--create-change", "--title", f"Change: new onboarding flow {host.tag}")
    change_id = change.out.strip()
    assert change_id != project_id and host.linked(imp, "changes") == [change_id]
    assert host.record(change_id)["container"] == containers(host)[1]
    assert host.record(change_id)["title"] == f"Change: new onboarding flow {host.tag}"
    shown = json.loads(ok(run_cli, host, "show", imp, "--json").out)
    assert shown["links"]["projects"] == [project_id] and shown["links"]["changes"] == [change_id]
    assert ok(run_cli, host, "plan", imp, "--create-change").out.strip() == change_id
    assert host.titled(f"Change: new onboarding flow {host.tag}") == [change_id]


def test_plan_with_force_before_approval(host, run_cli):
    imp = ok(run_cli, host, "convert", host.ticket("Self-service password reset"), "--category", "service").out.strip()
    result = run_cli("--config", host.config_path, "plan", imp, "--create-change", "--force")
    if host.name not in PLANS:
        assert result.code == 2 and REFUSAL in result.err
        return
    assert result.code == 0, result.err
    assert host.linked(imp, "changes") == [result.out.strip()]


def test_progress_is_the_share_of_delivery_records_and_children_done(host, run_cli):
    imp = approved(host, run_cli, "Automate laptop provisioning")
    if host.name not in PLANS:
        record = json.loads(ok(run_cli, host, "show", imp, "--json").out)
        assert "progress" not in record
        return
    project = ok(run_cli, host, "plan", imp, "--create-project").out.strip()
    change = ok(run_cli, host, "plan", imp, "--create-change").out.strip()
    tasks = [host.child(project, "Image the laptops"), host.child(project, "Ship the laptops"),
             host.child(change, "Approve the change")]
    other = approved(host, run_cli, "Laptop refresh policy", target_date="")
    ok(run_cli, host, "link", other, "--project", project)  # another improvement of the same project

    def progress(improvement):
        return json.loads(ok(run_cli, host, "show", improvement, "--json").out).get("progress")

    assert progress(imp) == 0  # project, change and three tasks: none done; neither improvement counts
    host.resolve(tasks[0])
    host.resolve(tasks[2])
    assert progress(imp) == 40
    host.resolve(tasks[1])
    assert progress(imp) == 60
    assert progress(other) == 66  # the project and its two tasks
    assert "  progress        60% of the delivery items done\n" in ok(run_cli, host, "show", imp).out + "\n"

    listed = {r["id"]: r for r in json.loads(ok(run_cli, host, "register", "--json", "--progress").out)}
    assert listed[imp]["progress"] == 60 and listed[other]["progress"] == 66
    plain = {r["id"]: r for r in json.loads(ok(run_cli, host, "register", "--json").out)}
    assert "progress" not in plain[imp]  # only when asked
    table = ok(run_cli, host, "register", "--progress").out
    assert table.splitlines()[0].split()[-2:] == ["PROGRESS", "TITLE"]


def test_plan_after_a_lost_answer_returns_the_record_the_host_made(http_host, run_cli, tmp_path):
    host = http_host
    imp = approved(host, run_cli, "Consolidate monitoring")
    title = f"Monitoring change {host.tag}"
    with FaultProxy(host.url) as proxy:
        proxied = tmp_path / "proxied.toml"
        proxied.write_text(host.config_path.read_text().replace(host.url, proxy.url))
        proxy.arm("POST", Fault("reset_after"))  # the create reaches the host, its answer never comes back
        lost = run_cli("--config", proxied, "plan", imp, "--create-change", "--title", title)
        if host.name not in PLANS:
            assert lost.code == 2 and REFUSAL in lost.err and proxy.outcomes("POST") == []
            return
        assert lost.code == 3 and "is unreachable" in lost.err
        made = host.titled(title)
        assert len(made) == 1  # the host did create it
        again = run_cli("--config", proxied, "plan", imp, "--create-change", "--title", title)
    assert again.code == 0, again.err
    assert again.out.strip() == made[0] and host.titled(title) == made
    assert host.linked(imp, "changes") == made


def test_plan_after_a_lost_answer_on_the_memory_host(memory, run_cli):
    imp = approved(memory, run_cli, "Consolidate monitoring")
    title = f"Monitoring change {memory.tag}"
    memory.store.fail_next("create_delivery", lost_answer=True)
    lost = run_cli("--config", memory.config_path, "plan", imp, "--create-change", "--title", title)
    assert lost.code == 3 and "the answer to create_delivery was lost" in lost.err
    made = memory.titled(title)
    assert len(made) == 1
    again = ok(run_cli, memory, "plan", imp, "--create-change", "--title", title)
    assert again.out.strip() == made[0] and memory.titled(title) == made
