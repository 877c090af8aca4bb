"""Contract: KPIs computed from the desk's own tickets (``measure --query`` / ``--refresh``).

Incidents are made in two windows a few seconds apart (no back-dating), some are resolved, and
every metric is checked against the value computed here from the times the host itself shows
(RT ``Created``/``Resolved``, Redmine ``created_on``/``closed_on``, Jira ``created``/``resolutiondate``). The query is the host's own
language and matches only this test's tag, so other tests' tickets never count. The Zammad
example refuses, naming what it lacks (no search_tickets); nothing is written then.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone

import pytest

from ci_plugin.errors import HostRefused, UsageError
from ci_plugin.ops import measure_query
from ci_plugin.ops.convert import convert
from ci_plugin.ops.transition import transition

pytestmark = pytest.mark.live

#: A query in each host's own language that matches the subjects holding ``tag``.
QUERIES = {"rt": "Subject LIKE '{tag}'", "redmine": "subject=~{tag}", "memory": "Subject LIKE '{tag}'",
           "servicenow": "incident:short_descriptionLIKE{tag}", "jira": 'summary ~ "{tag}"'}
#: A query each host refuses as malformed.
MALFORMED = {"rt": "Subject LIKE", "redmine": "subject=~{tag}&updated_on=>=garbage", "memory": "Subject LIKE",
             "servicenow": "incident:short_descriptionLIKE{tag}^priorty=1", "jira": "summary ~"}


def utc(text: str) -> datetime | None:
    if not text or str(text).startswith("1970-01-01"):
        return None
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def times(host, ticket_id: str) -> tuple[datetime, datetime | None]:
    """Created and resolved as the host shows them, read without the adapter."""
    raw = host.raw(ticket_id)
    if host.name == "rt":
        return utc(raw["Created"]), utc(raw.get("Resolved"))
    if host.name == "redmine":
        return utc(raw["created_on"]), utc(raw.get("closed_on"))
    if host.name == "servicenow":
        return host.created_resolved(ticket_id)
    if host.name == "jira":
        return utc(raw["fields"]["created"]), utc(raw["fields"].get("resolutiondate"))
    return utc(raw.created), utc(raw.resolved)


def second(now: datetime | None = None) -> datetime:
    return (now or datetime.now(timezone.utc)).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_second() -> datetime:
    """Wait until the clock is past the next whole second; return that second."""
    target = second() + timedelta(seconds=1)
    while datetime.now(timezone.utc) < target + timedelta(milliseconds=50):
        time.sleep(0.05)
    return target


@pytest.fixture
def desk(host):
    """Two windows of this test's incidents: A (2 made, 1 resolved), B (3 made, 2 resolved)."""
    if host.name not in QUERIES:
        return None  # each test then checks the refusal (see refuses)
    start = second()
    a = [host.ticket(f"password reset A{i}") for i in range(2)]
    middle = next_second()
    b = [host.ticket(f"password reset B{i}") for i in range(3)]
    next_second()
    for ticket in (a[0], b[0], b[1]):
        host.resolve(ticket)
    end = next_second()
    improvement = convert(host.register, [host.ticket("Too many password resets")], category="process").improvement.id
    return {"start": start, "middle": middle, "end": end, "a": a, "b": b, "improvement": improvement,
            "query": QUERIES[host.name].format(tag=host.tag), "times": [times(host, t) for t in a + b]}



def refuses(host) -> bool:
    """On a host without ticket search (the Zammad example) a query KPI is refused with one line
    naming what the adapter lacks, and nothing is stored: checked, then True. False elsewhere."""
    if host.name in QUERIES:
        return False
    improvement = convert(host.register, [host.ticket("Too many password resets")], category="process").improvement.id
    with pytest.raises(UsageError, match="cannot compute a KPI from a query .*search_tickets") as refused:
        measure_query.define(host.register, improvement, "k", query="anything", metric="count",
                             baseline_window="2026-01-01..2026-01-02", target=1)
    assert "\n" not in str(refused.value)
    assert not host.register.get(improvement).get("measurements")
    return True


def window(lo: datetime, hi: datetime) -> str:
    return f"{stamp(lo)}..{stamp(hi)}"


def expected_hours(desk, lo, hi) -> list[float]:
    return sorted((r - c).total_seconds() / 3600 for c, r in desk["times"] if r is not None and lo <= r < hi)


def test_count_per_week_baseline_and_actual_match_the_hosts_own_times(host, desk):
    if refuses(host):
        return
    lo, mid, hi = desk["start"], desk["middle"], desk["end"]
    created_a = sum(1 for c, _ in desk["times"] if lo <= c < mid)
    created_b = sum(1 for c, _ in desk["times"] if mid <= c < hi)
    assert (created_a, created_b) == (2, 3)
    after, entry = measure_query.define(host.register, desk["improvement"], "resets/week", query=desk["query"],
                                        metric="count", per="week", baseline_window=window(lo, mid), target=1)
    assert entry["baseline"] == pytest.approx(created_a / ((mid - lo).total_seconds() / 86400) * 7)
    assert entry["provenance"]["baseline"]["tickets"] == 2
    _, entry = measure_query.refresh(host.register, desk["improvement"], "resets/week", window=window(mid, hi))
    assert entry["actual"] == pytest.approx(created_b / ((hi - mid).total_seconds() / 86400) * 7)
    assert entry["provenance"]["actual"]["tickets"] == 3
    assert entry["verdict"] == ("met" if entry["actual"] <= 1 else "partly" if entry["actual"] < entry["baseline"] else "missed")
    stored = host.register.get(desk["improvement"]).get("measurements")[0]  # read back from the host
    assert stored["provenance"]["actual"]["window"] == {"from": stamp(mid), "to": stamp(hi)}
    assert stored["query"] == desk["query"]


@pytest.mark.parametrize("metric", ["mean_resolution_hours", "median_resolution_hours", "p90_resolution_hours"])
def test_resolution_metrics_match_the_hosts_own_times(host, desk, metric):
    if refuses(host):
        return
    lo, hi = desk["start"], desk["end"]
    hours = expected_hours(desk, lo, hi)
    assert len(hours) == 3
    want = {"mean_resolution_hours": sum(hours) / 3, "median_resolution_hours": hours[1],
            "p90_resolution_hours": hours[math.ceil(0.9 * 3) - 1]}[metric]
    _, entry = measure_query.define(host.register, desk["improvement"], metric, query=desk["query"], metric=metric,
                                    baseline_window=window(lo, hi), target=0.0001)
    assert entry["baseline"] == pytest.approx(want) and entry["provenance"]["baseline"]["tickets"] == 3
    _, again = measure_query.refresh(host.register, desk["improvement"], metric, window=window(lo, hi))
    assert again["actual"] == entry["baseline"]  # reproducible: same query and window, same value


def test_a_malformed_query_is_refused_with_the_hosts_words_and_nothing_is_stored(host, desk):
    if refuses(host):
        return
    before = host.register.get(desk["improvement"]).get("measurements")
    with pytest.raises((HostRefused, UsageError)) as refused:
        measure_query.define(host.register, desk["improvement"], "bad", query=MALFORMED[host.name].format(tag=host.tag),
                             metric="count", baseline_window=window(desk["start"], desk["end"]), target=1)
    assert "\n" not in str(refused.value) and str(refused.value)
    if host.name == "redmine":
        assert "Updated is invalid" in str(refused.value)  # the host's own words
    if host.name in ("rt", "servicenow"):
        assert "query" in str(refused.value).lower()
    if host.name == "jira":
        assert "Error in the JQL Query" in str(refused.value)  # the host's own words
    assert host.register.get(desk["improvement"]).get("measurements") == before


def test_the_host_history_tells_when_a_status_was_entered(host, desk):
    if refuses(host):
        return
    status = host.status(desk["a"][0])
    entered = host.register.host.entered_status_at(desk["a"][0], status)
    assert entered is not None and desk["start"] <= entered <= desk["end"] + timedelta(seconds=1)
    assert host.register.host.entered_status_at(desk["a"][1], status) is None  # never resolved


def test_refresh_defaults_to_the_window_since_the_improvement_entered_in_progress(host, desk):
    if refuses(host):
        return
    imp = desk["improvement"]
    measure_query.define(host.register, imp, "resets", query=desk["query"], metric="count",
                         baseline_window=window(desk["start"], desk["end"]), target=1)
    next_second()  # everything of the fixture lies before the improvement enters in-progress
    for state in ("assessing", "approved", "planned", "in-progress"):
        transition(host.register, imp, state)
    entered = second()
    later = [host.ticket(f"password reset C{i}") for i in range(2)]
    next_second()
    _, entry = measure_query.refresh(host.register, imp, "resets")
    since = [c for c, _ in (times(host, t) for t in later)]
    assert all(c >= entered - timedelta(seconds=1) for c in since)
    assert entry["actual"] == 2.0 and entry["provenance"]["actual"]["tickets"] == 2
    window_from = utc(entry["provenance"]["actual"]["window"]["from"])
    assert desk["end"] <= window_from <= entered + timedelta(seconds=1)
