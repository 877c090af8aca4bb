"""stats against the in-memory host: every figure (raised per month, per source kind and queue,
top submitters and converting agents, conversion lead time, median time per state, closed per
month and the verdict shares), --since, and the reads it makes."""

import json

import pytest

from ci_plugin.cli import main
from ci_plugin.domain import engagement
from ci_plugin.errors import UsageError
from ci_plugin.ops.convert import convert
from ci_plugin.ops.stats import stats
from tests.unit.memory_desk import Desk, desk  # noqa: F401 (fixture)


def improvement(desk, created, *, kind="incident", submitter="alice", converter="bob", source_created=None,
                history=(), status="new", verdict=None):
    ticket = desk.ticket(f"ticket {created}", kind=kind)
    desk.store.tickets[ticket].creator = submitter
    desk.store.tickets[ticket].created = source_created or created
    imp = convert(desk.register, [ticket], category="process").improvement.id
    record = desk.store.tickets[imp]
    record.created, record.creator, record.status = created, converter, status
    record.history = [list(change) for change in history]
    if verdict:
        record.fields[desk.cf("verdict")] = verdict
    return imp


def direct(desk, created, submitter):
    imp = desk.store.create_ticket("Improvements", "an idea", "", {desk.cf("source"): "idea"}, creator=submitter)
    desk.store.tickets[imp].created = created
    return imp


@pytest.fixture
def filled(desk):
    improvement(desk, "2026-01-10T10:00:00+00:00", source_created="2026-01-09T10:00:00+00:00")  # 24 h lead
    improvement(desk, "2026-01-20T10:00:00+00:00", source_created="2026-01-20T04:00:00+00:00", kind="problem",
                submitter="carol", status="assessing",
                history=[("assessing", "2026-01-22T10:00:00+00:00")])  # 48 h in new
    improvement(desk, "2026-02-01T00:00:00+00:00", source_created="2026-01-31T00:00:00+00:00", converter="dave",
                status="closed", verdict="met",
                history=[("assessing", "2026-02-01T12:00:00+00:00"), ("approved", "2026-02-02T12:00:00+00:00"),
                         ("planned", "2026-02-03T12:00:00+00:00"), ("in-progress", "2026-02-04T12:00:00+00:00"),
                         ("measuring", "2026-02-10T12:00:00+00:00"), ("closed", "2026-03-05T09:00:00+00:00")])
    improvement(desk, "2026-02-15T00:00:00+00:00", source_created="2026-02-14T12:00:00+00:00", status="closed",
                verdict="missed",
                history=[("assessing", "2026-02-15T02:00:00+00:00"), ("approved", "2026-02-15T04:00:00+00:00"),
                         ("planned", "2026-02-15T06:00:00+00:00"), ("in-progress", "2026-02-15T08:00:00+00:00"),
                         ("measuring", "2026-02-16T08:00:00+00:00"), ("closed", "2026-03-20T00:00:00+00:00")])
    direct(desk, "2026-02-20T00:00:00+00:00", "erin")
    return desk


def test_every_figure_from_the_register_and_its_history(filled):
    figures = stats(filled.register)
    assert figures["improvements"] == figures["raised"] == 5
    assert figures["raised_per_month"] == {"2026-01": 2, "2026-02": 3}
    assert figures["by_source_kind"] == {"idea": 1, "incident": 3, "problem": 1}
    assert figures["by_source_container"] == {"General": 3, "Problems": 1, "none": 1}
    assert figures["top_submitters"][0] == {"name": "alice", "count": 3}
    assert {e["name"]: e["count"] for e in figures["top_submitters"]} == {"alice": 3, "carol": 1, "erin": 1}
    assert figures["top_converters"] == [{"name": "bob", "count": 3}, {"name": "dave", "count": 1}]
    lead = figures["conversion_lead_time"]  # 24, 6, 24, 12 hours
    assert lead == {"count": 4, "median_hours": 18.0, "mean_hours": 16.5}
    times = figures["state_times"]
    assert times["new"] == {"stays": 3, "median_hours": 12.0}  # 48, 12, 2 (the first is still in new)
    assert times["in-progress"] == {"stays": 2, "median_hours": 84.0}  # 144 and 24
    assert "closed" not in times and "assessing" in times
    closed = figures["closed_per_month"]
    assert list(closed) == ["2026-03"]
    assert closed["2026-03"]["closed"] == 2 and closed["2026-03"]["met"] == 1 and closed["2026-03"]["missed"] == 1
    assert closed["2026-03"]["share"] == {"met": 0.5, "partly": 0.0, "missed": 0.5}
    # history reads only for the improvements that left new; one source read per improvement converted
    assert figures["reads"] == {"source_tickets": 4, "histories": 3}


def test_since_keeps_later_improvements_stays_and_closings(filled):
    figures = stats(filled.register, engagement.parse_since("2026-02-10"))
    assert figures["raised_per_month"] == {"2026-02": 2} and figures["raised"] == 2
    assert figures["by_source_kind"] == {"idea": 1, "incident": 1}
    assert figures["conversion_lead_time"]["count"] == 1
    assert figures["state_times"]["new"]["stays"] == 1  # only the stay that ended on 2026-02-15
    assert figures["closed_per_month"]["2026-03"]["closed"] == 2


def test_a_host_without_history_reports_no_state_times(filled, monkeypatch):
    monkeypatch.setattr(type(filled.register.host), "status_history", lambda self, ticket_id: None)
    figures = stats(filled.register)
    assert figures["state_times"] is None and figures["closed_per_month"] is None
    assert figures["reads"]["histories"] == 1  # it stops asking after the first answer


def test_an_empty_register(desk):
    figures = stats(desk.register)
    assert figures["raised"] == 0 and figures["raised_per_month"] == {} and figures["state_times"] == {}
    assert figures["conversion_lead_time"] == {"count": 0, "median_hours": None, "mean_hours": None}


def test_median_and_stays():
    assert engagement.median([3, 1, 2]) == 2 and engagement.median([4, 1, 2, 3]) == 2.5
    assert engagement.median([]) is None
    t = engagement.parse_time
    found = engagement.stays(t("2026-01-01T00:00:00Z"), [("assessing", t("2026-01-02T00:00:00Z")),
                                                         ("on-hold", t("2026-01-03T00:00:00Z"))])
    assert [(s, (b - a).days) for s, a, b in found] == [("new", 1), ("assessing", 1)]


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026/01/01"])
def test_a_bad_since_is_refused_in_one_line(bad, capsys, tmp_path, monkeypatch):
    with pytest.raises(UsageError):
        engagement.parse_since(bad)
    assert main(["--config", str(tmp_path / "missing.toml"), "stats", "--since", bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "--since" in captured.err
