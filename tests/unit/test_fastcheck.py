"""The compiled input check must agree with jsonschema on every document, for every model."""

import math

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_plugin import plugins
from ci_plugin.scoring.fastcheck import compile_check

MODELS = plugins.PluginManager(load_external=False).scoring_models()
SCHEMAS = {name: model.input_schema({}) for name, model in MODELS.items()}

values = st.one_of(
    st.integers(-30, 120), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=3), st.sampled_from([0, 0.25, 0.5, 1, 2, 3, 1.0, 20, 20.5, 100, 101]),
)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_builtin_model_schema_compiles(name):
    assert compile_check(SCHEMAS[name]) is not None


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_compiled_check_never_disagrees_with_jsonschema(name, data):
    schema = SCHEMAS[name]
    keys = list(schema["properties"]) + ["unknown"]
    document = data.draw(st.dictionaries(st.sampled_from(keys), values, max_size=len(keys)))
    fast = compile_check(schema)(document)
    if fast:  # the fast path may only accept what jsonschema accepts
        assert jsonschema.Draft202012Validator(schema).is_valid(document)
    else:  # and may send valid documents to the slow path only when they hold a non-finite number
        # (jsonschema's minimum/maximum let NaN through; validate_inputs refuses it after them)
        assert not jsonschema.Draft202012Validator(schema).is_valid(document) or any(
            isinstance(v, float) and not math.isfinite(v) for v in document.values())


def test_schemas_outside_the_subset_are_not_compiled():
    assert compile_check({"type": "object", "properties": {"a": {"type": "string"}}}) is None
    assert compile_check({"type": "object", "properties": {"a": {"type": "number", "multipleOf": 2}}}) is None
    assert compile_check({"type": "object", "additionalProperties": {"type": "number"}}) is None
    assert compile_check({"type": "array"}) is None
