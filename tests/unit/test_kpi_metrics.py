"""KPIs from tickets, the pure part: windows (parsing, empty, reversed, future), nearest-rank
percentiles, medians, per-period normalisation of counts, empty windows, the provenance line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ci_plugin.domain import kpi_metrics as m
from ci_plugin.errors import UsageError

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def at(day: int, hour: float = 0) -> datetime:
    return datetime(2026, 11, day, tzinfo=timezone.utc) + timedelta(hours=hour)


def test_dates_are_midnight_utc_and_date_times_without_offset_are_utc():
    assert m.parse_moment("2026-11-03") == at(3)
    assert m.parse_moment("2026-11-03T10:30") == at(3, 10.5)
    assert m.parse_moment("2026-11-03T10:30:00Z") == at(3, 10.5)
    assert m.parse_moment("2026-11-03T12:30:00+02:00") == at(3, 10.5)


@pytest.mark.parametrize("text, words", [
    ("2026-11-01", "not FROM..TO"), ("..2026-11-02", "not FROM..TO"), ("2026-11-01..", "not FROM..TO"),
    ("2026-13-01..2026-11-02", "not an ISO 8601"), ("yesterday..2026-11-02", "not an ISO 8601"),
    ("2026-11-02..2026-11-02", "is empty"), ("2026-11-03..2026-11-02", "is reversed"),
    ("2026-12-01..2026-12-03", "ends in the future"), ("2027-01-01..2027-02-01", "ends in the future"),
])
def test_bad_windows_are_refused_naming_what_is_wrong(text, words):
    with pytest.raises(UsageError, match=words):
        m.parse_window(text, NOW)


def test_a_window_may_end_now_and_holds_from_inclusive_to_exclusive():
    span = m.parse_window("2026-12-01..2026-12-02T12:00:00Z", NOW)
    assert span.holds(datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert not span.holds(NOW)
    assert span.days == 1.5
    assert span.to_record() == {"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T12:00:00Z"}


@pytest.mark.parametrize("values, p90", [
    ([5.0], 5.0), ([1, 2], 2), (list(range(1, 11)), 9), (list(range(1, 12)), 10), (list(range(1, 71)), 63),
    ([10, 1, 7, 3, 2, 9, 4, 8, 6, 5], 9),
])
def test_p90_is_the_nearest_rank_value(values, p90):
    assert m.percentile([float(v) for v in values], 0.9) == p90


def test_median_of_odd_and_even_counts():
    assert m.median([3.0, 1.0, 2.0]) == 2.0
    assert m.median([4.0, 1.0, 3.0, 2.0]) == 2.5


SPAN = m.Window(at(1), at(8))  # one week
TICKETS = [(at(1, 1), at(1, 3)), (at(2), at(2, 10)), (at(3), None), (at(7, 23), at(8, 1)),
           (at(8), at(8, 1)), (at(10), None), (at(1, -2), at(1, 2))]


def test_count_counts_created_in_the_window_and_scales_per_period():
    assert m.compute("count", None, SPAN, TICKETS) == (4.0, 4)  # at(8) is TO: excluded
    assert m.compute("count", "week", SPAN, TICKETS) == (4.0, 4)
    assert m.compute("count", "day", SPAN, TICKETS)[0] == pytest.approx(4 / 7)
    assert m.compute("count", "month", SPAN, TICKETS)[0] == pytest.approx(4 / 7 * 30.4375)
    half = m.Window(at(1), at(1, 12))
    assert m.compute("count", "day", half, TICKETS) == (2.0, 1)  # one ticket in half a day


def test_resolution_metrics_use_the_tickets_resolved_in_the_window():
    # resolved in [1, 8): 2 h, 10 h, 4 h (created before the window, resolved in it); at(8,1) is outside
    assert m.compute("mean_resolution_hours", None, SPAN, TICKETS) == (pytest.approx(16 / 3), 3)
    assert m.compute("median_resolution_hours", None, SPAN, TICKETS) == (4.0, 3)
    assert m.compute("p90_resolution_hours", None, SPAN, TICKETS) == (10.0, 3)


def test_an_empty_window_counts_zero_and_has_no_resolution_value():
    empty = m.Window(at(20), at(21))
    assert m.compute("count", "week", empty, TICKETS) == (0.0, 0)
    for metric in m.RESOLUTION_METRICS:
        assert m.compute(metric, None, empty, TICKETS) == (None, 0)


@pytest.mark.parametrize("metric, per, words", [
    ("sum", None, "unknown metric 'sum'"), ("count", "year", "unknown period 'year'"),
    ("mean_resolution_hours", "week", "--per scales a count"),
])
def test_unknown_metrics_and_per_without_count_are_refused(metric, per, words):
    with pytest.raises(UsageError, match=words):
        m.check_metric(metric, per)


def test_the_provenance_line_names_query_metric_window_and_tickets():
    entry = {"kpi": "resets", "query": "Queue = 'General'", "metric": "count", "per": "week",
             "provenance": {"baseline": {"query": "Queue = 'General'", "metric": "count", "per": "week",
                                         "window": SPAN.to_record(), "tickets": 4, "computed_at": "2026-12-02T12:00:00Z",
                                         "value": 4.0}}}
    line = m.provenance_line(entry)
    assert "Queue = 'General'" in line and "count per week" in line and "from 4 ticket(s)" in line
    assert "2026-11-01T00:00:00Z..2026-11-08T00:00:00Z" in line
    assert m.provenance_line({"kpi": "x"}) == "entered by hand"
