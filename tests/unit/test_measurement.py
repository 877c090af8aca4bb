"""KPI measurements: direction, verdict boundaries, progress, overall verdict, schema errors."""

from __future__ import annotations

import pytest

from ci_plugin.errors import SchemaValidationError
from ci_plugin.domain.kpi import check, describe, direction, overall, progress, verdict

MTTR = {"kpi": "MTTR", "unit": "h", "baseline": 8, "target": 4}
FCR = {"kpi": "first contact resolution", "unit": "%", "baseline": 60, "target": 80}


def test_direction_is_inferred_from_baseline_and_target():
    assert direction(MTTR) == "lower"
    assert direction(FCR) == "higher"
    assert direction({"baseline": 5, "target": 5}) == "higher"
    assert direction({**FCR, "direction": "lower"}) == "lower"


@pytest.mark.parametrize("actual, expected", [
    (3, "met"), (4, "met"), (4.01, "partly"), (5, "partly"), (7.99, "partly"), (8, "missed"), (9, "missed"),
])
def test_lower_is_better_verdicts(actual, expected):
    assert verdict({**MTTR, "actual": actual}) == expected


@pytest.mark.parametrize("actual, expected", [
    (90, "met"), (80, "met"), (79.9, "partly"), (61, "partly"), (60, "missed"), (50, "missed"),
])
def test_higher_is_better_verdicts(actual, expected):
    assert verdict({**FCR, "actual": actual}) == expected


@pytest.mark.parametrize("actual, expected", [(99.99, "met"), (99.95, "met"), (99.94, "missed")])
def test_target_equal_to_baseline_is_met_or_missed(actual, expected):
    assert verdict({"kpi": "availability", "baseline": 99.95, "target": 99.95, "actual": actual}) == expected


def test_target_equal_to_baseline_lower_is_better():
    held = {"kpi": "backlog", "baseline": 10, "target": 10, "direction": "lower"}
    assert verdict({**held, "actual": 9}) == "met"
    assert verdict({**held, "actual": 10}) == "met"
    assert verdict({**held, "actual": 11}) == "missed"


def test_no_verdict_without_an_actual():
    assert verdict(MTTR) is None
    assert verdict({**MTTR, "actual": None}) is None
    assert progress(MTTR) is None


def test_progress():
    assert progress({**MTTR, "actual": 5}) == 0.75
    assert progress({**MTTR, "actual": 2}) == 1.5
    assert progress({**MTTR, "actual": 10}) == -0.5
    assert progress({**FCR, "actual": 70}) == 0.5
    assert progress({"kpi": "x", "baseline": 3, "target": 3, "actual": 4}) == 1.0
    assert progress({"kpi": "x", "baseline": 3, "target": 3, "actual": 2}) == 0.0


def test_overall():
    met, partly, missed = ({**MTTR, "actual": a} for a in (4, 5, 9))
    assert overall([met, met]) == "met"
    assert overall([missed, missed]) == "missed"
    assert overall([met, missed]) == "partly"
    assert overall([partly]) == "partly"
    assert overall([met, MTTR]) is None
    assert overall([]) is None


def test_describe():
    assert describe({**MTTR, "actual": 5}) == (
        "MTTR: baseline 8 h, target 4 h, actual 5 h (lower is better) -> partly (75%)")
    assert describe({"kpi": "CSAT", "baseline": 3.5, "target": 4.2}) == (
        "CSAT: baseline 3.5, target 4.2, not measured yet (higher is better)")
    assert describe({**FCR, "actual": 55}) == (
        "first contact resolution: baseline 60 %, target 80 %, actual 55 % (higher is better) "
        "-> missed (-25%)")


def test_check_fills_direction_and_verdict_and_leaves_the_input_alone():
    entry = {**MTTR, "actual": 5}
    assert check(entry) == {**MTTR, "actual": 5, "direction": "lower", "verdict": "partly"}
    assert "verdict" not in entry and "direction" not in entry
    assert check(MTTR) == {**MTTR, "direction": "lower"}


def test_check_recomputes_a_stale_verdict():
    assert check({**MTTR, "actual": 4, "verdict": "missed"})["verdict"] == "met"
    assert "verdict" not in check({**MTTR, "verdict": "met"})


def test_check_keeps_an_explicit_direction():
    ceiling = {"kpi": "errors", "baseline": 10, "target": 20, "direction": "lower"}
    entry = check({**ceiling, "actual": 15})
    assert (entry["direction"], entry["verdict"]) == ("lower", "met")
    assert check({**ceiling, "actual": 25})["verdict"] == "missed"
    assert check({**ceiling, "direction": "higher", "actual": 15})["verdict"] == "partly"


@pytest.mark.parametrize("entry, path", [
    ({"kpi": "MTTR", "baseline": 8}, "$"),
    ({"kpi": "MTTR", "baseline": "eight", "target": 4}, "$.baseline"),
    ({"kpi": "MTTR", "baseline": 8, "target": 4, "actual": "5h"}, "$.actual"),
    ({"kpi": "MTTR", "baseline": 8, "target": 4, "direction": "down"}, "$.direction"),
    ({"kpi": "", "baseline": 8, "target": 4}, "$.kpi"),
    ({"kpi": "MTTR", "baseline": 8, "target": 4, "owner": "me"}, "$.owner"),
])
def test_check_reports_schema_errors_by_path(entry, path):
    with pytest.raises(SchemaValidationError) as caught:
        check(entry)
    assert caught.value.path == path
    assert caught.value.what.startswith("measurement")
