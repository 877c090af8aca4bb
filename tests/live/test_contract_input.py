"""Contract (issue 8, points 10, 13, 16, 17): bad input never reaches the host, odd but valid
input arrives as typed, and a malformed value an agent typed into the host is reported and
skipped, never a crash; on every host."""

import csv
import io
import json

import pytest

from tests.conftest import Run

pytestmark = pytest.mark.live


@pytest.fixture
def cli(run_cli, capsys):
    """run_cli, also for what argparse refuses (exit 2 with its usage line)."""

    def run(host, *args):
        try:
            return run_cli("--config", host.config_path, *args)
        except SystemExit as exc:
            captured = capsys.readouterr()
            return Run(exc.code, captured.out, captured.err)

    return run


def new_improvement(host, cli, *args):
    result = cli(host, "convert", host.ticket("Printer queue stalls"), *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_title_that_begins_with_a_dash_arrives_as_typed(host, cli):
    record = new_improvement(host, cli, "--title", "-3+4")
    assert record["title"] == "-3+4"
    assert host.register.host.get_ticket(record["id"], links=False).title == "-3+4"


@pytest.mark.parametrize("args", [
    ("case", "--benefit", "nan"), ("case", "--cost", "inf"), ("case", "--benefit", "1e400"),
    ("case", "--benefit", "100", "--currency", "EUR\n"),
    ("measure", "--kpi", "MTTR", "--baseline", "nan", "--target", "4"),
    ("measure", "--kpi", "MTTR", "--baseline", "8", "--target", "1e400"),
])
def test_nan_infinite_and_newline_values_are_refused_before_anything_is_written(host, cli, args):
    imp = new_improvement(host, cli)["id"]
    result = cli(host, args[0], imp, *args[1:], "--json")
    assert result.code == 2 and result.out == "" and "NaN" not in result.out
    assert host.field(imp, "business_case") == [] and host.field(imp, "measurements") == []


def test_an_id_in_unicode_digits_never_reaches_another_ticket(host, cli):
    imp = new_improvement(host, cli)["id"]
    wide = "".join(chr(ord("０") + int(d)) for d in imp)
    result = cli(host, "transition", wide, "assessing")
    assert result.code == 2 and "is not a positive number" in result.err
    assert host.register.get(imp).state == "new"


def test_a_malformed_field_is_reported_skipped_and_every_command_goes_on(host, cli):
    good = new_improvement(host, cli)["id"]
    bad = new_improvement(host, cli, "--category", "process")["id"]
    for imp in (good, bad):
        assessed = cli(host, "assess", imp, "--model", "quadrant", "--set", "value=8", "--set", "effort=2")
        assert assessed.code == 0, assessed.err
    host.register.host.update_fields(bad, {"assessment": "[1,2,3]"})
    warning = f"improvement {bad}: field assessment ignored: '[1,2,3]' is not a JSON object"

    shown = cli(host, "show", bad)
    assert shown.code == 0 and f"#{bad}" in shown.out and "process" in shown.out and warning in shown.err
    listed = cli(host, "register", "--json")
    assert listed.code == 0 and warning in listed.err
    ids = [r["id"] for r in json.loads(listed.out)]
    assert good in ids and bad in ids
    ranked = cli(host, "prioritize", "--dry-run", "--json")
    assert ranked.code == 0 and warning in ranked.err
    scores = {e["id"]: e["score"] for e in json.loads(ranked.out)["ranking"]}
    assert scores[good] == 4 and scores[bad] is None
    assert host.field(bad, "assessment") == ["[1,2,3]"]  # left as the agent typed it


def test_register_csv_from_the_host_cannot_run_a_formula(host, cli):
    titles = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1:A9)"]
    ids = [new_improvement(host, cli, "--title", title)["id"] for title in titles]
    result = cli(host, "register", "--format", "csv")
    assert result.code == 0, result.err
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(result.out))}
    assert [rows[i]["title"] for i in ids] == ["'" + t for t in titles]
