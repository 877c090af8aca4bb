"""followup_on_missed against the in-memory host: one follow-up, through the conversion path
(``ci_before_convert``, ``ci_after_convert``, ``ci_after_link``), recorded by audit_log."""

import json

import pytest

from ci_plugin.hookspecs import hookimpl
from ci_plugin.ops.convert import convert
from ci_plugin.ops.measure import measure
from ci_plugin.ops.transition import transition
from tests.unit.memory_desk import Desk, Spy, _no_repair_pause, spy  # noqa: F401 (fixtures)


class Before(Spy):
    """A spy that also records ``ci_before_convert`` and can refuse follow-ups."""

    def __init__(self, refuse_followups=False):
        super().__init__()
        self.refuse = refuse_followups

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        self.calls.append(("before_convert", {"draft": draft, "sources": sources}))
        return "no follow-ups this quarter" if self.refuse and draft.title.startswith("Follow-up") else None


def desk_with(tmp_path, plugin):
    log = tmp_path / "audit.jsonl"
    desk = Desk(f'[hooks.audit_log]\npath = "{log}"\n', plugins=[("spy", plugin)],
                enabled=["followup_on_missed", "audit_log"])
    return desk, log


def closed_with(desk, actual, title="Raise first-contact resolution"):
    imp = convert(desk.register, [desk.ticket(title)], category="service").improvement.id
    measure(desk.register, imp, "FCR", baseline=60, target=75, actual=actual, unit="%")
    desk.store.tickets[imp].status = "measuring"
    transition(desk.register, imp, "closed")
    return imp


def followups(desk, imp):
    return [a for a, r, b in desk.store.links if r == "refers-to" and b == imp and a in desk.improvements()]


def test_a_missed_target_opens_one_linked_follow_up_through_the_conversion_path(tmp_path):
    plugin = Before()
    desk, log = desk_with(tmp_path, plugin)
    imp = closed_with(desk, 58)
    [follow] = followups(desk, imp)
    record = desk.store.tickets[follow]
    assert record.subject == "Follow-up: Raise first-contact resolution" and record.status == "new"
    assert (desk.value(follow, "source"), desk.value(follow, "category")) == ("review", "service")
    assert "FCR: baseline 60" in record.description
    assert desk.adapter.get_ticket(imp, links=True).links["follow_ups"] == [follow]
    assert any(c.startswith(f"Follow-up improvement #{follow} opened") for c in desk.comments(imp))

    before = [c for c in plugin.of("before_convert") if c["draft"].title.startswith("Follow-up")]
    assert [[s.id for s in c["sources"]] for c in before] == [[imp]]
    converted = [c for c in plugin.of("after_convert") if c["improvement"].id == follow]
    assert [(c["created"], [s.id for s in c["sources"]]) for c in converted] == [(True, [imp])]
    linked = [c for c in plugin.of("after_link") if c["kind"] == "follow_up"]
    assert [(c["improvement"].id, c["target"].id) for c in linked] == [(imp, follow)]
    assert linked[0]["improvement"].links["follow_ups"] == [follow]

    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"event": "convert", "improvement": follow, "created": True, "sources": [imp]}.items() <= next(
        e for e in events if e["event"] == "convert" and e["improvement"] == follow).items()
    assert any(e["event"] == "link" and e["improvement"] == imp and (e["kind"], e["target"]) == ("follow_up", follow)
               for e in events)
    assert any(e["event"] == "transition" and e["improvement"] == imp and e["to_state"] == "closed" for e in events)


def test_a_met_target_opens_no_follow_up(tmp_path):
    desk, _ = desk_with(tmp_path, Before())
    imp = closed_with(desk, 80)
    assert followups(desk, imp) == [] and len(desk.improvements()) == 1


def test_closing_again_for_the_same_cause_reuses_the_open_follow_up(tmp_path):
    desk, _ = desk_with(tmp_path, Before())
    imp = closed_with(desk, 58)
    for state in ("assessing", "approved", "planned", "in-progress", "measuring", "closed"):
        transition(desk.register, imp, state)
    assert len(followups(desk, imp)) == 1 and len(desk.improvements()) == 2


def test_a_refused_follow_up_does_not_undo_the_closing(tmp_path, caplog):
    desk, _ = desk_with(tmp_path, Before(refuse_followups=True))
    imp = closed_with(desk, 58)
    assert desk.store.tickets[imp].status == "closed" and desk.value(imp, "verdict") == "missed"
    assert followups(desk, imp) == [] and len(desk.improvements()) == 1
    assert "followup_on_missed" in caplog.text and "no follow-ups this quarter" in caplog.text


@pytest.mark.parametrize("on, actual, expected", [('["missed", "partly"]', 70, 1), ('["missed"]', 70, 0)])
def test_partly_met_targets_follow_up_only_when_configured(on, actual, expected):
    desk = Desk(f"[hooks.followup_on_missed]\non = {on}\n", enabled=["followup_on_missed"])
    imp = closed_with(desk, actual)
    assert desk.value(imp, "verdict") == "partly" and len(followups(desk, imp)) == expected
