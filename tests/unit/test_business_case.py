"""Business cases: derived ROI and payback, the summary line, schema errors."""

from __future__ import annotations

import pytest

from ci_plugin.domain.business_case import derive, net_benefit, summary
from ci_plugin.errors import SchemaValidationError


def test_roi_and_payback():
    case = derive({"benefit": 12000, "cost": 5000, "currency": "EUR"})
    assert case == {"benefit": 12000, "cost": 5000, "currency": "EUR", "roi": 1.4, "payback_months": 5.0}


def test_running_cost_and_cost_of_inaction_enter_the_yearly_net_benefit():
    case = derive({"benefit": 10000, "cost_of_inaction": 4000, "running_cost": 2000, "cost": 9000})
    assert net_benefit(case) == 12000
    assert case["roi"] == 0.3333  # (12000 - 9000) / 9000
    assert case["payback_months"] == 9.0  # 9000 / (12000 / 12)


def test_rounding():
    case = derive({"benefit": 7000, "cost": 3000})
    assert case["roi"] == 1.3333
    assert case["payback_months"] == 5.1  # 3000 / 583.33 = 5.14


def test_never_pays_back_when_the_yearly_net_benefit_is_not_positive():
    case = derive({"benefit": 1000, "running_cost": 2000, "cost": 5000})
    assert case["payback_months"] is None
    assert case["roi"] == -1.2  # (-1000 - 5000) / 5000
    assert derive({"benefit": 2000, "running_cost": 2000, "cost": 5000})["payback_months"] is None


def test_zero_cost_pays_back_at_once_and_has_no_roi():
    case = derive({"benefit": 500, "cost": 0})
    assert case["payback_months"] == 0
    assert "roi" not in case


def test_nothing_is_derived_without_a_benefit_or_without_a_cost():
    kpi_only = {"benefit_kpi": "MTTR halved", "cost": 3000}
    assert derive(kpi_only) == kpi_only
    assert derive({"benefit": 3000}) == {"benefit": 3000}


def test_stale_derived_values_are_recomputed_or_dropped():
    assert derive({"benefit": 12000, "cost": 5000, "roi": 99, "payback_months": 1})["roi"] == 1.4
    assert derive({"benefit": 12000, "roi": 99, "payback_months": None}) == {"benefit": 12000}


def test_the_input_is_not_modified():
    case = {"benefit": 12000, "cost": 5000}
    derive(case)
    assert case == {"benefit": 12000, "cost": 5000}


@pytest.mark.parametrize("case, path", [
    ({"benefit": -1}, "$.benefit"),
    ({"benefit": 10, "cost": "a lot"}, "$.cost"),
    ({"benefit": 10, "currency": "euro"}, "$.currency"),
    ({"benefit": 10, "budget": 3}, "$.budget"),
    ({"cost": 10}, "$"),
    ({}, "$"),
])
def test_schema_errors_name_the_path(case, path):
    with pytest.raises(SchemaValidationError) as caught:
        derive(case)
    assert (caught.value.what, caught.value.path) == ("business case", path)


def test_summary():
    assert summary(derive({"benefit": 12000, "cost": 5000, "currency": "EUR"})) == (
        "benefit 12000 EUR/yr, cost 5000 EUR, ROI 1.4, payback 5.0 months")
    assert summary(derive({"benefit": 1000, "running_cost": 2000, "cost": 5000})) == (
        "benefit 1000/yr, cost 5000, running cost 2000/yr, ROI -1.2, never pays back")
    assert summary({"benefit_kpi": "MTTR halved", "cost_of_inaction": 2500.5, "currency": "USD"}) == (
        "expected benefit: MTTR halved, cost of inaction 2500.5 USD/yr")
    assert summary(None) == "no business case"
