"""Issue 8, point 17: bad values are refused before they reach the host. NaN, infinities and
1e400 in ``case`` and ``measure``; a currency or URL with a trailing newline; a watch interval
that would make a busy loop; NaN/inf/huge timeouts; and the decisions README states for
Unicode digits (``５７``), ``##57``, a repeated ``--set`` name, ``1_000`` and ``--model ''``."""

import argparse
import math

import pytest

from ci_plugin import config
from ci_plugin.cli.args import number, parse_assignments, parse_number
from ci_plugin.domain import business_case, fields, kpi
from ci_plugin.errors import ConfigError, SchemaValidationError, UsageError
from ci_plugin.ops import sync as sync_ops
from ci_plugin.ops.case import record_business_case
from ci_plugin.ops.measure import measure
from tests.conftest import Run
from tests.unit.cli_desk import cli_desk, improvement, writes  # noqa: F401 (fixture)

MINIMAL = '[host]\ntype = "rt"\nurl = "http://127.0.0.1:8080"\ntoken_env = "RT_TOKEN"\n'
NOT_NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1_000", "５７", "٣", "²", "0x10",
               "", " ", "1,5", "1.2.3", "9" * 5000]


@pytest.fixture
def cli(run_cli, capsys):
    """run_cli, also for what argparse refuses (it exits 2 with its usage line)."""

    def run(*args):
        try:
            return run_cli(*args)
        except SystemExit as exc:
            captured = capsys.readouterr()
            return Run(exc.code, captured.out, captured.err)

    return run


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_number_option_refuses_what_is_not_a_plain_finite_decimal(text):
    with pytest.raises(argparse.ArgumentTypeError):
        number(text)


@pytest.mark.parametrize("text,value", [("8", 8), ("-2.5", -2.5), ("1e3", 1000.0), (" 4 ", 4), ("0.25", 0.25),
                                        ("+3", 3), (".5", 0.5)])
def test_a_number_option_takes_plain_decimals(text, value):
    assert parse_number(text) == value and type(parse_number(text)) is type(value)


@pytest.mark.parametrize("flag,value", [("--benefit", "nan"), ("--cost", "inf"), ("--running-cost", "1e400"),
                                        ("--cost-of-inaction", "-inf"), ("--benefit", "1_000")])
def test_case_refuses_nan_and_infinite_amounts_before_writing(cli, cli_desk, flag, value):
    imp = improvement(cli_desk)
    before = writes(cli_desk)
    result = cli("case", imp, flag, value, "--json")
    assert result.code == 2 and result.out == "" and "NaN" not in result.out
    assert writes(cli_desk) == before and cli_desk.value(imp, "business_case") in (None, "")


@pytest.mark.parametrize("flag,value", [("--baseline", "nan"), ("--target", "inf"), ("--actual", "1e400")])
def test_measure_refuses_nan_and_infinite_values_before_writing(cli, cli_desk, flag, value):
    imp = improvement(cli_desk)
    args = {"--baseline": "8", "--target": "4", flag: value}
    before = writes(cli_desk)
    result = cli("measure", imp, "--kpi", "MTTR", *[x for kv in args.items() for x in kv], "--json")
    assert result.code == 2 and result.out == ""
    assert writes(cli_desk) == before and cli_desk.value(imp, "measurements") in (None, "")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_the_operations_refuse_non_finite_amounts_from_any_caller(cli_desk, value):
    imp = improvement(cli_desk)
    before = writes(cli_desk)
    with pytest.raises(UsageError, match=r"\$\.cost"):
        record_business_case(cli_desk.register, imp, {"benefit": 100, "cost": value})
    with pytest.raises(UsageError, match=r"\$\.target: .*finite"):
        measure(cli_desk.register, imp, "MTTR", baseline=8, target=value)
    assert writes(cli_desk) == before


def test_derived_values_that_overflow_are_refused():
    with pytest.raises(SchemaValidationError, match=r"\$\.roi"):
        business_case.derive({"benefit": 1e308, "cost_of_inaction": 1e308, "cost": 1})
    with pytest.raises(SchemaValidationError, match=r"\$\.baseline"):
        kpi.check({"kpi": "x", "baseline": math.nan, "target": 1})


@pytest.mark.parametrize("currency", ["EUR\n", "EUR\r\n", "eur", "EURO"])
def test_a_currency_with_a_trailing_newline_is_refused(currency):
    with pytest.raises(SchemaValidationError, match=r"\$\.currency"):
        business_case.derive({"benefit": 1, "currency": currency})


@pytest.mark.parametrize("key,value", [("url", '"http://127.0.0.1:8080\\n"'), ("token_env", '"RT_TOKEN\\n"')])
def test_a_config_string_with_a_trailing_newline_is_refused(key, value):
    text = MINIMAL.replace(f'{key} = ', f'{key} = {value}\n#', 1)
    with pytest.raises(ConfigError, match=rf"\$\.host\.{key}"):
        config.parse(text, environ={})


@pytest.mark.parametrize("setting", ["timeout = nan", "connect_timeout = inf", "timeout = 1e300",
                                     "connect_timeout = -inf", "timeout = 86400000"])
def test_nan_infinite_and_huge_timeouts_are_refused(setting):
    with pytest.raises(ConfigError, match=r"\$\.host\.(connect_)?timeout"):
        config.parse(MINIMAL + setting + "\n", environ={})


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "0.5", "1e-300", "1e9"])
def test_a_watch_interval_in_the_config_that_would_busy_loop_is_refused(value):
    with pytest.raises(ConfigError, match=r"\$\.watch\.interval"):
        config.parse(MINIMAL + f"[watch]\ninterval = {value}\n", environ={})


@pytest.mark.parametrize("value", ["-5", "nan", "1e-300", "0", "inf", "0.5", "100000"])
def test_watch_interval_that_would_busy_loop_is_refused_before_any_pass(cli, cli_desk, monkeypatch, value):
    monkeypatch.setattr(sync_ops, "sync", lambda register: pytest.fail("a pass ran"))
    before = cli_desk.adapter.session.request_count if hasattr(cli_desk.adapter.session, "request_count") else None
    result = cli("watch", "--interval", value, "--passes", "1")
    assert result.code == 2 and "--interval" in result.err
    if before is not None:
        assert cli_desk.adapter.session.request_count == before


@pytest.mark.parametrize("value", [-5, math.nan, 1e-300, 0, math.inf])
def test_the_watch_operation_checks_its_interval_too(cli_desk, value):
    slept = []
    with pytest.raises(UsageError, match="interval"):
        sync_ops.watch(cli_desk.register, value, passes=2, sleep=slept.append)
    assert slept == []


@pytest.mark.parametrize("text", ["５７", "##57", "²", "+57", "0", "-57", "57abc", "5 7", "0x39", "9" * 19])
def test_an_improvement_id_that_is_not_plain_ascii_digits_is_refused_and_nothing_written(run_cli, cli_desk, text):
    improvement(cli_desk)
    before = writes(cli_desk)
    result = run_cli("transition", text, "assessing")
    assert result.code == 2 and "is not a positive number" in result.err
    assert writes(cli_desk) == before


@pytest.mark.parametrize("text,expected", [("57", "57"), ("#57", "57"), (" 57 ", "57"), ("0057", "57")])
def test_accepted_ids_and_how_they_are_normalised(text, expected):
    assert fields.parse_ticket_id(text) == expected


def test_an_id_list_with_unicode_digits_is_refused():
    with pytest.raises(UsageError, match="is not a ticket id"):
        fields.encode_checked_ids("source_tickets", ["12", "５７"])


def test_a_set_name_given_twice_is_refused():
    with pytest.raises(UsageError, match="given twice"):
        parse_assignments(["value=8", "effort=3", "value=9"])
    with pytest.raises(UsageError, match="given twice"):
        parse_assignments(["value=8", " value =8"])


@pytest.mark.parametrize("value", ["５", "٣", "1²"])
def test_a_set_value_with_unicode_digits_is_refused(value):
    with pytest.raises(UsageError, match="ASCII digits"):
        parse_assignments([f"value={value}"])


@pytest.mark.parametrize("args,needle", [
    (["--set", "value=8", "--set", "value=9", "--set", "effort=2"], "given twice"),
    (["--set", "value=1_000", "--set", "effort=2"], "$.value"),
    (["--set", "value=５", "--set", "effort=2"], "ASCII digits"),
    (["--set", "value=nan", "--set", "effort=2"], "$.value"),
])
def test_assess_refuses_bad_set_values_before_writing(run_cli, cli_desk, args, needle):
    imp = improvement(cli_desk)
    before = writes(cli_desk)
    result = run_cli("assess", imp, "--model", "quadrant", *args)
    assert result.code == 2 and needle in result.err, result.err
    assert writes(cli_desk) == before


@pytest.mark.parametrize("command", [["assess", "{imp}", "--model", "", "--set", "value=8", "--set", "effort=2"],
                                     ["assess", "{imp}", "--model", "  ", "--set", "value=8", "--set", "effort=2"],
                                     ["prioritize", "--model", ""]])
def test_an_empty_model_name_is_refused_not_taken_for_the_default(run_cli, cli_desk, command):
    imp = improvement(cli_desk)
    before = writes(cli_desk)
    result = run_cli(*[part.format(imp=imp) for part in command])
    assert result.code == 2 and "--model: empty model name" in result.err
    assert writes(cli_desk) == before
