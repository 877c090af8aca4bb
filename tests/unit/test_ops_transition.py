"""transition against the in-memory host: the workflow, guards naming their plugin, the host's
own refusal (never a success the host did not perform), and the verdict computed at closing."""

import pytest

from ci_plugin.errors import HostRefused, UsageError, VetoError
from ci_plugin.hookspecs import hookimpl
from ci_plugin.ops.convert import convert
from ci_plugin.ops.measure import measure
from ci_plugin.ops.transition import transition
from tests.unit.memory_desk import Desk, _no_repair_pause, desk, spy  # noqa: F401 (fixtures)


def improvement(desk, status="new"):
    imp = convert(desk.register, [desk.ticket()], category="process").improvement.id
    desk.store.tickets[imp].status = status  # set up directly in the host
    return imp


def state_comments(desk, imp):
    return [c for c in desk.comments(imp) if c.startswith("State: ")]


def test_a_move_along_the_workflow_reaches_the_host_is_audited_and_announced(spy):
    desk = Desk(plugins=[("spy", spy)])
    imp = improvement(desk)
    result = transition(desk.register, imp, "assessing", note="baseline captured")
    assert result.changed and (result.from_state, result.to_state) == ("new", "assessing")
    assert desk.store.tickets[imp].status == "assessing" and result.improvement.state == "assessing"
    assert state_comments(desk, imp)[0].startswith("State: new -> assessing\nNote: baseline captured")
    [call] = spy.of("after_transition")
    assert (call["from_state"], call["to_state"], call["improvement"].state) == ("new", "assessing", "assessing")


def test_moving_to_the_current_state_changes_nothing(desk):
    imp = improvement(desk, "assessing")
    writes = desk.adapter.session.counts["PUT"]
    assert transition(desk.register, imp, "assessing").changed is False
    assert desk.adapter.session.counts["PUT"] == writes and state_comments(desk, imp) == []


def test_a_move_outside_the_workflow_is_refused_by_the_workflow(desk):
    imp = improvement(desk)
    with pytest.raises(VetoError, match="transition refused by workflow: new -> closed is not a transition") as refused:
        transition(desk.register, imp, "closed")
    assert refused.value.plugin == "workflow"
    assert desk.store.tickets[imp].status == "new" and state_comments(desk, imp) == []
    with pytest.raises(UsageError, match="unknown state 'done'"):
        transition(desk.register, imp, "done")


def test_guards_refuse_naming_every_plugin_and_nothing_changes(spy):
    desk = Desk(plugins=[("spy", spy)], enabled=["require_assessment", "require_business_case"])
    imp = improvement(desk, "assessing")
    with pytest.raises(VetoError) as refused:
        transition(desk.register, imp, "approved")
    reasons = dict([(refused.value.plugin, refused.value.reason), *refused.value.also])
    assert set(reasons) == {"require_assessment", "require_business_case"}
    assert reasons["require_assessment"].startswith(f"improvement {imp} has no assessment")
    assert reasons["require_business_case"].startswith(f"improvement {imp} has no business case")
    assert str(refused.value).startswith("transition refused by ")
    assert desk.store.tickets[imp].status == "assessing" and spy.of("after_transition") == []


def test_a_guard_that_raises_fails_closed_and_is_named():
    class Broken:
        @hookimpl
        def ci_guard_transition(self, improvement, from_state, to_state, register):
            raise RuntimeError("budget service down")

    desk = Desk(plugins=[("budget", Broken())])
    imp = improvement(desk)
    with pytest.raises(VetoError, match="transition refused by budget: .*budget service down"):
        transition(desk.register, imp, "assessing")
    assert desk.store.tickets[imp].status == "new"


def test_the_hosts_own_refusal_is_reported_with_its_words_and_nothing_is_announced(spy):
    desk = Desk(plugins=[("spy", spy)])
    imp = improvement(desk)
    desk.store.fail_next("set_status", refuse="You can't change status from 'new' to 'assessing'.")
    with pytest.raises(HostRefused) as refused:
        transition(desk.register, imp, "assessing")
    assert refused.value.messages == ["You can't change status from 'new' to 'assessing'."]
    assert desk.store.tickets[imp].status == "new"
    assert state_comments(desk, imp) == [] and spy.of("after_transition") == []


def test_a_status_change_the_host_silently_dropped_is_not_reported_as_success(spy):
    desk = Desk(plugins=[("spy", spy)])
    imp = improvement(desk)
    desk.store.fail_next("set_status", ignore=True)  # answered success, changed nothing (Redmine's 204)
    with pytest.raises(HostRefused, match=f"memory host did not move improvement {imp} to assessing: it is still new"):
        transition(desk.register, imp, "assessing")
    assert state_comments(desk, imp) == [] and spy.of("after_transition") == []


def test_closing_computes_the_verdict_stores_it_and_leaves_the_ranking(desk):
    imp = improvement(desk, "measuring")
    measure(desk.register, imp, "MTTR", baseline=8, target=4, actual=3.5)
    desk.register.write_values(imp, {"rank": 3})
    result = transition(desk.register, imp, "closed")
    assert result.improvement.get("verdict") == "met" and result.improvement.get("rank") is None
    assert desk.value(imp, "verdict") == "met" and desk.value(imp, "rank") is None
    assert desk.store.tickets[imp].status == "closed"
    assert "Measurement verdict: met" in state_comments(desk, imp)[0]


def test_closing_with_a_missed_target_proposes_a_follow_up_without_the_hook(desk):
    imp = improvement(desk, "measuring")
    measure(desk.register, imp, "reopens", baseline=10, target=5, actual=12)
    transition(desk.register, imp, "closed")
    assert desk.value(imp, "verdict") == "missed"
    assert "a follow-up improvement is proposed" in state_comments(desk, imp)[0]
    assert len(desk.improvements()) == 1


def test_the_verdict_guard_sees_the_computed_verdict_before_the_host_is_asked():
    seen = []

    class Watcher:
        @hookimpl
        def ci_guard_transition(self, improvement, from_state, to_state, register):
            seen.append(improvement.get("verdict"))

    desk = Desk(plugins=[("watcher", Watcher())])
    imp = improvement(desk, "measuring")
    measure(desk.register, imp, "FCR", baseline=60, target=75, actual=70)
    transition(desk.register, imp, "closed")
    assert seen == ["partly"]


def test_a_close_the_host_dropped_leaves_verdict_and_rank_as_they_were(desk):
    imp = improvement(desk, "measuring")
    measure(desk.register, imp, "MTTR", baseline=8, target=4, actual=3.5)
    desk.register.write_values(imp, {"rank": 2})
    desk.store.fail_next("set_status", ignore=True)
    with pytest.raises(HostRefused):
        transition(desk.register, imp, "closed")
    assert (desk.value(imp, "verdict"), desk.value(imp, "rank")) == (None, "2")
