"""The Rails-runner provisioning script the Redmine adapter prints (``setup --print-provisioning``),
without a server: the spec it embeds for a fresh desk and for a desk an earlier version provisioned."""

import json
import shutil
import subprocess

import responses

from ci_plugin.hosts.redmine import rails_script
from tests.unit.test_redmine_adapter import TRACKERS, URL, adapter


@responses.activate(assert_all_requests_are_fired=True)
def test_the_provisioning_script_embeds_the_spec_of_the_configuration(tmp_path):
    responses.get(f"{URL}/trackers.json", json={"trackers": TRACKERS})  # no tracker CIR yet: a fresh desk
    host = adapter('[redmine]\ntracker = "CIR"\ncandidate_trackers = ["Support"]\n[states]\nclosed = "done"\n')
    [step] = host.manual_steps()
    assert step.fixes == ("tracker ", "status ", "custom field ", "project ", "setting ")
    assert step.filename == "ci-plugin-provision.rb"
    text = step.content
    assert text.startswith("# frozen_string_literal: true\n") and text.count("frozen_string_literal") == 1
    assert text.rstrip().endswith("CiPluginProvision.main")
    embedded = text.split("<<~'CI_PLUGIN_SPEC_JSON'\n", 1)[1].split("\n  CI_PLUGIN_SPEC_JSON\n", 1)[0]
    spec = json.loads(embedded)
    assert spec == rails_script.build(host.config)
    assert {"name": "done", "is_closed": True} in spec["statuses"]
    register_flow, *linked = spec["workflow"]
    assert register_flow["tracker"] == "CIR" and register_flow["transitions"]["measuring"][0] == "done"
    assert register_flow["transitions"][""] == ["New"]  # Redmine's stock status, not a lowercase twin
    assert {"name": "Rejected", "is_closed": True} in spec["statuses"]
    assert not any(s["name"] in ("new", "rejected") for s in spec["statuses"])
    # the trackers of linked records get a workflow (only where they have none) and the project
    assert [w["tracker"] for w in linked] == ["Problem", "Project", "Change"]
    assert all(w["only_if_none"] and w["transitions"][""] == ["New"] and "Closed" in w["transitions"]["New"] for w in linked)
    problem = next(t for t in spec["trackers"] if t["name"] == "Problem")
    assert problem == {"name": "Problem", "initial_status": "New", "projects": ["improvements"]}
    assert next(t for t in spec["trackers"] if t["name"] == "Support") == {"name": "Support"}
    by_name = {f["name"]: f for f in spec["custom_fields"]}
    assert by_name["Improvement candidate"] == {
        "name": "Improvement candidate", "format": "list", "trackers": ["Support"], "is_filter": True,
        "description": "ci-plugin: Set by an agent to ask for conversion into an improvement",
        "possible_values": ["yes", "converted"]}
    assert (by_name["CI Source Ticket"]["format"], by_name["CI Assessment"]["format"]) == ("string", "text")
    assert spec["projects"][0]["trackers"] == ["CIR", "Change", "Project"]  # the register and the delivery records
    assert spec["settings"] == {"rest_api_enabled": "1", "login_required": "1", "cross_project_issue_relations": "1"}
    if shutil.which("ruby"):
        script = tmp_path / "p.rb"
        script.write_text(text)
        subprocess.run(["ruby", "-c", str(script)], check=True, capture_output=True)


@responses.activate(assert_all_requests_are_fired=True)
def test_the_script_for_a_desk_provisioned_before_the_stock_mapping_keeps_its_lowercase_statuses():
    responses.get(f"{URL}/trackers.json", json={"trackers": TRACKERS})  # Improvement starts in "new"
    host = adapter()
    [step] = host.manual_steps()
    spec = json.loads(step.content.split("<<~'CI_PLUGIN_SPEC_JSON'\n", 1)[1].split("\n  CI_PLUGIN_SPEC_JSON\n", 1)[0])
    register_flow = spec["workflow"][0]
    assert register_flow["transitions"][""] == ["new"] and "closed" in register_flow["transitions"]["measuring"]
    assert next(t for t in spec["trackers"] if t["name"] == "Improvement")["default_status"] == "new"
    assert [s["name"] for s in spec["statuses"][:3]] == ["new", "assessing", "approved"]
