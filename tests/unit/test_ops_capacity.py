"""capacity against the in-memory host: periods (quarter and month), default and per-period
capacity, effort from case --effort-days or the size, money from the case cost, over-commitment,
unscheduled improvements, and bad input."""

import pytest

from ci_plugin.domain import budget
from ci_plugin.errors import ConfigError, UsageError
from ci_plugin.ops.capacity import capacity
from tests.unit.memory_desk import Desk

BUDGET = """
[budget]
period = "quarter"
[budget.default]
effort_days = 40
money = 30000
[budget."2027-Q1"]
effort_days = 60
money = 50000
"""


def add(desk, title, *, state="approved", size=None, target=None, case=None):
    imp = desk.store.create_ticket("Improvements", title, "", {desk.cf("source"): "idea"})
    values = {}
    if size:
        values["size"] = size
    if target:
        values["target_date"] = target
    if case:
        values["business_case"] = case
    if values:
        desk.register.write_values(imp, values)
    desk.store.tickets[imp].status = state
    return imp


def test_committed_effort_and_money_per_quarter_against_capacity():
    desk = Desk(BUDGET)
    a = add(desk, "a", size="M", target="2027-02-10", case={"benefit": 1, "cost": 20000, "effort_days": 30})
    b = add(desk, "b", state="planned", size="L", target="2027-03-31", case={"benefit": 1, "cost": 40000})
    c = add(desk, "c", state="in-progress", size="S", target="2027-04-01")
    add(desk, "assessing is not committed", state="assessing", size="XL", target="2027-01-05")
    d = add(desk, "no target date", size="S")
    doc = capacity(desk.register)
    assert doc["period_kind"] == "quarter"
    assert [p["period"] for p in doc["periods"]] == ["2027-Q1", "2027-Q2"]
    q1, q2 = doc["periods"]
    assert q1["effort_days"] == {"committed": 70.0, "capacity": 60.0, "free": -10.0}  # 30 (case) + 40 (L)
    assert q1["money"] == {"committed": 60000.0, "capacity": 50000.0, "free": -10000.0}
    assert q1["over_committed"] is True and q1["improvements"] == sorted([a, b], key=int)
    assert q2["effort_days"] == {"committed": 5.0, "capacity": 40.0, "free": 35.0}  # default capacity, S=5
    assert q2["money"] == {"committed": 0.0, "capacity": 30000.0, "free": 30000.0}
    assert q2["over_committed"] is False and q2["improvements"] == [c]
    assert doc["unscheduled"] == [d]


def test_month_periods_size_days_and_a_listed_empty_period():
    desk = Desk('[budget]\nperiod = "month"\n[budget.size_days]\nM = 10\n[budget."2027-05"]\neffort_days = 5\n')
    add(desk, "a", size="M", target="2027-01-31")
    doc = capacity(desk.register)
    assert doc["period_kind"] == "month"
    jan, may = doc["periods"]
    assert jan["period"] == "2027-01" and jan["effort_days"]["committed"] == 10.0
    assert may == {"period": "2027-05", "effort_days": {"committed": 0.0, "capacity": 5.0, "free": 5.0},
                   "money": {"committed": 0.0, "capacity": 30000.0, "free": 30000.0},  # money from the default
                   "over_committed": False, "improvements": []}


def test_defaults_without_a_budget_section_and_one_period():
    desk = Desk()
    add(desk, "a", size="XL", target="2027-07-01")
    add(desk, "b", size="S", target="2027-01-01")
    doc = capacity(desk.register, "2027-Q3")
    assert [p["period"] for p in doc["periods"]] == ["2027-Q3"]
    assert doc["periods"][0]["effort_days"] == {"committed": 80.0, "capacity": 40.0, "free": -40.0}
    assert doc["periods"][0]["over_committed"] is True


@pytest.mark.parametrize("period", ["2027-Q5", "2027-13", "2027-01", "Q1"])
def test_a_period_that_is_not_a_quarter_is_refused(period):
    desk = Desk(BUDGET)
    with pytest.raises(UsageError, match="--period"):
        capacity(desk.register, period)


def test_a_period_table_of_the_other_kind_is_a_config_error():
    desk = Desk('[budget]\nperiod = "month"\n[budget."2027-Q1"]\neffort_days = 5\n')
    with pytest.raises(ConfigError, match="2027-Q1"):
        capacity(desk.register)


def test_effort_and_period_arithmetic():
    sizes = {"S": 5, "M": 15, "L": 40, "XL": 80}
    assert budget.effort_days("L", {"effort_days": 3}, sizes) == 3.0
    assert budget.effort_days("L", {"benefit": 1}, sizes) == 40.0
    assert budget.effort_days(None, None, sizes) == 0.0
    assert budget.money({"cost": 12.5}) == 12.5 and budget.money(None) == 0.0
    assert budget.period_of("2027-12-31", "quarter") == "2027-Q4"
    assert budget.period_of("2027-12-31", "month") == "2027-12"
    assert budget.period_of("not a date", "month") is None
    assert budget.capacity_of({"default": {"effort_days": 1, "money": 2}, "2027-Q1": {"money": 9}}, "2027-Q1") \
        == {"effort_days": 1.0, "money": 9.0}


@pytest.mark.parametrize("bad", ["2027-Q5", "2027-13", "next quarter"])
def test_the_cli_refuses_a_bad_period_in_one_line_before_reading(bad, capsys, tmp_path):
    from ci_plugin.cli import main
    assert main(["--config", str(tmp_path / "missing.toml"), "capacity", "--period", bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "--period" in captured.err


def test_require_capacity_refuses_an_approval_that_over_commits_naming_period_and_figures():
    from ci_plugin.errors import VetoError
    from ci_plugin.ops.transition import transition
    desk = Desk(BUDGET, enabled=["require_capacity"])
    add(desk, "holds 50 days", size="M", target="2027-01-15", case={"benefit": 1, "effort_days": 50, "cost": 100})
    fits = add(desk, "fits", state="assessing", size="S", target="2027-02-01")
    too_big = add(desk, "too big", state="assessing", size="L", target="2027-03-01")
    transition(desk.register, fits, "approved")  # 50 + 5 <= 60
    assert desk.store.tickets[fits].status == "approved"
    with pytest.raises(VetoError) as refused:
        transition(desk.register, too_big, "approved")  # 55 + 40 > 60
    assert refused.value.plugin == "require_capacity"
    assert refused.value.reason.startswith(f"improvement {too_big} would over-commit 2027-Q1: "
                                           "effort days 95 of 60 person-days (35 over)")
    assert "money" not in refused.value.reason  # 100 of 50000 fits
    assert desk.store.tickets[too_big].status == "assessing"
    unscheduled = add(desk, "no target date", state="assessing", size="XL")
    transition(desk.register, unscheduled, "approved")  # no period: not refused
    assert desk.store.tickets[unscheduled].status == "approved"


def test_require_capacity_is_off_until_enabled():
    from ci_plugin.ops.transition import transition
    desk = Desk('[budget.default]\neffort_days = 0\n')
    imp = add(desk, "big", state="assessing", size="XL", target="2027-03-01")
    transition(desk.register, imp, "approved")
    assert desk.store.tickets[imp].status == "approved"
