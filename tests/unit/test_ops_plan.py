"""plan and progress against the in-memory host: the state rule, idempotency, hooks, the arithmetic."""

import pytest

from ci_plugin.domain.delivery import progress
from ci_plugin.errors import UsageError
from ci_plugin.ops.convert import convert
from ci_plugin.ops.plan import plan
from ci_plugin.ops.progress import progress_of
from ci_plugin.ops.transition import transition
from tests.unit.memory_desk import Desk, _no_repair_pause, desk, spy  # noqa: F401 (fixtures)


def approved(desk):
    imp = convert(desk.register, [desk.ticket()]).improvement.id
    for state in ("assessing", "approved"):
        transition(desk.register, imp, state)
    return imp


@pytest.mark.parametrize(("items", "expected"), [
    ({}, None), ({"1": False}, 0), ({"1": True}, 100), ({"1": True, "2": False, "3": False}, 33),
    ({"1": True, "2": True, "3": False}, 66), ({str(n): n < 199 for n in range(200)}, 99),
])
def test_progress_is_rounded_down_and_100_only_when_all_are_done(items, expected):
    assert progress(items) == expected


def test_plan_in_new_is_refused_before_anything_is_written():
    desk = Desk()
    imp = convert(desk.register, [desk.ticket()]).improvement.id
    before = (len(desk.store.tickets), list(desk.store.links), desk.comments(imp))
    with pytest.raises(UsageError, match=r"is 'new': a change record is planned from 'approved' on .* --force"):
        plan(desk.register, imp, "changes")
    assert (len(desk.store.tickets), list(desk.store.links), desk.comments(imp)) == before


def test_a_bad_title_is_refused_before_the_host_is_asked():
    desk = Desk()
    imp = approved(desk)
    calls = desk.register.host.session.request_count
    with pytest.raises(UsageError, match="--title must be 1 to 200 characters on one line"):
        plan(desk.register, imp, "projects", title="two\nlines")
    assert desk.register.host.session.request_count == calls


def test_plan_creates_once_copies_owner_and_target_date_and_tells_the_hooks(spy):
    desk = Desk(plugins=[("spy", spy)])
    imp = approved(desk)
    desk.store.tickets[imp].owner = "alice"
    desk.register.write_values(imp, {"target_date": "2027-01-31"})
    first = plan(desk.register, imp, "changes")
    record = desk.store.tickets[first.record_id]
    assert first.created and record.queue == "Changes" and (record.owner, record.due) == ("alice", "2027-01-31")
    assert record.description.endswith(f"ci-plugin: change record of improvement #{imp}")
    assert first.improvement.links["changes"] == [first.record_id]
    assert [(c["kind"], c["target"].id) for c in spy.of("after_link")] == [("change", first.record_id)]
    again = plan(desk.register, imp, "changes")
    assert (again.record_id, again.created) == (first.record_id, False)
    assert len(spy.of("after_link")) == 1 and sum(r.queue == "Changes" for r in desk.store.tickets.values()) == 1


def test_progress_counts_records_and_children_never_improvements():
    desk = Desk()
    imp, other = approved(desk), approved(desk)
    project = plan(desk.register, imp, "projects").record_id
    desk.store.add_links(other, "member-of", [project])  # another improvement in the same project
    task = desk.store.create_ticket("General", "task", "", {}, [("member-of", project)])
    assert progress_of(desk.register, [imp, other]) == {imp: 0, other: 0}  # project + task
    desk.store.set_status(task, "resolved")
    assert progress_of(desk.register, [imp]) == {imp: 50}
    lone = approved(desk)
    assert progress_of(desk.register, [lone]) == {}  # no delivery records: no progress
