"""prioritize against the in-memory host: dependency-aware rank, only changes written.

The stored ``rank`` is an order key (lower = do first); these tests check the order the keys
give and which improvements were written, read from the store, not the keys' exact values.
"""

from ci_plugin import config as config_module
from ci_plugin.app import open_register
from ci_plugin.hosts.memory import MemoryAdapter
from ci_plugin.ops.assess import assess
from ci_plugin.ops.convert import convert
from ci_plugin.ops.prioritize import prioritize
from ci_plugin.plugins import PluginManager
from tests.unit.memory_desk import BASE, _no_repair_pause, desk  # noqa: F401 (fixtures)


def assessed(desk, value, effort=2):
    imp = convert(desk.register, [desk.ticket(f"value {value}")]).improvement.id
    assess(desk.register, imp, "quadrant", {"value": value, "effort": effort})
    return imp


def puts(desk):
    return desk.adapter.session.counts["PUT"]


def stored(desk):
    """(score, rank) of every improvement, as the host holds them."""
    return {i: (desk.value(i, "score"), desk.value(i, "rank")) for i in desk.improvements()}


def stored_order(desk, ids):
    """``ids`` sorted by the rank keys the host holds."""
    return sorted(ids, key=lambda i: int(desk.value(i, "rank")))


def test_ranks_by_score_and_writes_nothing_when_nothing_changed(desk):
    low, high, mid = assessed(desk, 2), assessed(desk, 9), assessed(desk, 5)
    unscored = convert(desk.register, [desk.ticket("no assessment")]).improvement.id
    report = prioritize(desk.register)
    assert [e.improvement.id for e in report.entries] == [high, mid, low, unscored]
    assert [e.rank for e in report.entries] == [1, 2, 3, 4] and report.entries[-1].score is None
    assert stored_order(desk, [low, high, mid, unscored]) == [high, mid, low, unscored]
    assert report.writes == 4 == sum(e.changed for e in report.entries)
    before, values = puts(desk), stored(desk)
    again = prioritize(desk.register)
    assert again.writes == 0 and puts(desk) == before and stored(desk) == values
    assert not any(e.changed for e in again.entries)


def test_only_what_changed_is_written(desk):
    low, high = assessed(desk, 2), assessed(desk, 9)
    prioritize(desk.register)
    mid = assessed(desk, 5)
    before, values = puts(desk), stored(desk)
    report = prioritize(desk.register)
    written = {e.improvement.id for e in report.entries if e.changed}
    assert mid in written and report.writes == len(written) == puts(desk) - before
    assert all(stored(desk)[i] == values[i] for i in values if i not in written)  # the others untouched
    assert stored_order(desk, [low, high, mid]) == [high, mid, low]


def test_a_blocker_ranks_above_what_depends_on_it(desk):
    low, high, mid = assessed(desk, 2), assessed(desk, 9), assessed(desk, 5)
    desk.store.add_links(high, "depends-on", [low])  # made in the host: high waits for low
    order = [e.improvement.id for e in prioritize(desk.register).entries]
    assert order.index(low) < order.index(high) < order.index(mid)
    assert stored_order(desk, [low, high, mid]) == order


def test_a_change_of_weights_rescores_from_the_stored_inputs(desk):
    imp = convert(desk.register, [desk.ticket()]).improvement.id
    assess(desk.register, imp, "weighted", {"value": 4, "urgency": 1, "risk_reduction": 1, "effort": 1})
    assert desk.value(imp, "score") == "14"  # 3x4 + 2x1 + 2x1 - 2x1
    heavier = config_module.parse(BASE + "[scoring.weighted]\ncriteria = {value = 5, urgency = 2, risk_reduction = 2}\n",
                                  environ={})
    register = open_register(heavier, plugins=PluginManager(load_external=False),
                             host=MemoryAdapter(heavier, store=desk.store))
    report = prioritize(register)
    assert report.entries[0].score == 22 and desk.value(imp, "score") == "22"  # 5x4 + 2 + 2 - 2


def test_dry_run_writes_nothing_and_closed_improvements_are_not_ranked(desk):
    a, b = assessed(desk, 3), assessed(desk, 8)
    desk.store.tickets[a].status = "closed"
    before = puts(desk)
    report = prioritize(desk.register, dry_run=True)
    assert [e.improvement.id for e in report.entries] == [b] and report.writes == 0 and puts(desk) == before
    assert desk.value(b, "rank") is None


def test_a_write_the_host_lost_is_left_for_the_next_run(desk):
    first, second = assessed(desk, 9), assessed(desk, 5)
    desk.store.fail_next("update_fields")
    report = prioritize(desk.register)
    assert report.writes == 1 and desk.value(first, "rank") is None and desk.value(second, "rank") is not None
    assert any(w.startswith(f"#{first}: not written:") for w in report.warnings)
    assert prioritize(desk.register).writes == 1
    assert stored_order(desk, [first, second]) == [first, second]
