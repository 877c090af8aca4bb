"""Issue 8, point 13: what people read. ``show`` separates every label from its value and prints
the business case as a sentence, the models table keeps long names apart from their titles, a
KPI missed with no movement is 0%, and an option value that begins with ``-`` (``--title
"-3+4"``) is the value, not an unknown option."""

import json

import pytest

from ci_plugin.cli import cmd_assess, render
from ci_plugin.cli.main import build_parser, join_dash_values
from ci_plugin.domain import business_case, kpi
from ci_plugin.domain.model import Improvement
from ci_plugin.hookspecs import hookimpl
from ci_plugin.plugins import PluginManager
from ci_plugin.scoring.base import Contribution, Score
from tests.unit.cli_desk import cli_desk, improvement  # noqa: F401 (fixture)


def test_show_puts_two_spaces_between_every_label_and_its_value():
    imp = Improvement(id="5", title="T", state="new", url="http://h/5", owner="alice",
                      values={"category": "process", "source": "incident", "source_tickets": ["1"],
                              "target_date": "2027-01-31", "score": 3},
                      links={"sources": ["1"], "problems": ["2"], "projects": ["3"], "follow_ups": ["4"],
                             "depends_on": ["6"], "related": ["7"]})
    lines = render.detail(imp, position=1).splitlines()[1:]
    for line in lines:
        label, value = line[2:render.LABEL_WIDTH + 2].rstrip(), line[render.LABEL_WIDTH + 2:]
        assert line.startswith("  ") and value and not value.startswith(" "), line
        assert line[2 + len(label):2 + len(label) + 2] == "  ", line
    assert "  source tickets  #1" in lines


def test_show_prints_the_business_case_as_a_sentence_not_json():
    case = business_case.derive({"benefit": 24000, "cost": 9000, "running_cost": 1500, "currency": "EUR"})
    text = render.detail(Improvement(id="5", title="T", state="new", values={"business_case": case}))
    line = next(line for line in text.splitlines() if "business case" in line)
    assert "{" not in line and '"' not in line
    assert line.endswith(business_case.summary(case))
    assert "benefit 24000 EUR/yr" in line and "ROI 1.5" in line and "payback 4.8 months" in line


def test_show_prints_each_kpi_as_measure_does():
    m = kpi.check({"kpi": "MTTR", "baseline": 8, "target": 4, "actual": 5, "unit": "h"})
    text = render.detail(Improvement(id="5", title="T", state="new", values={"measurements": [m]}))
    assert f"  kpi             {kpi.describe(m)}" in text.splitlines()


@pytest.mark.parametrize("m", [
    {"kpi": "MTTR", "baseline": 8, "target": 4, "actual": 8},        # lower is better, no movement
    {"kpi": "CSAT", "baseline": 70, "target": 90, "actual": 70},     # higher is better, no movement
    {"kpi": "MTTR", "baseline": 8, "target": 4, "actual": 8.001},    # a hair the wrong way
])
def test_a_kpi_missed_without_movement_is_zero_percent_never_minus_zero(m):
    line = kpi.describe(kpi.check(m))
    assert line.endswith("-> missed (0%)"), line


def test_progress_keeps_its_sign_when_it_really_moved_the_wrong_way():
    assert kpi.describe(kpi.check({"kpi": "MTTR", "baseline": 8, "target": 4, "actual": 10})).endswith("(-50%)")


class LongNamedModel:
    name = "weighted_shortest_job_first_extended"
    title = "A very long model"

    def input_schema(self, settings):
        return {"type": "object", "properties": {"x": {"type": "number", "description": "an input"}},
                "required": ["x"], "additionalProperties": False}

    def score(self, inputs, settings):
        return Score(inputs["x"], (Contribution("x", inputs["x"], None, inputs["x"]),))


class LongModelPlugin:
    @hookimpl
    def ci_register_scoring_models(self, add_model):
        add_model(LongNamedModel())


def test_the_models_table_keeps_a_long_name_apart_from_its_title(run_cli, monkeypatch):
    manager = PluginManager(load_external=False, extra_plugins=[("long", LongModelPlugin())])
    monkeypatch.setattr(cmd_assess, "load_plugins", lambda cfg=None: manager)
    result = run_cli("models")
    assert result.code == 0, result.err
    names = [line for line in result.out.splitlines() if line and not line.startswith(" ")]
    assert f"{LongNamedModel.name}  {LongNamedModel.title}" in names
    width = len(LongNamedModel.name) + 2
    assert all(line[:width].rstrip() and line[width - 2:width] == "  " for line in names)
    inputs = [line for line in result.out.splitlines() if line.startswith(" ")]
    assert inputs and all(line.startswith(" " * (width + 2)) for line in inputs)


@pytest.mark.parametrize("value", ["-3+4", "-", "-x", "-1", "--not-an-option", "-=1"])
def test_an_option_value_that_begins_with_a_dash_is_the_value(value):
    parser = build_parser()
    args = parser.parse_args(join_dash_values(parser, ["convert", "12", "--title", value]))
    assert args.title == value
    args = parser.parse_args(join_dash_values(parser, ["transition", "5", "closed", "--note", value]))
    assert args.note == value


def test_a_real_option_after_a_value_option_is_still_an_option():
    parser = build_parser()
    with pytest.raises(SystemExit):  # --title without its value: argparse says so
        parser.parse_args(join_dash_values(parser, ["convert", "12", "--title", "--json"]))
    args = parser.parse_args(join_dash_values(parser, ["convert", "12", "--title", "-3+4", "--json"]))
    assert args.title == "-3+4" and args.json is True
    assert join_dash_values(parser, ["convert", "--", "--title", "-3+4"]) == ["convert", "--", "--title", "-3+4"]


def test_convert_title_minus_three_plus_four_is_the_title(run_cli, cli_desk):
    ticket = cli_desk.ticket("Printer queue stalls")
    result = run_cli("convert", ticket, "--title", "-3+4", "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["title"] == "-3+4" and cli_desk.store.tickets[record["id"]].subject == "-3+4"


def test_show_of_a_stored_business_case_reads_as_a_sentence(run_cli, cli_desk):
    imp = improvement(cli_desk)
    assert run_cli("case", imp, "--benefit", "24000", "--cost", "9000", "--currency", "EUR").code == 0
    shown = run_cli("show", imp)
    assert shown.code == 0, shown.err
    line = next(line for line in shown.out.splitlines() if "business case" in line)
    assert line.startswith("  business case   benefit 24000 EUR/yr, cost 9000 EUR") and "{" not in line
