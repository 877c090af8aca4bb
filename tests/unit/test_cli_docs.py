"""Issue 8, point 14: what the README promises a user and a plugin author, checked against the
code: the ROI, payback and WSJF cost-of-delay formulas with their worked examples, that the cost
of inaction adds to the yearly benefit, RICE confidence as a percent, rounding to 4 decimals,
when ``followup_on_missed`` fires, and what an ``Improvement`` offers a plugin."""

import re
from pathlib import Path

import pytest

from ci_plugin.domain import business_case
from ci_plugin.domain.model import Improvement
from ci_plugin.scoring.base import score
from ci_plugin.scoring.models import RICEModel, WSJFModel

ROOT = Path(__file__).resolve().parents[2]
README = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
PLUGINS = " ".join((ROOT / "docs" / "plugins.md").read_text(encoding="utf-8").split())


def test_the_readme_states_the_business_case_formulas_and_its_examples_hold():
    assert "yearly net benefit = benefit + cost of inaction - running cost" in README
    assert "`roi` = (yearly net benefit - cost) / cost" in README
    assert "`payback_months` = cost / (yearly net benefit / 12)" in README
    case = business_case.derive({"benefit": 24000, "running_cost": 1500, "cost": 9000})
    assert "(22500 - 9000) / 9000 = 1.5" in README and case["roi"] == 1.5
    assert "9000 / 1875 = 4.8" in README and case["payback_months"] == 4.8


def test_the_readme_says_the_cost_of_inaction_adds_to_the_yearly_benefit_and_it_does():
    assert "**adds to the yearly benefit**" in README
    without = business_case.derive({"benefit": 1000, "cost": 1000})
    with_inaction = business_case.derive({"benefit": 1000, "cost": 1000, "cost_of_inaction": 500})
    assert business_case.net_benefit(with_inaction) == business_case.net_benefit(without) + 500
    assert with_inaction["roi"] == 0.5 and without["roi"] == 0.0


def test_the_readme_states_the_wsjf_cost_of_delay_and_its_example_holds():
    assert "cost of delay = business_value + time_criticality + risk_reduction" in README
    inputs = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 3}
    assert "WSJF 8 + 5 + 3 over job size 3 is `5.3333`" in README
    assert score(WSJFModel(), inputs, {}).value == 5.3333


def test_the_readme_says_rice_confidence_is_a_percent_and_its_example_holds():
    assert "confidence (a percent, 0-100)" in README and "confidence `80` means 80 %" in README
    result = score(RICEModel(), {"reach": 500, "impact": 2, "confidence": 80, "effort": 4}, {})
    assert "500 x 2 x 0.8 / 4 = `200`" in README and result.value == 200


def test_the_readme_says_scores_are_rounded_to_4_decimals_and_they_are():
    assert "rounded to 4 decimals" in README
    result = score(WSJFModel(), {"business_value": 1, "time_criticality": 1, "risk_reduction": 1, "job_size": 7}, {})
    assert result.value == round(3 / 7, 4) and all(
        line.contribution == round(line.contribution, 4) for line in result.breakdown)


class _Config:
    def __init__(self, on=None):
        self.settings = {} if on is None else {"on": on}

    def hook_settings(self, name):
        return self.settings


class _Register:
    def __init__(self, on=None):
        self.config = _Config(on)


@pytest.mark.parametrize("verdict,on,fires", [
    ("missed", None, True), ("partly", None, False), ("met", None, False),
    ("partly", ["missed", "partly"], True),
])
def test_followup_on_missed_fires_as_the_readme_says(monkeypatch, verdict, on, fires):
    assert "an improvement closed *partly* (say one KPI missed and another met) gets none unless" in README
    assert 'on = ["missed", "partly"]' in README
    from ci_plugin.hooks import followup_on_missed
    from ci_plugin.ops import followup

    created = []
    monkeypatch.setattr(followup, "create_followup", lambda register, improvement: created.append(improvement.id))
    improvement = Improvement(id="5", title="T", state="closed", values={"verdict": verdict, "measurements": [
        {"kpi": "A", "baseline": 8, "target": 4, "actual": 9, "verdict": "missed"},
        {"kpi": "B", "baseline": 1, "target": 2, "actual": 2, "verdict": "met"}]})
    followup_on_missed.ci_after_transition(improvement, "measuring", "closed", _Register(on))
    assert created == (["5"] if fires else [])


def test_an_improvement_answers_get_for_its_identity_keys_too():
    imp = Improvement(id="57", title="Cut reset time", state="approved", host_status="Approved",
                      url="http://h/57", values={"score": 4.5}, links={"problems": ["7"]})
    assert imp.get("id") == imp.id == "57"
    assert (imp.get("title"), imp.get("state"), imp.get("host_status"), imp.get("url")) == (
        "Cut reset time", "approved", "Approved", "http://h/57")
    assert imp.get("links") == {"problems": ["7"]} and imp.get("score") == 4.5
    assert imp.get("owner") is None and imp.get("owner", "nobody") == "nobody"
    assert imp.get("nonsense", 1) == 1
    record = imp.to_record()
    assert all(imp.get(key) == value for key, value in record.items())


def test_the_docs_say_what_an_improvement_offers_a_plugin():
    for text in (README, PLUGINS):
        assert 'improvement.get("id") == improvement.id' in text
        assert re.search(r"`?malformed`?", text)
    for key in Improvement.IDENTITY_KEYS:
        assert f"`{key}`" in PLUGINS, key
