"""Contract: assessment, business case, prioritisation, transitions and measurement."""

import json

import pytest

from ci_plugin.ops.convert import convert
from ci_plugin.errors import HostRefused
from ci_plugin.ops.prioritize import prioritize

pytestmark = pytest.mark.live


def improvement(host, run_cli, subject="Cut incident handover time"):
    result = run_cli("--config", host.config_path, "convert", host.ticket(subject), "--category", "process")
    assert result.code == 0, result.err
    return result.out.strip()


def ok(run_cli, host, *args):
    result = run_cli("--config", host.config_path, *args)
    assert result.code == 0, result.err
    return result


def test_assess_stores_score_breakdown_and_a_readable_comment(host, run_cli):
    imp = improvement(host, run_cli)
    record = json.loads(ok(run_cli, host, "assess", imp, "--model", "wsjf", "--set", "business_value=8", "--set",
                           "time_criticality=5", "--set", "risk_reduction=3", "--set", "job_size=4", "--json").out)
    assert record["score"] == 4 and record["model"] == "wsjf"
    assert record["assessment"]["inputs"] == {"business_value": 8, "time_criticality": 5, "risk_reduction": 3,
                                              "job_size": 4}
    assert record["assessment"]["assessed_by"]
    assert host.field(imp, "score") == ["4"] and host.field(imp, "model") == ["wsjf"]
    assert json.loads(host.field(imp, "assessment")[0])["score"] == 4
    assert any("Assessment (wsjf): score 4" in c for c in host.comments(imp))
    shown = ok(run_cli, host, "show", imp).out
    assert "score           4 (wsjf)" in shown and "business_value" in shown


def test_assess_rejects_bad_inputs_by_json_path_and_writes_nothing(host, run_cli):
    imp = improvement(host, run_cli)
    result = run_cli("--config", host.config_path, "assess", imp, "--model", "rice", "--set", "reach=100",
                     "--set", "impact=7", "--set", "confidence=80", "--set", "effort=2")
    assert result.code == 2 and "$.impact" in result.err and "Traceback" not in result.err
    assert host.field(imp, "score") == []
    unknown = run_cli("--config", host.config_path, "assess", imp, "--model", "nosuch", "--set", "a=1")
    assert unknown.code == 2
    assert "unknown scoring model 'nosuch'; models: ice, quadrant, rice, weighted, wsjf" in unknown.err


def test_business_case_derives_roi_and_payback(host, run_cli):
    imp = improvement(host, run_cli)
    record = json.loads(ok(run_cli, host, "case", imp, "--benefit", "12000", "--cost", "6000", "--currency", "EUR",
                           "--json").out)
    assert (record["business_case"]["roi"], record["business_case"]["payback_months"]) == (1.0, 6.0)
    assert json.loads(host.field(imp, "business_case")[0])["benefit"] == 12000
    assert any("Business case: " in c for c in host.comments(imp))


def test_workflow_with_guards_from_new_to_closed(host, run_cli):
    host.configure('[hooks]\nenabled = ["require_assessment", "require_business_case", "require_verdict"]\n')
    imp = improvement(host, run_cli, "Shorten MTTR for email outages")
    ok(run_cli, host, "transition", imp, "assessing", "--note", "baseline captured")
    refused = run_cli("--config", host.config_path, "transition", imp, "approved")
    assert refused.code == 5 and len(refused.err.strip().splitlines()) == 1
    assert refused.err.startswith("ci-plugin: error: transition refused by ")
    assert f"require_assessment: improvement {imp} has no assessment" in refused.err  # every refusal at once
    assert f"require_business_case: improvement {imp} has no business case" in refused.err
    assert host.status(imp) == "assessing"  # refused: nothing changed on the host

    ok(run_cli, host, "assess", imp, "--model", "ice", "--set", "impact=6", "--set", "confidence=5", "--set", "ease=7")
    refused = run_cli("--config", host.config_path, "transition", imp, "approved")
    assert refused.code == 5 and "refused by require_business_case" in refused.err
    assert "require_assessment" not in refused.err
    ok(run_cli, host, "case", imp, "--benefit-kpi", "MTTR halved")
    ok(run_cli, host, "measure", imp, "--kpi", "MTTR", "--baseline", "8", "--target", "4", "--unit", "h")
    for state in ("approved", "planned", "in-progress", "measuring"):
        assert ok(run_cli, host, "transition", imp, state).out.strip().endswith(f"-> {state}")
    refused = run_cli("--config", host.config_path, "transition", imp, "closed")
    assert refused.code == 5 and "refused by require_verdict: no actual value yet for KPI MTTR" in refused.err
    assert host.status(imp) == "measuring"
    ok(run_cli, host, "measure", imp, "--kpi", "MTTR", "--actual", "3.5")
    host.register.write_values(imp, {"rank": 3})
    record = json.loads(ok(run_cli, host, "transition", imp, "closed", "--json").out)
    assert record["state"] == "closed" and record["verdict"] == "met"
    assert "rank" not in record and host.field(imp, "rank") == []  # closed: out of the ranking
    # "closed", or Redmine's stock "Closed" on a desk provisioned fresh
    assert host.register.states.state(host.status(imp)) == "closed" and host.field(imp, "verdict") == ["met"]
    comments = "\n".join(host.comments(imp))
    assert "State: new -> assessing\nNote: baseline captured" in comments
    assert "Measurement verdict: met" in comments


def test_a_transition_outside_the_workflow_is_refused_by_the_workflow(host, run_cli):
    imp = improvement(host, run_cli)
    result = run_cli("--config", host.config_path, "transition", imp, "closed")
    assert result.code == 5
    assert "transition refused by workflow: new -> closed is not a transition of the workflow" in result.err
    assert host.register.states.state(host.status(imp)) == "new"  # "new", or Redmine's stock "New"


def test_the_host_itself_refusing_a_status_is_detected(host):
    created = convert(host.register, [host.ticket("Host refusal")]).improvement.id
    closed = host.register.states.host_status("closed")
    with pytest.raises(HostRefused):
        host.register.host.set_status(created, closed)  # the host's workflow has no new -> closed
    assert host.register.states.state(host.status(created)) == "new"  # "new" or Redmine's stock "New"


def test_missed_target_opens_a_linked_follow_up_with_the_hook(host, run_cli):
    host.configure('[hooks]\nenabled = ["followup_on_missed"]\n')
    imp = improvement(host, run_cli, "Raise first-contact resolution")
    ok(run_cli, host, "measure", imp, "--kpi", "FCR", "--baseline", "60", "--target", "75", "--actual", "58", "--unit", "%")
    for state in ("assessing", "approved", "planned", "in-progress", "measuring", "closed"):
        ok(run_cli, host, "transition", imp, state)
    record = json.loads(ok(run_cli, host, "show", imp, "--json").out)
    assert record["verdict"] == "missed"
    follow_ups = record["links"]["follow_ups"]
    assert len(follow_ups) == 1 and host.linked(imp, "follow_ups") == follow_ups
    follow_up = json.loads(ok(run_cli, host, "show", follow_ups[0], "--json").out)
    assert follow_up["title"] == f"Follow-up: Raise first-contact resolution [{host.tag}]"
    assert (follow_up["source"], follow_up["state"]) == ("review", "new")
    assert "FCR: baseline 60" in follow_up["description"]


def test_without_the_hook_a_missed_target_only_proposes_a_follow_up(host, run_cli):
    imp = improvement(host, run_cli, "Halve reopen rate")
    ok(run_cli, host, "measure", imp, "--kpi", "reopens", "--baseline", "10", "--target", "5", "--actual", "12")
    for state in ("assessing", "approved", "planned", "in-progress", "measuring", "closed"):
        ok(run_cli, host, "transition", imp, state)
    record = json.loads(ok(run_cli, host, "show", imp, "--json").out)
    assert record["verdict"] == "missed" and "follow_ups" not in record.get("links", {})
    assert any("a follow-up improvement is proposed" in c for c in host.comments(imp))


def test_prioritize_ranks_dependency_aware_and_writes_only_changes(host, run_cli):
    low, high = improvement(host, run_cli, "Blocker with low value"), improvement(host, run_cli, "High value, blocked")
    mid = improvement(host, run_cli, "Middle value")
    for imp, value in ((low, 2), (high, 9), (mid, 5)):
        ok(run_cli, host, "assess", imp, "--model", "quadrant", "--set", f"value={value}", "--set", "effort=2")
    host.add_dependency(high, low)
    report = prioritize(host.register, model="quadrant")
    order = [e.improvement.id for e in report.entries]
    # The blocker is pulled above what it blocks; the blocked one keeps its place above mid.
    assert order.index(low) < order.index(high) < order.index(mid)
    # The host stores order keys, not positions: sorted by the stored key, the order is the ranking.
    assert sorted([mid, high, low], key=lambda i: int(host.field(i, "rank")[0])) == [low, high, mid]

    writes_before = host.register.host.session.counts["PUT"]
    again = prioritize(host.register, model="quadrant")
    assert not any(e.changed for e in again.entries if e.improvement.id in (low, high, mid))
    assert host.register.host.session.counts["PUT"] - writes_before == again.writes  # others may share the host
    dry = json.loads(ok(run_cli, host, "prioritize", "--model", "quadrant", "--dry-run", "--json").out)
    assert dry["writes"] == 0 and [r["id"] for r in dry["ranking"]] == order


def test_one_new_top_improvement_is_the_only_write_and_the_stored_keys_keep_the_order(host, run_cli):
    first, second = improvement(host, run_cli, "Ranked first"), improvement(host, run_cli, "Ranked second")
    for imp, value in ((first, 8), (second, 6)):
        ok(run_cli, host, "assess", imp, "--model", "quadrant", "--set", f"value={value}", "--set", "effort=2")
    before = {e.improvement.id: e for e in prioritize(host.register, model="quadrant").entries}
    keys = {i: host.field(i, "rank") for i in (first, second)}
    top = improvement(host, run_cli, "New top idea")
    ok(run_cli, host, "assess", top, "--model", "quadrant", "--set", "value=10", "--set", "effort=1")

    puts = host.register.host.session.counts["PUT"]
    report = prioritize(host.register, model="quadrant")
    written = {e.improvement.id for e in report.entries if e.changed}
    assert top in written and report.writes == len(written) == host.register.host.session.counts["PUT"] - puts
    # Nothing already ranked is rewritten: every other write is an improvement that is new since
    # the first run or whose score changed meanwhile (other tests share the host).
    assert first not in written and second not in written
    assert {i: host.field(i, "rank") for i in (first, second)} == keys
    for other in written - {top}:
        assert other not in before or before[other].score != {e.improvement.id: e for e in report.entries}[other].score
    # The order read back from the host's stored keys is the ranking; register shows positions.
    stored = sorted([second, first, top], key=lambda i: int(host.field(i, "rank")[0]))
    assert stored == [top, first, second]
    ranks = {r["id"]: r.get("rank") for r in json.loads(ok(run_cli, host, "register", "--json").out)}
    assert all(isinstance(ranks[i], int) and ranks[i] >= 1 for i in stored)
    assert ranks[top] < ranks[first] < ranks[second]
    positions = sorted(r for r in ranks.values() if r is not None)
    assert positions == list(range(1, len(positions) + 1))  # positions 1..N, not the stored keys
    shown = json.loads(ok(run_cli, host, "show", top, "--json").out)
    assert shown["rank"] == ranks[top]
