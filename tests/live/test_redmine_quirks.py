"""Redmine-only behaviour, against the live Redmine of scripts/redmine-host.sh: the provisioning
script, silent 204s, relations, custom-field encodings, pages, and a wrong key."""

import json
import math
import os
import re
import subprocess
import sys

import pytest

from ci_plugin.ops.sync import sync
from ci_plugin.errors import HostRefused
from ci_plugin.hosts.redmine import adapter as adapter_module
from tests.conftest import STATE, host_env
from tests.live.redmine_harness import provision_config, run_provisioning

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def env():
    return host_env("redmine", ("CI_PLUGIN_REDMINE_URL", "CI_PLUGIN_REDMINE_KEY"), STATE / "redmine" / "env")


def ok(run_cli, redmine, *args):
    result = run_cli("--config", redmine.config_path, *args)
    assert result.code == 0, result.err
    return result


def convert(run_cli, redmine, *args) -> dict:
    return json.loads(ok(run_cli, redmine, "convert", *args, "--json").out)


def register_issues(redmine, **filters) -> list[str]:
    """Ids of the issues of the register's project (any tracker, any status) matching ``filters``."""
    params = {"project_id": "improvements", "status_id": "*", "limit": 100, **filters}
    answer = redmine.session.request("GET", "issues.json", params=params).json()
    return [str(i["id"]) for i in answer["issues"]]


def test_setup_twice_is_complete_idempotent_and_the_printed_script_changes_nothing(redmine, run_cli, tmp_path):
    for _ in range(2):
        report = json.loads(ok(run_cli, redmine, "setup", "--json").out)
        assert report == {"complete": True, "changes": [{"action": "unchanged", "what": "project improvements"}],
                          "missing": [], "manual_steps": []}
    checks = json.loads(ok(run_cli, redmine, "doctor", "--json").out)
    assert all(c["ok"] for c in checks), [c for c in checks if not c["ok"]]
    names = [c["check"] for c in checks]
    assert names[0] == "connection and credentials" and len(names) == 1 + 6 + 9 + 16 + 2
    for name in ("tracker Improvement", "tracker Problem", "tracker Project", "tracker Change",
                 f"status {redmine.status_name('new')}", f"status {redmine.status_name('closed')}",
                 "custom field CI Source Ticket", "custom field Improvement candidate", "project improvements",
                 "setting login_required"):
        assert name in names

    script = ok(run_cli, redmine, "setup", "--print-provisioning").out
    done = run_provisioning(script, tmp_path)
    assert done.returncode == 0, done.stderr
    # everything it would provision is there already (68 items on a fresh desk, 3 more statuses on an earlier one)
    assert re.search(r": 0 created, 0 updated, \d+ unchanged, 0 conflicts - nothing to change$", done.stdout.splitlines()[-1])


def test_convert_a_bug_into_an_improvement_then_again_the_same(redmine, run_cli):
    bug = redmine.ticket("Mail queue backs up", content="Outbound mail waits 20 minutes.")
    record = convert(run_cli, redmine, bug, "--category", "technology")
    imp = record["id"]
    assert (record["created"], record["state"], record["source"], record["source_tickets"]) == (True, "new", "incident", [bug])
    raw = redmine.raw(imp, "relations")
    assert (raw["tracker"]["name"], raw["project"]["name"], raw["status"]["name"]) == ("Improvement", "Improvements", redmine.status_name("new"))
    assert {c["name"]: c["value"] for c in raw["custom_fields"]}["CI Source Ticket"] == f",{bug},"
    assert [(r["relation_type"], {str(r["issue_id"]), str(r["issue_to_id"])}) for r in raw["relations"]] == [
        ("relates", {bug, imp})]
    notes = [j for j in redmine.raw(bug, "journals")["journals"] if j["notes"]]
    assert len(notes) == 1 and notes[0]["private_notes"] is True
    assert notes[0]["notes"].startswith(f"Converted into improvement #{imp}: Mail queue backs up [{redmine.tag}]\n"
                                        f"{redmine.url}/issues/{imp}")

    again = convert(run_cli, redmine, bug)
    assert (again["id"], again["created"]) == (imp, False)
    assert register_issues(redmine, subject=f"~{redmine.tag}") == [imp]


def test_a_transition_the_redmine_workflow_forbids_is_refused_and_nothing_changes(redmine, run_cli):
    imp = convert(run_cli, redmine, redmine.ticket("Slow VPN"))["id"]
    with pytest.raises(HostRefused) as caught:
        redmine.register.host.set_status(imp, "closed")
    new, closed = redmine.status_name("new"), redmine.status_name("closed")
    head, allowed = str(caught.value).rsplit(": ", 1)
    assert head == (f"Redmine refused status '{closed}' on issue {imp}: the workflow of tracker 'Improvement' "
                    f"does not allow '{new}' -> '{closed}' (allowed from '{new}'")
    assert sorted(allowed.rstrip(")").split(", ")) == sorted(["assessing", redmine.status_name("rejected"), "on-hold"])
    assert redmine.status(imp) == new
    redmine.register.host.set_status(imp, "assessing")  # one the workflow allows
    assert redmine.status(imp) == "assessing"


def test_link_to_a_problem_issue_and_a_project_issue_once(redmine, run_cli):
    imp = convert(run_cli, redmine, redmine.ticket("Disk alerts at night"))["id"]
    problem = redmine.ticket("Known error: log rotation", kind="problem")
    project = redmine.ticket("Storage refresh", kind="project")
    record = json.loads(ok(run_cli, redmine, "link", imp, "--problem", problem, "--project", project, "--json").out)
    assert record["added"] == {"problems": [problem], "projects": [project]}
    assert (record["links"]["problems"], record["links"]["projects"]) == ([problem], [project])
    assert redmine.linked(imp, "problems") == [problem] and redmine.linked(imp, "projects") == [project]
    before = redmine.raw(imp, "relations")["relations"]
    redmine.register.host.add_links(imp, "problems", [problem])  # Redmine answers 422: still success
    redmine.register.host.add_links(imp, "sources", [redmine.field(imp, "source_tickets")[0]])
    assert redmine.raw(imp, "relations")["relations"] == before
    assert ok(run_cli, redmine, "link", imp, "--problem", problem).out.strip() == f"improvement {imp}: links already in place"


def test_a_bug_given_as_problem_is_refused_and_nothing_is_created(redmine, run_cli):
    bug, not_a_problem = redmine.ticket("Printer offline"), redmine.ticket("Toner empty")
    result = run_cli("--config", redmine.config_path, "convert", bug, "--problem", not_a_problem)
    assert result.code == 4
    assert result.err.strip() == (f"ci-plugin: error: ticket {not_a_problem} is not a problem record "
                                  "(not in the configured problem queue/tracker)")
    assert register_issues(redmine, subject=f"~{redmine.tag}") == []
    assert redmine.improvements_for(bug) == [] and redmine.comments(bug) == ["Users cannot print after 5pm."]


def test_sync_converts_a_flagged_issue_once_and_clears_the_flag(redmine, run_cli):
    flagged = redmine.ticket("Agents flagged this", flagged=True)
    assert redmine.field(flagged, "candidate") == ["yes"]
    first = json.loads(ok(run_cli, redmine, "sync", "--json").out)
    mine = [c for c in first["converted"] if c["ticket"] == flagged]
    assert len(mine) == 1 and mine[0]["created"] is True
    assert redmine.field(flagged, "candidate") == ["converted"]
    assert redmine.improvements_for(flagged) == [mine[0]["improvement"]]
    second = json.loads(ok(run_cli, redmine, "sync", "--json").out)
    assert flagged not in [c["ticket"] for c in second["converted"]]
    redmine.set_flag(flagged, "yes")
    assert (flagged, mine[0]["improvement"], False) in sync(redmine.register).converted
    assert redmine.improvements_for(flagged) == [mine[0]["improvement"]]


def test_the_register_follows_every_page_and_carries_dependencies(redmine, run_cli, monkeypatch):
    ids = [convert(run_cli, redmine, redmine.ticket(f"Paged entry {n}"))["id"] for n in range(3)]
    redmine.add_dependency(ids[2], ids[0])
    host = redmine.register.host
    list(host.list_improvements(["new"]))  # metadata read once (trackers, statuses, project)
    statuses = redmine.session.request("GET", "issue_statuses.json").json()["issue_statuses"]
    total = redmine.session.request("GET", "issues.json", params={
        "project_id": "improvements", "tracker_id": redmine.tracker_id("Improvement"), "limit": 1,
        "status_id": next(s["id"] for s in statuses if s["name"] == redmine.status_name("new")),
    }).json()["total_count"]
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)
    before = host.session.counts["GET"]
    listed = {t.id: t for t in host.list_improvements(["new"])}
    assert host.session.counts["GET"] - before == math.ceil(total / 2) >= 2
    assert len(listed) == total and set(ids) <= set(listed)
    assert listed[ids[2]].links == {"depends_on": [ids[0]]} and listed[ids[0]].links == {}


def test_a_wrong_key_is_exit_3_with_one_line(env, redmine):
    for command in ("register", "doctor"):
        result = subprocess.run([sys.executable, "-m", "ci_plugin", "--config", str(redmine.config_path), command],
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "CI_PLUGIN_DISABLE_EXTERNAL": "1", "CI_PLUGIN_REDMINE_KEY": "0" * 40})
        assert result.returncode == 3 and result.stdout == ""
        assert result.stderr == "ci-plugin: error: Redmine rejected the credentials (HTTP 401)\n"
        assert env["CI_PLUGIN_REDMINE_KEY"] not in result.stderr


def test_project_mode_links_a_redmine_project_through_the_project_field(redmine, run_cli):
    redmine.configure('[redmine]\nproject_mode = "project"\n')
    provision_config(redmine.config_path)  # adds the "CI Project" field if the script never ran for this mode
    project = redmine.ticket("Service catalogue revamp", kind="project")
    record = convert(run_cli, redmine, redmine.ticket("Catalogue is outdated"), "--project", project)
    imp = record["id"]
    assert record["links"]["projects"] == [project]
    assert {c["name"]: c["value"] for c in redmine.raw(imp)["custom_fields"]}["CI Project"] == f",{project},"
    second = redmine.ticket("Another catalogue project", kind="project")
    linked = json.loads(ok(run_cli, redmine, "link", imp, "--project", second, "--json").out)
    assert linked["added"] == {"projects": [second]} and linked["links"]["projects"] == [project, second]
    assert redmine.linked(imp, "projects") == [project, second]
    missing = run_cli("--config", redmine.config_path, "link", imp, "--project", f"nope-{redmine.tag}")
    assert missing.code == 4 and f"Redmine: project 'nope-{redmine.tag}' does not exist" in missing.err
