"""``ci-plugin measure`` with --query / --refresh: examples from the README work, and every bad
input exits non-zero with one line naming what was wrong, before anything is written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.unit.cli_desk import cli_desk, improvement, writes  # noqa: F401 (fixture)

QUERY = "Queue = 'General' AND Subject LIKE 'password'"


def last_week() -> str:
    today = datetime.now(timezone.utc).date()
    return f"{today - timedelta(days=7)}..{today}"


@pytest.fixture
def imp(cli_desk):
    for i in range(3):
        ticket = cli_desk.ticket(f"password reset {i}")
        created = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3, hours=i)
        cli_desk.store.tickets[ticket].created = created.isoformat()
    return improvement(cli_desk)


def test_define_then_refresh_prints_the_kpi_and_its_provenance(cli_desk, imp, run_cli):
    run = run_cli("measure", imp, "--kpi", "password resets/week", "--query", QUERY, "--metric", "count",
                  "--per", "week", "--baseline-window", last_week(), "--target", "1")
    assert run.code == 0, run.err
    assert "baseline 3" in run.out and "count per week" in run.out and "from 3 ticket(s)" in run.out
    run = run_cli("measure", imp, "--kpi", "password resets/week", "--refresh", "--window", last_week())
    assert run.code == 0, run.err
    assert "actual 3" in run.out and "-> missed" in run.out
    shown = run_cli("show", imp)
    assert "kpi source" in shown.out and QUERY in shown.out


@pytest.mark.parametrize("args, words", [
    (["--query", QUERY, "--metric", "sum", "--baseline-window", "W", "--target", "1"], "unknown metric 'sum'"),
    (["--query", QUERY, "--metric", "p90_resolution_hours", "--per", "week", "--baseline-window", "W", "--target", "1"],
     "--per scales a count"),
    (["--query", QUERY, "--metric", "count", "--target", "1"], "needs --baseline-window"),
    (["--query", QUERY, "--metric", "count", "--baseline-window", "2026-11-08..2026-11-01", "--target", "1"], "reversed"),
    (["--query", QUERY, "--metric", "count", "--baseline-window", "2026-11-01..2026-11-01", "--target", "1"], "empty"),
    (["--query", QUERY, "--metric", "count", "--baseline-window", "2026-11-01..2999-01-01", "--target", "1"], "future"),
    (["--query", QUERY, "--metric", "count", "--baseline-window", "W", "--target", "1", "--actual", "3"], "leave out --actual"),
    (["--query", "Queue = ", "--metric", "count", "--baseline-window", "W", "--target", "1"], "refused the query"),
    (["--query", QUERY, "--metric", "count", "--per", "year", "--baseline-window", "W", "--target", "1"],
     "unknown period 'year'"),
    (["--refresh", "--metric", "count"], "--refresh takes only --window"),
    (["--window", "W"], "--window belongs to --refresh"),
])
def test_bad_input_is_one_line_non_zero_and_writes_nothing(cli_desk, imp, run_cli, args, words):
    before = writes(cli_desk)
    args = [last_week() if a == "W" else a for a in args]
    run = run_cli("measure", imp, "--kpi", "k", *args)
    assert run.code != 0 and words in run.err
    assert len([line for line in run.err.splitlines() if not line.startswith(("usage:", " "))]) == 1
    assert "Traceback" not in run.err and writes(cli_desk) == before


def test_refresh_of_a_hand_entered_kpi_is_refused_and_writes_nothing(cli_desk, imp, run_cli):
    assert run_cli("measure", imp, "--kpi", "MTTR", "--baseline", "8", "--target", "4").code == 0
    before = writes(cli_desk)
    run = run_cli("measure", imp, "--kpi", "MTTR", "--refresh", "--window", last_week())
    assert run.code == 2 and "entered by hand" in run.err and len(run.err.strip().splitlines()) == 1
    assert writes(cli_desk) == before
