"""due and the ci_review_due announcements against the in-memory host: window, ordering,
open states only, malformed dates skipped, one announcement per improvement and date."""

import json
from datetime import date, timedelta

import pytest

from ci_plugin.errors import UsageError
from ci_plugin.hookspecs import hookimpl
from ci_plugin.ops.convert import convert
from ci_plugin.ops.due import announce_due, due, marker, DueDate
from ci_plugin.ops.sync import watch
from tests.unit.memory_desk import Desk, _no_repair_pause, desk  # noqa: F401 (fixtures)

TODAY = date(2026, 6, 15)


def improvement(desk, review="", target="", status="new", title="Faster onboarding"):
    imp = convert(desk.register, [desk.ticket(title)], category="process").improvement.id
    record = desk.store.tickets[imp]
    if review:
        record.fields[desk.cf("review_date")] = review
    if target:
        record.fields[desk.cf("target_date")] = target
    record.status = status
    return imp


def day(offset):
    return (TODAY + timedelta(days=offset)).isoformat()


def test_due_lists_passed_and_coming_dates_within_the_window_overdue_first(desk):
    late = improvement(desk, review=day(-3))
    soon = improvement(desk, target=day(5))
    today = improvement(desk, review=day(0), target=day(-1))
    improvement(desk, review=day(15))  # outside the default 14 days
    improvement(desk)  # no dates
    items = due(desk.register, today=TODAY)
    assert [i.improvement.id for i in items] == [late, today, soon]
    assert [(d.field, d.days) for d in items[1].dates] == [("target_date", -1), ("review_date", 0)]
    record = items[0].to_record()
    assert record["due_date"] == day(-3) and record["overdue"] is True and record["days"] == -3
    assert items[2].to_record()["overdue"] is False and items[2].first.field == "target_date"
    assert [i.improvement.id for i in due(desk.register, 0, today=TODAY)] == [late, today]
    assert len(due(desk.register, 15, today=TODAY)) == 4


def test_due_ignores_closed_and_rejected_and_skips_malformed_dates(desk, caplog):
    improvement(desk, review=day(-10), status="closed")
    improvement(desk, review=day(-10), status="rejected")
    held = improvement(desk, review=day(-2), status="on-hold")
    bad = improvement(desk, review="15/06/2026", target=day(1))
    items = due(desk.register, today=TODAY)
    assert [i.improvement.id for i in items] == [held, bad]
    assert [d.field for d in items[1].dates] == ["target_date"]
    assert "is not a date" in caplog.text


@pytest.mark.parametrize("within", [-1, 3661, 1.5, True])
def test_due_refuses_a_bad_window(desk, within):
    with pytest.raises(UsageError, match="--within"):
        due(desk.register, within, today=TODAY)


class DueSpy:
    def __init__(self):
        self.calls = []

    @hookimpl
    def ci_review_due(self, improvement, due_field, due_date, register):
        self.calls.append((improvement.id, due_field, due_date))


class ShortSpy:
    """Implements the hook with only the two arguments the issue names."""

    def __init__(self):
        self.ids = []

    @hookimpl
    def ci_review_due(self, improvement, register):
        self.ids.append(improvement.id)


def test_each_come_date_is_announced_once_recorded_on_the_host_and_again_when_moved(tmp_path):
    spy, short = DueSpy(), ShortSpy()
    log = tmp_path / "audit.jsonl"
    desk = Desk(extra_toml=f'[hooks]\nenabled = ["audit_log"]\n[hooks.audit_log]\npath = "{log}"\n',
                plugins=[("spy", spy), ("short", short)], enabled=["audit_log"])
    imp = improvement(desk, review=day(-1), target=day(3))
    assert announce_due(desk.register, set(), today=TODAY) == 1
    assert spy.calls == [(imp, "review_date", day(-1))] and short.ids == [imp]
    assert any(marker(DueDate("review_date", day(-1), -1)) in c for c in desk.comments(imp))
    # another watcher (fresh memory) reads the marker on the host and stays quiet
    assert announce_due(desk.other_register(), set(), today=TODAY) == 0
    assert len(spy.calls) == 1
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["event"], e["improvement"], e["field"], e["date"]) for e in entries
            if e["event"] == "review_due"] == \
        [("review_due", imp, "review_date", day(-1))]
    desk.store.tickets[imp].fields[desk.cf("review_date")] = day(0)  # the review was moved
    assert announce_due(desk.register, set(), today=TODAY) == 1
    assert spy.calls[-1] == (imp, "review_date", day(0))
    assert announce_due(desk.register, set(), today=TODAY + timedelta(days=3)) == 1  # the target date came
    assert spy.calls[-1] == (imp, "target_date", day(3))


def test_watch_announces_due_dates_once_across_passes(monkeypatch):
    spy = DueSpy()
    desk = Desk(plugins=[("spy", spy)])
    imp = improvement(desk, review="2000-01-01")
    passes = watch(desk.register, 10, passes=3, sleep=lambda s: None)
    assert passes == 3 and spy.calls == [(imp, "review_date", "2000-01-01")]
