"""stale against the in-memory host: the age rule, the growth rule (with [evidence]
stale_growth), unassessed and closed improvements left out, --older-than refused when bad, and
prioritize's stale count."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from ci_plugin.cli import main
from ci_plugin.domain.evidence import stale_reason
from ci_plugin.errors import UsageError
from ci_plugin.ops.assess import assess
from ci_plugin.ops.convert import convert
from ci_plugin.ops.prioritize import prioritize
from ci_plugin.ops.stale import check_days, stale
from tests.unit.cli_desk import cli_desk  # noqa: F401 (fixture)
from tests.unit.memory_desk import Desk, desk  # noqa: F401 (fixture)

RICE = {"reach": 10, "impact": 1, "confidence": 80, "effort": 2}
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def assessed(desk, sources=2, days_ago=0):
    tickets = [desk.ticket(f"VPN drops {n}") for n in range(sources)]
    imp = convert(desk.register, tickets, category="technology").improvement.id
    assess(desk.register, imp, "rice", RICE)
    record = desk.store.tickets[imp]
    document = json.loads(record.fields[desk.cf("assessment")])
    document["assessed_at"] = (NOW - timedelta(days=days_ago)).isoformat(timespec="seconds")
    record.fields[desk.cf("assessment")] = json.dumps(document)
    return imp


def grow(desk, imp, extra):
    more = [desk.ticket(f"VPN drops again {n}") for n in range(extra)]
    convert(desk.register, more, into=imp)


def test_the_age_and_growth_rules():
    doc = {"model": "rice", "assessed_at": "2026-09-01T00:00:00+00:00", "sources": 4}
    assert stale_reason(doc, 4, NOW, 90, 0.5) == "assessed 91 days ago"
    assert stale_reason(doc, 4, NOW, 91, 0.5) is None
    assert stale_reason(doc, 6, NOW, 91, 0.5) is None  # 50% more is not more than 50%
    assert stale_reason(doc, 7, NOW, 91, 0.5) == "sources grew from 4 to 7"
    assert stale_reason({"model": "rice", "assessed_at": NOW.isoformat()}, 100, NOW, 90, 0.5) is None  # no count kept
    assert stale_reason(None, 3, NOW, 90, 0.5) is None and stale_reason({}, 3, NOW, 90, 0.5) is None


def test_stale_lists_old_and_grown_open_improvements(desk):
    old = assessed(desk, days_ago=100)
    fresh = assessed(desk, days_ago=10)
    grown = assessed(desk, sources=2, days_ago=1)
    grow(desk, grown, 2)  # 2 -> 4: grew by 100%
    closed = assessed(desk, days_ago=200)
    desk.store.tickets[closed].status = "closed"
    unassessed = convert(desk.register, [desk.ticket("never assessed")], category="process").improvement.id
    found = {e["id"]: e for e in stale(desk.register, now=NOW)}
    assert set(found) == {old, grown}
    assert found[old]["why"] == "assessed 100 days ago" and found[grown]["why"] == "sources grew from 2 to 4"
    assert fresh not in found and unassessed not in found
    assert {e["id"] for e in stale(desk.register, older_than=5, now=NOW)} == {old, fresh, grown}


def test_growth_share_comes_from_the_config():
    desk = Desk("\n[evidence]\nstale_growth = 1.5\n")
    imp = assessed(desk, sources=2, days_ago=1)
    grow(desk, imp, 2)
    assert stale(desk.register, now=NOW) == []


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "1.5"])
def test_a_bad_older_than_is_refused_in_one_line(bad, capsys, tmp_path):
    with pytest.raises(UsageError):
        check_days(bad)
    assert main(["--config", str(tmp_path / "missing.toml"), "stale", "--older-than", bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "--older-than" in captured.err


def test_prioritize_counts_the_stale(cli_desk, capsys):  # noqa: F811
    assessed(cli_desk, days_ago=365)
    assessed(cli_desk, days_ago=0)
    report = prioritize(cli_desk.register)
    assert len(report.entries) == 2 and report.stale == 1
    assert main(["prioritize", "--dry-run"]) == 0
    assert "1 stale" in capsys.readouterr().err
    assert main(["stale", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
