"""assess, case and measure against the in-memory host: what is stored, the audit comments, and
the ``ci_after_assess`` / ``ci_after_measure`` notifiers."""

import json

import pytest

from ci_plugin.errors import UsageError
from ci_plugin.ops.assess import assess
from ci_plugin.ops.case import record_business_case
from ci_plugin.ops.convert import convert
from ci_plugin.ops.measure import measure
from tests.unit.memory_desk import Desk, _no_repair_pause, desk, spy  # noqa: F401 (fixtures)

WSJF = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 4}


@pytest.fixture
def spied(spy):
    return Desk(plugins=[("spy", spy)])


def new(desk):
    return convert(desk.register, [desk.ticket()]).improvement.id


def test_assess_stores_score_model_and_document_comments_and_notifies(spied, spy, monkeypatch):
    monkeypatch.setenv("CI_PLUGIN_ACTOR", "maria")
    imp = new(spied)
    after = assess(spied.register, imp, "wsjf", dict(WSJF))
    assert (spied.value(imp, "score"), spied.value(imp, "model")) == ("4", "wsjf")
    stored = json.loads(spied.value(imp, "assessment"))
    assert stored["inputs"] == WSJF and stored["score"] == 4 and stored["assessed_by"] == "maria"
    assert spied.comments(imp)[-1].startswith("Assessment (wsjf): score 4\n")
    assert spied.comments(imp)[-1].endswith("-- ci-plugin, by maria")
    [call] = spy.of("after_assess")
    assert call["improvement"].id == imp and call["improvement"].get("score") == 4  # re-read from the host
    assert call["assessment"] == stored and call["register"] is spied.register
    assert after.get("assessment") == stored


def test_bad_inputs_write_nothing_and_notify_nobody(spied, spy):
    imp = new(spied)
    comments = list(spied.comments(imp))
    with pytest.raises(UsageError, match=r"\$\.impact"):
        assess(spied.register, imp, "rice", {"reach": 100, "impact": 7, "confidence": 80, "effort": 2})
    with pytest.raises(UsageError, match="unknown scoring model 'nosuch'; models: ice, quadrant, rice, weighted, wsjf"):
        assess(spied.register, imp, "nosuch", {"a": 1})
    assert spied.value(imp, "score") is None and spied.comments(imp) == comments and spy.of("after_assess") == []


def test_the_default_model_comes_from_the_config():
    desk = Desk('[scoring]\ndefault_model = "ice"\n')
    imp = new(desk)
    assert assess(desk.register, imp, None, {"impact": 6, "confidence": 5, "ease": 7}).get("model") == "ice"
    assert desk.value(imp, "score") == "210"


def test_business_case_derives_roi_and_payback_merges_and_comments(desk):
    imp = new(desk)
    record_business_case(desk.register, imp, {"benefit": 12000, "cost": 6000, "currency": "EUR"})
    first = json.loads(desk.value(imp, "business_case"))
    assert (first["roi"], first["payback_months"]) == (1.0, 6.0)
    assert desk.comments(imp)[-1].startswith("Business case: ")
    after = record_business_case(desk.register, imp, {"cost": 12000, "roi": 99})  # derived values are recomputed
    case = json.loads(desk.value(imp, "business_case"))
    assert (case["benefit"], case["cost"], case["currency"], case["roi"], case["payback_months"]) == (
        12000, 12000, "EUR", 0.0, 12.0)
    assert after.get("business_case") == case


def test_an_invalid_business_case_writes_nothing(desk):
    imp = new(desk)
    with pytest.raises(UsageError):
        record_business_case(desk.register, imp, {"cost": -5})
    assert desk.value(imp, "business_case") is None


def test_measure_records_updates_and_judges_kpis_and_notifies(spied, spy):
    imp = new(spied)
    after, entry = measure(spied.register, imp, "MTTR", baseline=8, target=4, unit="h")
    assert entry["direction"] == "lower" and "verdict" not in entry and "measured_at" not in entry
    after, entry = measure(spied.register, imp, "MTTR", actual=5)
    assert (entry["baseline"], entry["target"], entry["actual"], entry["unit"]) == (8, 4, 5, "h")
    assert entry["verdict"] == "partly" and entry["measured_at"]
    measure(spied.register, imp, "FCR", baseline=60, target=75, actual=80)
    stored = json.loads(spied.value(imp, "measurements"))
    assert [(m["kpi"], m.get("verdict")) for m in stored] == [("MTTR", "partly"), ("FCR", "met")]
    assert [c.split("\n")[0] for c in spied.comments(imp) if c.startswith("Measurement: ")][-1].startswith(
        "Measurement: FCR")
    calls = spy.of("after_measure")
    assert [c["measurement"]["kpi"] for c in calls] == ["MTTR", "MTTR", "FCR"]
    assert calls[1]["measurement"] == entry and calls[1]["improvement"].get("measurements")[0] == entry


def test_a_new_kpi_needs_baseline_and_target_and_writes_nothing(spied, spy):
    imp = new(spied)
    with pytest.raises(UsageError, match="KPI 'NPS' is new: give --baseline and --target"):
        measure(spied.register, imp, "NPS", actual=30)
    assert spied.value(imp, "measurements") is None and spy.of("after_measure") == []
