"""measure --query / --refresh against the in-memory host: baseline and actual computed from the
desk's tickets with provenance, the default window read from the host's history, the memory
host's filter language, refusals that write nothing, and watch's refresh of measuring KPIs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ci_plugin.errors import HostRefused, UsageError
from ci_plugin.ops import measure_query
from ci_plugin.ops.convert import convert
from ci_plugin.ops.measure import measure
from tests.unit.memory_desk import Desk, _no_repair_pause, desk  # noqa: F401 (fixtures)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
QUERY = "Queue = 'General' AND Subject LIKE 'password'"


def at(day: int, hour: float = 0) -> str:
    return (datetime(2026, 11, day, tzinfo=timezone.utc) + timedelta(hours=hour)).isoformat(timespec="seconds")


def incident(desk, created: str, resolved: str = "", subject: str = "password reset") -> str:
    ticket = desk.ticket(subject)
    desk.store.tickets[ticket].created = created
    desk.store.tickets[ticket].resolved = resolved
    return ticket


def improvement(desk, status="in-progress") -> str:
    imp = convert(desk.register, [desk.ticket("Too many password resets")], category="process").improvement.id
    desk.store.tickets[imp].status = desk.adapter.states.host_status(status)
    return imp


@pytest.fixture
def tickets(desk):
    # week 1 (Nov 1..8): 4 password incidents, one printer incident; week 3 (Nov 15..22): 2 password incidents
    for day, hours in ((1, 2), (2, 10), (3, 4), (5, None)):
        incident(desk, at(day), at(day, hours) if hours else "")
    incident(desk, at(4), at(4, 1), subject="printer jam")
    incident(desk, at(15), at(15, 1))
    incident(desk, at(16), at(16, 3))


def test_define_computes_and_stores_the_baseline_with_provenance(desk, tickets):
    imp = improvement(desk)
    after, entry = measure_query.define(desk.register, imp, "resets/week", query=QUERY, metric="count", per="week",
                                        baseline_window="2026-11-01..2026-11-08", target=2, now=NOW)
    assert entry["baseline"] == 4.0 and entry["target"] == 2 and entry["direction"] == "lower"
    stored = after.get("measurements")[0]
    assert stored["query"] == QUERY and stored["metric"] == "count" and stored["per"] == "week"
    assert stored["provenance"]["baseline"] == {
        "query": QUERY, "metric": "count", "per": "week", "tickets": 4, "value": 4.0,
        "window": {"from": "2026-11-01T00:00:00Z", "to": "2026-11-08T00:00:00Z"}, "computed_at": "2026-12-02T12:00:00Z"}
    assert any("query 'Queue = 'General'" in c or "resets/week" in c for c in desk.comments(imp))


def test_refresh_computes_the_actual_and_the_verdict_reproducibly(desk, tickets):
    imp = improvement(desk)
    measure_query.define(desk.register, imp, "MTTR", query=QUERY, metric="mean_resolution_hours",
                         baseline_window="2026-11-01..2026-11-08", target=3, now=NOW)
    _, entry = measure_query.refresh(desk.register, imp, "MTTR", window="2026-11-15..2026-11-22", now=NOW)
    assert entry["baseline"] == pytest.approx(16 / 3) and entry["actual"] == 2.0 and entry["verdict"] == "met"
    assert entry["provenance"]["actual"]["tickets"] == 2
    _, again = measure_query.refresh(desk.register, imp, "MTTR", window="2026-11-15..2026-11-22", now=NOW)
    assert again["actual"] == entry["actual"]


def test_refresh_defaults_to_the_window_since_the_improvement_entered_in_progress(desk, tickets):
    imp = improvement(desk)
    measure_query.define(desk.register, imp, "resets", query=QUERY, metric="count",
                         baseline_window="2026-11-01..2026-11-08", target=1, now=NOW)
    desk.store.tickets[imp].history = [[desk.adapter.states.host_status("in-progress"), at(14)]]
    _, entry = measure_query.refresh(desk.register, imp, "resets", now=NOW)
    assert entry["actual"] == 2.0
    assert entry["provenance"]["actual"]["window"] == {"from": "2026-11-14T00:00:00Z", "to": "2026-12-02T12:00:00Z"}


def test_refresh_without_a_known_in_progress_time_asks_for_a_window(desk, tickets):
    imp = improvement(desk)
    measure_query.define(desk.register, imp, "resets", query=QUERY, metric="count",
                         baseline_window="2026-11-01..2026-11-08", target=1, now=NOW)
    with pytest.raises(UsageError, match="give --window"):
        measure_query.refresh(desk.register, imp, "resets", now=NOW)


def test_the_status_history_is_recorded_by_the_memory_host(desk):
    imp = improvement(desk, "planned")
    desk.store.set_status(imp, desk.adapter.states.host_status("in-progress"))
    assert desk.adapter.entered_status_at(imp, desk.adapter.states.host_status("in-progress")) is not None
    assert desk.adapter.entered_status_at(imp, "never") is None


def snapshot(desk, imp):
    record = desk.store.tickets[imp]
    return dict(record.fields), list(record.comments)


@pytest.mark.parametrize("query, words", [
    ("Queue = ", "malformed condition"), ("Subject ~ 'x'", "malformed condition"), ("", "--query is empty"),
])
def test_a_malformed_query_is_refused_with_the_hosts_words_and_nothing_is_stored(desk, tickets, query, words):
    imp = improvement(desk)
    before = snapshot(desk, imp)
    with pytest.raises((HostRefused, UsageError), match=words):
        measure_query.define(desk.register, imp, "k", query=query, metric="count",
                             baseline_window="2026-11-01..2026-11-08", target=1, now=NOW)
    assert snapshot(desk, imp) == before


@pytest.mark.parametrize("kwargs, words", [
    ({"metric": "sum"}, "unknown metric"), ({"metric": "p90_resolution_hours", "per": "week"}, "--per scales a count"),
    ({"baseline_window": "2026-11-08..2026-11-01"}, "reversed"), ({"baseline_window": "2026-11-08..2026-11-08"}, "empty"),
    ({"baseline_window": "2026-12-01..2026-12-08"}, "future"),
    ({"baseline_window": "2026-11-25..2026-11-30", "metric": "median_resolution_hours"}, "has no value"),
])
def test_bad_input_writes_nothing(desk, tickets, kwargs, words):
    imp = improvement(desk)
    before = snapshot(desk, imp)
    args = {"query": QUERY, "metric": "count", "baseline_window": "2026-11-01..2026-11-08", "target": 1, **kwargs}
    with pytest.raises(UsageError, match=words):
        measure_query.define(desk.register, imp, "k", now=NOW, **args)
    assert snapshot(desk, imp) == before


def test_a_hand_entered_kpi_cannot_be_refreshed_and_keeps_working(desk):
    imp = improvement(desk)
    measure(desk.register, imp, "MTTR", baseline=8, target=4)
    before = snapshot(desk, imp)
    with pytest.raises(UsageError, match="entered by hand"):
        measure_query.refresh(desk.register, imp, "MTTR", window="2026-11-01..2026-11-08", now=NOW)
    assert snapshot(desk, imp) == before
    _, entry = measure(desk.register, imp, "MTTR", actual=5)
    assert entry["verdict"] == "partly"


def test_hand_values_on_a_query_kpi_are_refused(desk, tickets):
    imp = improvement(desk)
    measure_query.define(desk.register, imp, "resets", query=QUERY, metric="count",
                         baseline_window="2026-11-01..2026-11-08", target=1, now=NOW)
    with pytest.raises(UsageError, match="defined by a query"):
        measure(desk.register, imp, "resets", actual=3)


def test_a_kpi_over_n_tickets_costs_one_search_per_hundred(desk):
    for i in range(250):
        incident(desk, at(1, i / 100))
    before = desk.adapter.session.request_count
    found = list(desk.adapter.search_tickets(QUERY, datetime(2026, 11, 1, tzinfo=timezone.utc),
                                             datetime(2026, 11, 8, tzinfo=timezone.utc), "created"))
    assert len(found) == 250
    assert desk.adapter.session.request_count - before == 3  # ceil(250 / 100)


def test_watch_refreshes_query_kpis_of_measuring_improvements_once_per_interval(desk, tickets):
    imp = improvement(desk, "measuring")
    hand = improvement(desk, "measuring")
    measure(desk.register, hand, "MTTR", baseline=8, target=4)
    measure_query.define(desk.register, imp, "resets", query=QUERY, metric="count",
                         baseline_window="2026-11-01..2026-11-08", target=1, now=NOW)
    desk.store.tickets[imp].history = [[desk.adapter.states.host_status("in-progress"), at(14)]]
    refresher = measure_query.KpiRefresher(desk.register)
    assert refresher.interval == 86400
    assert refresher.tick(NOW) == [(imp, "resets")]
    assert refresher.tick(NOW + timedelta(hours=1)) == []  # within the interval: no round at all
    fresh = measure_query.KpiRefresher(desk.register)  # a restarted watcher: the stored computed_at counts
    assert fresh.tick(NOW + timedelta(hours=2)) == []
    assert fresh.tick(NOW + timedelta(days=1, hours=1)) == []  # this process's own interval
    assert measure_query.refresh_measuring(desk.register, 86400, NOW + timedelta(days=1)) == [(imp, "resets")]


def test_a_watch_pass_refreshes_the_measuring_kpis(desk, tickets):
    from ci_plugin.ops import sync as sync_ops

    imp = improvement(desk, "measuring")
    measure_query.define(desk.register, imp, "resets", query=QUERY, metric="count",
                         baseline_window="2026-11-01..2026-11-08", target=1, now=NOW)
    desk.store.tickets[imp].history = [[desk.adapter.states.host_status("in-progress"), at(14)]]
    assert sync_ops.watch(desk.register, 1, passes=1, sleep=lambda seconds: None) == 1
    stored = desk.register.get(imp).get("measurements")[0]
    assert stored["actual"] == 2.0 and stored["provenance"]["actual"]["window"]["from"] == "2026-11-14T00:00:00Z"
