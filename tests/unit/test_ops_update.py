"""update and closing with outcome/lessons against the in-memory host: one write, checks
before anything is sent, audit comment, only what changed."""

import pytest

from ci_plugin.errors import UsageError
from ci_plugin.ops.convert import convert
from ci_plugin.ops.transition import transition
from ci_plugin.ops.update import update
from tests.unit.memory_desk import Desk, _no_repair_pause, desk  # noqa: F401 (fixtures)


def improvement(desk):
    return convert(desk.register, [desk.ticket()], category="process").improvement.id


def test_update_writes_every_field_in_one_call_and_audits_it(desk):
    imp = improvement(desk)
    desk.store.add_user("alice")
    before = desk.adapter.session.counts["PUT"]
    result = update(desk.register, imp, title="Printing works after 5pm", owner="alice", size="M",
                    category="technology", target_date="2027-01-31", review_date="2026-12-15",
                    outcome="successful", lessons="Ask the night shift first.")
    assert desk.adapter.session.counts["PUT"] - before == 1
    record = desk.store.tickets[imp]
    assert (record.subject, record.owner) == ("Printing works after 5pm", "alice")
    assert desk.value(imp, "size") == "M" and desk.value(imp, "review_date") == "2026-12-15"
    assert desk.value(imp, "lessons") == "Ask the night shift first."
    got = result.improvement.to_record()
    assert got["owner"] == "alice" and got["category"] == "technology" and got["outcome"] == "successful"
    assert set(result.changes) == {"title", "owner", "size", "category", "target_date", "review_date",
                                   "outcome", "lessons"}
    audit = [c for c in desk.comments(imp) if c.startswith("Updated:")]
    assert len(audit) == 1 and "category: process -> technology" in audit[0] and "owner: (none) -> alice" in audit[0]


def test_an_unchanged_value_is_not_written_again(desk):
    imp = improvement(desk)
    update(desk.register, imp, size="S")
    before = desk.adapter.session.counts["PUT"]
    assert update(desk.register, imp, size="S", category="process").changes == {}
    assert desk.adapter.session.counts["PUT"] == before
    assert update(desk.register, imp, size="").changes == {"size": ("S", "")}
    assert desk.value(imp, "size") in (None, "")


@pytest.mark.parametrize("kwargs, words", [
    ({"size": "XXL"}, "--size: 'XXL' is not one of S, M, L, XL"),
    ({"category": "magic"}, "--category: 'magic'"),
    ({"outcome": "done"}, "--outcome: 'done'"),
    ({"target_date": "2026-02-30"}, "--target-date: '2026-02-30' is not a date"),
    ({"review_date": "tomorrow"}, "--review-date"),
    ({"owner": "nobody-here"}, "has no user 'nobody-here'"),
    ({"owner": "two words"}, "--owner"),
    ({"title": "  "}, "--title"),
    ({}, "nothing to change"),
])
def test_bad_input_is_refused_and_nothing_is_written(desk, kwargs, words):
    imp = improvement(desk)
    comments, puts = list(desk.comments(imp)), desk.adapter.session.counts["PUT"]
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        update(desk.register, imp, **{"size": "L", **kwargs} if kwargs.keys() - {"size"} else kwargs)
    assert desk.adapter.session.counts["PUT"] == puts and desk.comments(imp) == comments
    assert desk.value(imp, "size") in (None, "")


def test_closing_takes_outcome_and_lessons(desk):
    imp = improvement(desk)
    desk.store.tickets[imp].status = "measuring"
    result = transition(desk.register, imp, "closed", outcome="withdrawn", lessons="Superseded by the new MFP.")
    assert result.improvement.get("outcome") == "withdrawn"
    assert desk.value(imp, "lessons") == "Superseded by the new MFP."
    assert any("Outcome: withdrawn" in c for c in desk.comments(imp))


def test_closing_values_are_checked_first_and_only_when_closing(desk):
    imp = improvement(desk)
    desk.store.tickets[imp].status = "measuring"
    with pytest.raises(UsageError, match="--outcome"):
        transition(desk.register, imp, "closed", outcome="great")
    with pytest.raises(UsageError, match="when closing"):
        transition(desk.register, imp, "on-hold", lessons="x")
    assert desk.store.tickets[imp].status == "measuring"
