"""Contract: ``capacity`` reads the committed improvements (approved, planned, in-progress) from
the host, takes effort from ``case --effort-days`` or the size and money from the case cost, and
sums them per period of the target date against ``[budget]``. Other tests share the hosts: this
test uses a period of a year no other test uses, so its figures are exact."""

import json
import random

import pytest

pytestmark = pytest.mark.live


def _config(host, tmp_path, year):
    text = open(host.config_path, encoding="utf-8").read()
    path = tmp_path / "budget.toml"
    path.write_text(text + f'\n[budget]\nperiod = "quarter"\n[budget."{year}-Q2"]\neffort_days = 20\nmoney = 1000\n',
                    encoding="utf-8")
    return ("--config", str(path))


def _improvement(host, run_cli, config, title, state):
    made = run_cli(*config, "convert", host.ticket(title), "--category", "process")
    assert made.code == 0, made.err
    imp = made.out.strip()
    for step in dict.fromkeys(("assessing", state)):
        moved = run_cli(*config, "transition", imp, step)
        assert moved.code == 0, moved.err
    return imp


def test_capacity_sums_committed_effort_and_money_per_period(host, run_cli, tmp_path):
    year = random.randint(3000, 9000)
    config = _config(host, tmp_path, year)
    a = _improvement(host, run_cli, config, f"Capacity A {year}", "approved")
    b = _improvement(host, run_cli, config, f"Capacity B {year}", "approved")
    host.register.write_values(a, {"size": "M", "target_date": f"{year}-05-02"})
    host.register.write_values(b, {"size": "S", "target_date": f"{year}-06-30"})
    case = run_cli(*config, "case", a, "--benefit", "5000", "--cost", "1200", "--effort-days", "12")
    assert case.code == 0, case.err
    assert "effort 12 person-days" in case.out
    result = run_cli(*config, "capacity", "--period", f"{year}-Q2", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["period_kind"] == "quarter" and len(doc["periods"]) == 1
    entry = doc["periods"][0]
    assert entry["period"] == f"{year}-Q2" and sorted(entry["improvements"]) == sorted([a, b])
    assert entry["effort_days"] == {"committed": 17.0, "capacity": 20.0, "free": 3.0}  # 12 (case) + 5 (S)
    assert entry["money"] == {"committed": 1200.0, "capacity": 1000.0, "free": -200.0}
    assert entry["over_committed"] is True
    text = run_cli(*config, "capacity", "--period", f"{year}-Q2")
    assert text.code == 0 and "OVER-COMMITTED" in text.out and f"{year}-Q2" in text.out


def test_capacity_refuses_a_period_of_the_other_kind(host, run_cli, tmp_path):
    config = _config(host, tmp_path, 3000)
    result = run_cli(*config, "capacity", "--period", "2027-01", "--json")
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "--period" in result.err and "Traceback" not in result.err


def test_require_capacity_refuses_an_approval_that_over_commits(host, run_cli, tmp_path):
    year = random.randint(3000, 9000)
    config = _config(host, tmp_path, year)
    with open(config[1], "a", encoding="utf-8") as file:
        file.write('\n[hooks]\nenabled = ["require_capacity"]\n')
    first = _improvement(host, run_cli, config, f"Capacity guard A {year}", "assessing")
    second = _improvement(host, run_cli, config, f"Capacity guard B {year}", "assessing")
    host.register.write_values(first, {"size": "L", "target_date": f"{year}-04-10"})  # 40 > 20
    host.register.write_values(second, {"size": "S", "target_date": f"{year}-04-11"})  # 5 <= 20
    refused = run_cli(*config, "transition", first, "approved")
    assert refused.code == 5 and refused.err.count("\n") == 1, refused.err
    assert (f"require_capacity: improvement {first} would over-commit {year}-Q2: "
            "effort days 40 of 20 person-days (20 over)") in refused.err
    assert host.status(first) == host.status(second)  # refused: still in assessing on the host
    moved = run_cli(*config, "transition", second, "approved")
    assert moved.code == 0, moved.err
    doc = json.loads(run_cli(*config, "capacity", "--period", f"{year}-Q2", "--json").out)
    assert doc["periods"][0]["improvements"] == [second]
