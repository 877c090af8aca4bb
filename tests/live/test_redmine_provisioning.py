"""Redmine provisioning against the live Redmine (issue 8, point 12): the trackers of linked
records get a workflow and the register's project, and a fresh desk uses Redmine's stock
``New``, ``Closed``, ``Rejected`` instead of creating lowercase twins beside them."""

import json

import pytest

from tests.live.redmine_harness import provision_config

pytestmark = pytest.mark.live

# A desk of its own on the shared Redmine, so the shared "Improvement" tracker is left as it is.
# Fixed names: a second run finds them provisioned (Redmine's REST API cannot delete a tracker).
FRESH = '[redmine]\ntracker = "Improvement-b7"\nproject = "improvements-b7"\n'


def test_a_problem_record_can_leave_its_first_status_and_its_tracker_is_in_the_register_project(redmine):
    problem = redmine.ticket("Known error: stale DNS cache", kind="problem")
    assert redmine.status(problem) == "New"
    closed = next(s["id"] for s in redmine.session.request("GET", "issue_statuses.json").json()["issue_statuses"]
                  if s["name"] == "Closed")
    redmine.session.request("PUT", f"issues/{problem}.json", json={"issue": {"status_id": closed}}, ok=(200, 204))
    assert redmine.status(problem) == "Closed"  # a 204 that changed nothing was the bug
    project = redmine.session.request("GET", "projects/improvements.json", params={"include": "trackers"}).json()["project"]
    assert {"Problem", "Project", "Change"} <= {t["name"] for t in project["trackers"]}


def test_a_fresh_desk_maps_the_register_onto_redmines_stock_statuses(redmine, run_cli):
    redmine.configure(FRESH)
    provision_config(redmine.config_path)
    tracker = next(t for t in redmine.session.request("GET", "trackers.json").json()["trackers"]
                   if t["name"] == "Improvement-b7")
    assert tracker["default_status"]["name"] == "New"

    doctor = json.loads(run_cli("--config", redmine.config_path, "doctor", "--json").out)
    names = {c["check"] for c in doctor if c["ok"]}
    assert {"status New", "status Closed", "status Rejected", "tracker Improvement-b7"} <= names

    converted = run_cli("--config", redmine.config_path, "convert", redmine.ticket("Password resets pile up"), "--json")
    assert converted.code == 0, converted.err
    imp = json.loads(converted.out)["id"]
    assert redmine.status(imp) == "New" and redmine.register.get(imp).state == "new"
    moved = run_cli("--config", redmine.config_path, "transition", imp, "rejected", "--note", "duplicate")
    assert moved.code == 0, moved.err
    assert redmine.status(imp) == "Rejected" and redmine.register.get(imp).state == "rejected"
    listed = run_cli("--config", redmine.config_path, "register", "--format", "json")
    assert listed.code == 0 and imp in listed.out


#: A desk as an earlier version provisioned it: the register tracker's statuses are lowercase
#: twins of Redmine's stock names. Its own tracker and project, so the test does not depend on
#: what the shared Redmine went through before (a fresh machine has no such desk).
EARLIER = '[redmine]\ntracker = "Improvement-lc"\nproject = "improvements-lc"\n'
EARLIER_STATES = '[states]\nnew = "new"\nclosed = "closed"\nrejected = "rejected"\n'


def test_the_desk_provisioned_before_the_stock_mapping_keeps_its_lowercase_statuses(redmine, run_cli):
    redmine.configure(EARLIER + EARLIER_STATES)
    provision_config(redmine.config_path)  # what the earlier version did: lowercase statuses
    tracker = next(t for t in redmine.session.request("GET", "trackers.json").json()["trackers"]
                   if t["name"] == "Improvement-lc")
    assert tracker["default_status"]["name"] == "new"
    redmine.configure(EARLIER)  # today's config of that desk names no states: the stock mapping applies
    imp = json.loads(run_cli("--config", redmine.config_path, "convert", redmine.ticket("Slow badge reader"), "--json").out)["id"]
    assert redmine.status(imp) == "new" and redmine.register.get(imp).state == "new"
    assert run_cli("--config", redmine.config_path, "transition", imp, "rejected").code == 0
    assert redmine.status(imp) == "rejected"  # not Redmine's "Rejected", which its workflow does not know
    report = json.loads(run_cli("--config", redmine.config_path, "setup", "--json").out)
    assert report["complete"] is True and report["missing"] == []
