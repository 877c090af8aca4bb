"""Issue 8, point 16 (malformed custom-field values): an agent can type anything into a field in
the host's UI (``CI Assessment`` = ``[1,2,3]``). Reading it never crashes: the value is left
out and reported, and a command that reads many improvements (``register``, ``prioritize``)
reports it, skips it and goes on. An update that would merge into such a value refuses instead
of silently dropping it."""

import json

import pytest

from ci_plugin.domain import fields
from ci_plugin.domain.model import Improvement
from ci_plugin.ops.assess import assess
from tests.unit.cli_desk import cli_desk, improvement, writes  # noqa: F401 (fixture)

MALFORMED = [
    ("assessment", "[1,2,3]"),
    ("assessment", '{"model": "wsjf"}'),
    ("assessment", '{"model": "wsjf", "inputs": {"x": [1]}, "score": 1}'),
    ("assessment", "not json at all"),
    ("assessment", "[" * 10_000 + "]" * 10_000),
    ("business_case", '"a string"'),
    ("business_case", '{"benefit": "lots"}'),
    ("business_case", '{"benefit": 1e400}'),
    ("measurements", '{"kpi": "MTTR"}'),
    ("measurements", '[{"kpi": "MTTR", "baseline": "eight", "target": 4}]'),
    ("measurements", '[{"kpi": "MTTR", "baseline": NaN, "target": 4}]'),
    ("measurements", "[1, 2, 3]"),
    ("score", "high"),
    ("score", "nan"),
    ("score", "1_000"),
    ("rank", "9" * 5000),
    ("rank", "first"),
    ("category", "nonsense"),
]


@pytest.mark.parametrize("key,raw", MALFORMED)
def test_decoding_leaves_a_malformed_value_out_and_says_why(key, raw):
    values = fields.decode_all({key: raw, "category": "process"} if key != "category" else {key: raw})
    assert key not in values and set(values.malformed) == {key}
    assert values.malformed[key] and len(values.malformed[key]) < 200
    assert fields.decode(key, raw) is None
    assert Improvement(id="1", title="T", state="new", values=values).malformed == values.malformed


def test_well_formed_values_decode_as_before():
    case = {"benefit": 100, "cost": 10, "roi": 9.0, "payback_months": 1.2, "currency": "EUR"}
    measurement = {"kpi": "MTTR", "baseline": 8, "target": 4, "actual": None, "direction": "lower"}
    values = fields.decode_all({"score": "4.5", "rank": "1000000000", "category": "process",
                                "business_case": json.dumps(case), "measurements": json.dumps([measurement]),
                                "assessment": json.dumps({"model": "wsjf", "inputs": {"a": 1, "b": "x"}, "score": 2})})
    assert values.malformed == {}
    assert (values["score"], values["rank"], values["category"]) == (4.5, 1000000000, "process")
    assert values["business_case"] == case and values["measurements"] == [measurement]


def _break(desk, imp, key, raw):
    desk.store.tickets[imp].fields[desk.cf(key)] = raw


def test_show_reports_a_malformed_assessment_and_prints_the_rest(run_cli, cli_desk):
    imp = improvement(cli_desk, category="process")
    _break(cli_desk, imp, "assessment", "[1,2,3]")
    result = run_cli("show", imp)
    assert result.code == 0, result.err
    assert f"#{imp}" in result.out and "process" in result.out
    assert f"ci-plugin: warning: improvement {imp}: field assessment ignored: '[1,2,3]' is not a JSON object" \
        in result.err
    as_json = run_cli("show", imp, "--json")
    assert as_json.code == 0 and "assessment" not in json.loads(as_json.out)


@pytest.mark.parametrize("key,raw", MALFORMED)
def test_register_reports_each_malformed_field_skips_it_and_lists_everything(run_cli, cli_desk, key, raw):
    good, bad = improvement(cli_desk, "Good one"), improvement(cli_desk, "Bad one")
    _break(cli_desk, bad, key, raw)
    for fmt in ("table", "csv", "json"):
        result = run_cli("register", "--format", fmt)
        assert result.code == 0, result.err
        assert good in result.out and bad in result.out
        assert f"improvement {bad}: field {key} ignored" in result.err


def test_prioritize_reports_the_malformed_one_and_ranks_the_others(run_cli, cli_desk):
    ids = [improvement(cli_desk, f"Improvement {n}") for n in range(3)]
    for n, imp in enumerate(ids):
        assess(cli_desk.register, imp, "quadrant", {"value": 9 - n, "effort": 2})
    _break(cli_desk, ids[1], "assessment", "[1,2,3]")
    result = run_cli("prioritize", "--json")
    assert result.code == 0, result.err
    ranking = json.loads(result.out)["ranking"]
    assert [e["id"] for e in ranking] == [ids[0], ids[2], ids[1]]
    assert ranking[2]["score"] is None
    assert f"improvement {ids[1]}: field assessment ignored" in result.err
    assert cli_desk.value(ids[1], "assessment") == "[1,2,3]"  # left as the agent typed it


@pytest.mark.parametrize("command,key", [
    (["case", "{imp}", "--cost", "5"], "business_case"),
    (["measure", "{imp}", "--kpi", "MTTR", "--actual", "3"], "measurements"),
])
def test_an_update_that_would_merge_into_a_malformed_value_refuses_and_writes_nothing(run_cli, cli_desk, command, key):
    imp = improvement(cli_desk)
    _break(cli_desk, imp, key, '{"benefit": "lots"}')
    before = writes(cli_desk)
    result = run_cli(*[part.format(imp=imp) for part in command])
    assert result.code == 2 and f"field {cli_desk.cf(key)!r} holds a value ci-plugin cannot read" in result.err
    assert writes(cli_desk) == before and cli_desk.value(imp, key) == '{"benefit": "lots"}'


def test_assess_replaces_a_malformed_assessment(run_cli, cli_desk):
    imp = improvement(cli_desk)
    _break(cli_desk, imp, "assessment", "[1,2,3]")
    result = run_cli("assess", imp, "--model", "quadrant", "--set", "value=8", "--set", "effort=2", "--json")
    assert result.code == 0, result.err
    assert json.loads(cli_desk.value(imp, "assessment"))["inputs"] == {"value": 8, "effort": 2}
