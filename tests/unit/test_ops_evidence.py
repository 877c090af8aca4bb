"""evidence against the in-memory host: every figure (count, period, requestors, resolution
times, breaches, reopens), batched reads, and the refusal of an improvement without sources."""

import json
from datetime import datetime, timezone

import pytest

from ci_plugin.domain import evidence as ev
from ci_plugin.errors import UsageError
from ci_plugin.ops.convert import convert
from ci_plugin.ops.evidence import evidence
from tests.unit.cli_desk import cli_desk, writes  # noqa: F401 (fixture)
from tests.unit.memory_desk import desk  # noqa: F401 (fixture)
from ci_plugin.cli import main

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def source(desk, created, requestor, *, resolved=None, history=(), status="new"):
    ticket = desk.ticket(f"VPN drops {created}")
    record = desk.store.tickets[ticket]
    record.created, record.creator, record.status = created, requestor, status
    record.resolved = resolved or ""
    record.history = [list(change) for change in history]
    return ticket


def sourced(desk):
    ids = [
        source(desk, "2026-01-01T00:00:00+00:00", "alice", status="resolved", resolved="2026-01-01T10:00:00+00:00",
               history=[("open", "2026-01-01T01:00:00+00:00"), ("resolved", "2026-01-01T10:00:00+00:00")]),
        source(desk, "2026-01-11T00:00:00+00:00", "Bob", status="resolved", resolved="2026-01-13T00:00:00+00:00",
               history=[("resolved", "2026-01-11T05:00:00+00:00"), ("open", "2026-01-12T00:00:00+00:00"),
                        ("resolved", "2026-01-13T00:00:00+00:00")]),  # reopened once, 48 h
        source(desk, "2026-02-10T00:00:00+00:00", "bob", status="open", resolved="2026-02-10T02:00:00+00:00",
               history=[("resolved", "2026-02-10T02:00:00+00:00"), ("open", "2026-02-10T03:00:00+00:00")]),
        source(desk, "2026-05-31T12:00:00+00:00", "carol"),  # open, 12 h old at NOW: no breach
    ]
    imp = convert(desk.register, ids, category="process").improvement.id
    return imp, ids


def test_every_figure_from_the_source_tickets(desk):
    imp, ids = sourced(desk)
    found = evidence(desk.register, imp, now=NOW)
    assert found["count"] == 4 and found["ticket_ids"] == ids and found["missing"] == []
    assert found["first_created"] == "2026-01-01T00:00:00+00:00"
    assert found["last_created"] == "2026-05-31T12:00:00+00:00"
    assert found["period_days"] == 150.5
    assert found["requestors"] == 3  # Bob and bob are one requestor
    assert found["requestors_per_quarter"] == round(3 / (150.5 / 91.25), 2)
    assert found["resolved"] == 2  # the third was reopened: not resolved now
    assert found["total_resolve_hours"] == 58.0 and found["median_resolve_hours"] == 29.0
    # breached: the 48 h one, and the reopened one that is open and months old
    assert found["breached"] == 2 and found["threshold_hours"] == 24
    assert found["reopened"] == 2


def test_threshold_comes_from_the_config():
    from tests.unit.memory_desk import Desk
    desk = Desk("\n[evidence]\nresolution_threshold_hours = 5\n")
    imp, _ = sourced(desk)
    found = evidence(desk.register, imp, now=NOW)
    assert found["threshold_hours"] == 5 and found["breached"] == 4  # 10 h, 48 h, and both open ones


def test_reads_in_batches_of_a_hundred(desk):
    ids = [source(desk, f"2026-01-01T{n % 24:02d}:00:00+00:00", f"user{n}") for n in range(201)]
    imp = convert(desk.register, ids, category="process").improvement.id
    before = desk.adapter.session.counts["GET"]
    found = evidence(desk.register, imp, now=NOW)
    assert found["count"] == 201 and found["requestors"] == 201
    assert desk.adapter.session.counts["GET"] - before == 1 + 3  # the improvement, then ceil(201/100) reads


def test_per_quarter_and_reopen_arithmetic():
    assert ev.per_quarter(10, 1) == 10 and ev.per_quarter(10, 182.5) == 5 and ev.per_quarter(3, None) is None
    assert ev.reopen_count([(True, False), (False, True), (True, True), (False, True)]) == 2
    assert ev.figures([], 24, NOW)["count"] == 0


def test_an_improvement_without_sources_is_refused(cli_desk, capsys):  # noqa: F811
    imp = cli_desk.store.create_ticket("Improvements", "an idea", "", {cli_desk.cf("source"): "idea"})
    with pytest.raises(UsageError):
        evidence(cli_desk.register, imp)
    assert main(["evidence", imp]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "no source tickets" in captured.err


def test_cli_json_and_text(cli_desk, capsys):  # noqa: F811
    imp, _ = sourced(cli_desk)
    before = writes(cli_desk)
    assert main(["evidence", imp, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["count"] == 4 and document["requestors"] == 3
    assert main(["evidence", imp]) == 0
    assert "4 source ticket(s)" in capsys.readouterr().out and writes(cli_desk) == before  # it only reads


def test_tickets_linked_to_its_problem_records_count_as_evidence(desk):
    first = source(desk, "2026-01-01T00:00:00+00:00", "alice")
    problem = desk.ticket("VPN concentrator overload", kind="problem")
    linked = [source(desk, "2026-01-05T00:00:00+00:00", "dave"), source(desk, "2026-01-09T00:00:00+00:00", "erin")]
    for incident in linked:
        desk.store.add_links(incident, "depends-on", [problem])  # a problem manager tied it to the problem
    unrelated = source(desk, "2026-01-07T00:00:00+00:00", "frank")
    imp = convert(desk.register, [first], category="process", problems=[problem]).improvement.id
    document = evidence(desk.register, imp, reopens=False, now=NOW)
    assert document["via_problems"] == linked and unrelated not in document["ticket_ids"]
    assert document["count"] == 3 and document["ticket_ids"] == [first, *linked]
    assert problem not in document["ticket_ids"] and imp not in document["ticket_ids"]
    assert document["requestors"] == 3 and document["first_created"].startswith("2026-01-01")
