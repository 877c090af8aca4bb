"""The built-in scoring models: exact examples, input schemas, coercion, and their properties."""

from __future__ import annotations

import jsonschema
import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_plugin import hookspecs
from ci_plugin.domain import validation
from ci_plugin.errors import SchemaValidationError
from ci_plugin.plugins import core_scoring as builtin
from ci_plugin.scoring.base import Contribution, Score, ScoringModel, score, validate_inputs
from ci_plugin.scoring.models import ICEModel, QuadrantModel, RICEModel, WeightedModel, WSJFModel

WEIGHTED, WSJF, RICE, ICE, QUADRANT = WeightedModel(), WSJFModel(), RICEModel(), ICEModel(), QuadrantModel()
ALL = (WEIGHTED, WSJF, RICE, ICE, QUADRANT)


def contributions(result: Score) -> list[tuple[str, float]]:
    return [(line.input, line.contribution) for line in result.breakdown]


# --- exact examples -----------------------------------------------------------------------------


def test_weighted_default_weights():
    result = score(WEIGHTED, {"value": 8, "urgency": 5, "risk_reduction": 3, "effort": 4}, {})
    assert result.value == 32.0  # 3*8 + 2*5 + 2*3 - 2*4
    assert result.breakdown == (
        Contribution("value", 8, 3, 24.0, "benefit"),
        Contribution("urgency", 5, 2, 10.0, "benefit"),
        Contribution("risk_reduction", 3, 2, 6.0, "benefit"),
        Contribution("effort", 4, 2, -8.0, "cost, subtracted"),
    )
    assert result.label == ""


def test_weighted_custom_weights_from_settings():
    custom = {"criteria": {"impact": 1.5, "compliance": 4}, "costs": {"cost": 0.5, "effort": 1}}
    result = score(WEIGHTED, {"impact": 7, "compliance": 2, "cost": 3, "effort": 10}, custom)
    assert result.value == 7.0  # 10.5 + 8 - 1.5 - 10
    assert contributions(result) == [("impact", 10.5), ("compliance", 8.0), ("cost", -1.5), ("effort", -10.0)]


def test_weighted_costs_default_when_only_criteria_are_configured():
    schema = WEIGHTED.input_schema({"criteria": {"impact": 2}})
    assert schema["required"] == ["impact", "effort"]
    assert score(WEIGHTED, {"impact": 9, "effort": 2}, {"criteria": {"impact": 2}}).value == 14.0


def test_wsjf_divides_cost_of_delay_by_job_size():
    result = score(WSJF, {"business_value": 8, "time_criticality": 5, "risk_reduction": 2, "job_size": 3}, {})
    assert result.value == 5.0
    assert contributions(result) == [("business_value", 2.6667), ("time_criticality", 1.6667),
                                     ("risk_reduction", 0.6667), ("job_size", 0.0)]
    assert result.breakdown[-1].note == "divides cost of delay"
    assert all(line.weight is None for line in result.breakdown)


def test_wsjf_rounds_to_four_decimals():
    inputs = {"business_value": 13, "time_criticality": 8, "risk_reduction": 1, "job_size": 13}
    result = score(WSJF, inputs, {})
    assert result.value == 1.6923  # 22 / 13 = 1.692307...


def test_rice():
    result = score(RICE, {"reach": 1000, "impact": 0.5, "confidence": 80, "effort": 2}, {})
    assert result.value == 200.0
    assert contributions(result) == [("reach", 1000.0), ("impact", 500.0), ("confidence", 400.0),
                                     ("effort", 200.0)]
    assert result.breakdown[2].note == "x confidence 80%"


def test_rice_rounding():
    result = score(RICE, {"reach": 100, "impact": 3, "confidence": 70, "effort": 4.5}, {})
    assert result.value == 46.6667  # 100 * 3 * 0.7 / 4.5
    assert result.breakdown[-1].contribution == result.value


def test_ice():
    result = score(ICE, {"impact": 6, "confidence": 5, "ease": 4}, {})
    assert result.value == 120.0
    assert contributions(result) == [("impact", 6.0), ("confidence", 30.0), ("ease", 120.0)]


@pytest.mark.parametrize("value, effort, expected, label", [
    (8, 2, 4.0, "quick win"),
    (8, 8, 1.0, "major project"),
    (3, 2, 1.5, "fill-in"),
    (3, 9, 0.3333, "thankless task"),
    (5.5, 5.5, 1.0, "major project"),
    (5.5, 5.4, 1.0185, "quick win"),
    (5.4, 5.4, 1.0, "fill-in"),
    (5.4, 5.5, 0.9818, "thankless task"),
])
def test_quadrant_labels_with_the_default_threshold(value, effort, expected, label):
    result = score(QUADRANT, {"value": value, "effort": effort}, {})
    assert (result.value, result.label) == (expected, label)
    assert contributions(result) == [("value", float(value)), ("effort", expected)]


def test_quadrant_threshold_from_settings():
    assert score(QUADRANT, {"value": 7, "effort": 2}, {"threshold": 8}).label == "fill-in"
    assert score(QUADRANT, {"value": 7, "effort": 2}, {}).label == "quick win"


def test_to_json_has_the_assessment_shape():
    as_json = score(WEIGHTED, {"value": 8, "urgency": 5, "risk_reduction": 3, "effort": 4}, {}).to_json()
    assert as_json["score"] == 32.0 and as_json["label"] == ""
    assert as_json["breakdown"][3] == {"input": "effort", "value": 4, "weight": 2, "contribution": -8.0,
                                       "note": "cost, subtracted"}
    wsjf = score(WSJF, {"business_value": 8, "time_criticality": 5, "risk_reduction": 2, "job_size": 3}, {})
    assert "weight" not in wsjf.to_json()["breakdown"][0]
    assert score(QUADRANT, {"value": 8, "effort": 2}, {}).to_json()["label"] == "quick win"


EXAMPLES = {
    "weighted": {"value": 8, "urgency": 5, "risk_reduction": 3, "effort": 4},
    "wsjf": {"business_value": 8, "time_criticality": 5, "risk_reduction": 2, "job_size": 3},
    "rice": {"reach": 1000, "impact": 0.5, "confidence": 80, "effort": 2},
    "ice": {"impact": 6, "confidence": 5, "ease": 4},
    "quadrant": {"value": 8, "effort": 2},
}


@pytest.mark.parametrize("model", ALL, ids=lambda m: m.name)
def test_a_scored_assessment_passes_the_assessment_schema(model):
    inputs = EXAMPLES[model.name]
    document = {"model": model.name, "inputs": inputs, **score(model, inputs, {}).to_json()}
    if not document["label"]:
        del document["label"]
    validation.validate("assessment", document)


# --- input schemas ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ALL, ids=lambda m: m.name)
def test_input_schema_is_a_complete_draft_2020_12_schema(model):
    schema = model.input_schema({})
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False and schema["title"]
    assert schema["required"] == list(schema["properties"]) == list(EXAMPLES[model.name])
    for spec in schema["properties"].values():
        assert spec["type"] == "number" and spec["description"]
    assert isinstance(model, ScoringModel)


def reject(model, inputs, settings=None) -> SchemaValidationError:
    with pytest.raises(SchemaValidationError) as caught:
        score(model, inputs, settings or {})
    assert caught.value.what == f"{model.name} inputs"
    return caught.value


def test_missing_input_is_reported_at_the_root():
    error = reject(WEIGHTED, {"value": 8, "urgency": 5, "risk_reduction": 3})
    assert error.path == "$" and "'effort' is required" in error.message


@pytest.mark.parametrize("model, bad, path", [
    (WEIGHTED, {"effort": 11}, "$.effort"),
    (WEIGHTED, {"value": 0}, "$.value"),
    (WSJF, {"job_size": 0}, "$.job_size"),
    (WSJF, {"business_value": 21}, "$.business_value"),
    (RICE, {"impact": 1.5}, "$.impact"),
    (RICE, {"confidence": 101}, "$.confidence"),
    (RICE, {"reach": -1}, "$.reach"),
    (RICE, {"effort": 0}, "$.effort"),
    (ICE, {"ease": 10.5}, "$.ease"),
    (QUADRANT, {"value": 0.5}, "$.value"),
])
def test_out_of_range_input_names_its_path(model, bad, path):
    assert reject(model, {**EXAMPLES[model.name], **bad}).path == path


def test_unknown_input_is_named():
    error = reject(QUADRANT, {"value": 8, "effort": 2, "colour": 3})
    assert (error.path, error.message) == ("$.colour", "unknown key 'colour'")


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "1_000", "0x10", ""])
def test_text_that_is_not_a_number_is_rejected(text):
    error = reject(QUADRANT, {"value": text, "effort": 2})
    assert error.path == "$.value" and "is not of type 'number'" in error.message


def test_inputs_that_are_not_an_object_are_rejected_at_the_root():
    assert reject(ICE, ["impact", 3]).path == "$"


def test_non_finite_numbers_are_rejected():
    assert reject(QUADRANT, {"value": float("nan"), "effort": 2}).path == "$.value"


def test_a_score_that_overflows_is_rejected():
    error = reject(RICE, {"reach": 1e308, "impact": 3, "confidence": 100, "effort": 1e-10})
    assert error.path == "$" and "not a finite number" in error.message


def test_numbers_typed_on_the_command_line_are_coerced():
    inputs = {"value": "8", "urgency": " 5 ", "risk_reduction": "2.5", "effort": "+4"}
    checked = validate_inputs(WEIGHTED, inputs, {})
    assert checked == {"value": 8, "urgency": 5, "risk_reduction": 2.5, "effort": 4}
    assert type(checked["value"]) is int and type(checked["risk_reduction"]) is float
    assert inputs["value"] == "8"  # the caller's dict is left alone
    assert score(WEIGHTED, inputs, {}).value == 31.0  # 24 + 10 + 5 - 8
    typed = {"reach": "1e3", "impact": "0.5", "confidence": "80", "effort": "2"}
    assert score(RICE, typed, {}).value == 200.0


def test_validators_are_cached_per_settings():
    custom = {"criteria": {"impact": 1}, "costs": {}}
    assert validate_inputs(WEIGHTED, {"impact": 4}, custom) == {"impact": 4}
    assert reject(WEIGHTED, {**EXAMPLES["weighted"], "impact": 4}).path == "$.impact"  # unknown by default
    assert reject(WEIGHTED, EXAMPLES["weighted"], custom).path == "$"
    assert validate_inputs(WEIGHTED, {"impact": 4}, {"costs": {}, "criteria": {"impact": 1}}) == {"impact": 4}


@pytest.mark.parametrize("bad, path", [
    ({"criteria": {"value": -1}}, "$.criteria.value"),
    ({"criteria": {"value": "high"}}, "$.criteria.value"),
    ({"costs": ["effort"]}, "$.costs"),
    ({"criteria": {"effort": 1}}, "$.costs.effort"),
])
def test_malformed_weighted_settings_are_rejected(bad, path):
    with pytest.raises(SchemaValidationError) as caught:
        WEIGHTED.input_schema(bad)
    assert (caught.value.what, caught.value.path) == ("weighted settings", path)


def test_malformed_quadrant_threshold_is_rejected():
    with pytest.raises(SchemaValidationError) as caught:
        score(QUADRANT, {"value": 8, "effort": 2}, {"threshold": "high"})
    assert caught.value.path == "$.threshold"


# --- properties: monotone, absolute, reproducible ---------------------------------------------------

RICE_IMPACTS = list(RICEModel.IMPACTS)


def scale(low: float, high: float):
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


# per model: input -> (strategy, role); role is "benefit" or "cost"
SPACES = {
    "weighted": {"value": (scale(1, 10), "benefit"), "urgency": (scale(1, 10), "benefit"),
                 "risk_reduction": (scale(1, 10), "benefit"), "effort": (scale(1, 10), "cost")},
    "wsjf": {"business_value": (scale(1, 20), "benefit"), "time_criticality": (scale(1, 20), "benefit"),
             "risk_reduction": (scale(1, 20), "benefit"), "job_size": (scale(0.01, 20), "cost")},
    "rice": {"reach": (scale(0, 1e9), "benefit"), "impact": (st.sampled_from(RICE_IMPACTS), "benefit"),
             "confidence": (scale(0, 100), "benefit"), "effort": (scale(0.01, 1000), "cost")},
    "ice": {"impact": (scale(1, 10), "benefit"), "confidence": (scale(1, 10), "benefit"),
            "ease": (scale(1, 10), "benefit")},
    "quadrant": {"value": (scale(1, 10), "benefit"), "effort": (scale(1, 10), "cost")},
}
BOUNDS = {"weighted": (1, 10), "wsjf": (1, 20), "ice": (1, 10), "quadrant": (1, 10)}
RICE_BOUNDS = {"reach": (0, 1e9), "confidence": (0, 100), "effort": (0.01, 1000)}
MODEL_BY_NAME = {model.name: model for model in ALL}


def inputs_for(name: str):
    return st.fixed_dictionaries({key: strategy for key, (strategy, _) in SPACES[name].items()})


def bigger(name: str, key: str, current: float):
    """A strategy for a value of ``key`` not smaller than ``current``, within the schema."""
    if name == "rice" and key == "impact":
        return st.sampled_from([v for v in RICE_IMPACTS if v >= current])
    low, high = RICE_BOUNDS[key] if name == "rice" else BOUNDS[name]
    if name == "wsjf" and key == "job_size":
        low = 0.01  # > 0 in the schema; tiny sizes overflow the score
    return scale(max(low, current), high)


@pytest.mark.parametrize("name", list(SPACES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_model_is_monotone_per_input(name, data):
    model = MODEL_BY_NAME[name]
    before = data.draw(inputs_for(name))
    for key, (_, role) in SPACES[name].items():
        after = {**before, key: data.draw(bigger(name, key, before[key]))}
        low, high = score(model, before, {}).value, score(model, after, {}).value
        assert (high >= low) if role == "benefit" else (high <= low), (name, key, before, after)


@pytest.mark.parametrize("name", list(SPACES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_model_is_absolute_and_reproducible(name, data):
    model = MODEL_BY_NAME[name]
    inputs = data.draw(inputs_for(name))
    first = score(model, inputs, {})
    others = data.draw(st.lists(inputs_for(name), max_size=5))
    for other in others:
        score(model, other, {})
    again = score(model, dict(reversed(list(inputs.items()))), {})
    fresh = score(type(model)(), dict(inputs), {})
    assert first == again == fresh
    assert first.to_json() == fresh.to_json()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_weighted_additive_breakdown_sums_to_the_score(data):
    inputs = data.draw(inputs_for("weighted"))
    result = score(WEIGHTED, inputs, {})
    assert sum(line.contribution for line in result.breakdown) == pytest.approx(result.value, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_multiplicative_breakdowns_end_with_the_score(data):
    for name in ("rice", "ice", "quadrant"):
        result = score(MODEL_BY_NAME[name], data.draw(inputs_for(name)), {})
        assert result.breakdown[-1].contribution == result.value


# --- registration -------------------------------------------------------------------------------


def test_builtin_plugin_registers_the_five_models():
    pm = pluggy.PluginManager("ci_plugin")
    pm.add_hookspecs(hookspecs)
    pm.register(builtin)
    added = []
    pm.hook.ci_register_scoring_models(add_model=added.append)
    assert sorted(model.name for model in added) == ["ice", "quadrant", "rice", "weighted", "wsjf"]
    assert all(isinstance(model, ScoringModel) and model.title for model in added)
    assert {model.name: model.title for model in added}["wsjf"] == "Weighted shortest job first"
