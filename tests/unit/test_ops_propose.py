"""propose against the in-memory host: the uncovered cluster is proposed, a covered one and noise
are not, --create makes one improvement with every ticket as an incident source and the evidence,
a second run proposes nothing, the searches are paged, bad input writes nothing, and the
built-in hook propose_recurring opens at most max_per_pass improvements per watch pass."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from ci_plugin.cli import cmd_propose, main
from ci_plugin.errors import UsageError
from ci_plugin.ops import propose as propose_module
from ci_plugin.ops.convert import convert
from ci_plugin.ops.propose import propose
from ci_plugin.ops.sync import watch
from tests.unit.memory_desk import Desk, desk  # noqa: F401 (fixture)


def cluster(desk, subject, count, start=100):
    return [desk.ticket(f"{subject} #{start + i} on host-{i}") for i in range(count)]


@pytest.fixture
def filled(desk):
    vpn = cluster(desk, "VPN drops after sleep", 7)
    covered = cluster(desk, "Printer out of toner", 6)
    for i, subject in enumerate(["Password reset", "Mail server down", "Wifi slow in room 4", "VPN slow"]):
        desk.ticket(subject)
    convert(desk.register, [covered[2]])  # one ticket of the cluster is a source already
    return vpn, covered


def test_only_the_uncovered_cluster_is_proposed(desk, filled):
    vpn, _ = filled
    document = propose(desk.register)
    assert [(p["key"], p["count"], p["tickets"]) for p in document["proposals"]] == [("General", 7, vpn)]
    assert document["proposals"][0]["improvement"] is None and document["created"] == 0
    assert document["tickets_read"] == 17 + 0  # 7 + 6 + 4 incident tickets; improvements are not candidates


def test_create_makes_one_improvement_with_seven_sources_and_a_second_run_proposes_nothing(desk, filled):
    vpn, _ = filled
    before = set(desk.improvements())
    document = propose(desk.register, create=True)
    made = set(desk.improvements()) - before
    assert len(made) == 1 and document["created"] == 1
    (imp,) = made
    assert document["proposals"][0]["improvement"] == imp
    assert desk.value(imp, "source_tickets") == vpn and desk.value(imp, "source") == "incident"
    description = desk.store.tickets[imp].description
    assert description.startswith("Proposed by ci-plugin propose: 7 recurring tickets with the key 'General'")
    assert all(any(f"#{imp}" in c for c in desk.comments(t)) for t in vpn)
    assert propose(desk.register, create=True)["proposals"] == []
    assert set(desk.improvements()) - before == made


def test_min_count_and_since_bound_the_window(desk, filled):
    assert len(propose(desk.register, min_count=8)["proposals"]) == 0
    old = datetime.now(timezone.utc) + timedelta(days=1)
    for record in desk.store.tickets.values():
        record.created = "2020-01-01T00:00:00+00:00"
    assert propose(desk.register)["tickets_read"] == 0  # default window: the last 30 days
    assert propose(desk.register, since=datetime(2019, 12, 31, tzinfo=timezone.utc))["proposals"]
    assert old > datetime.now(timezone.utc)


def test_group_by_names_a_custom_field(filled):
    other = Desk('[propose]\ngroup_by = "CI Category"\n')
    ids = cluster(other, "VPN drops after sleep", 6)
    for n, i in enumerate(ids):
        other.store.tickets[i].fields["CI Category"] = "network" if n < 3 else "laptops"
    found = propose(other.register, min_count=3)["proposals"]
    assert [(p["key"], p["tickets"]) for p in found] == [("laptops", ids[3:]), ("network", ids[:3])]


def test_the_tickets_are_read_in_pages_of_a_hundred(desk):
    for i in range(250):
        desk.store.create_ticket("General", f"noise {i} word{chr(97 + i % 26)}{chr(97 + i // 26)}")
    calls = []
    original = desk.adapter._call
    desk.adapter._call = lambda op, method, action: (calls.append(op), original(op, method, action))[1]
    assert propose(desk.register)["tickets_read"] == 250
    assert calls.count("candidate_occurrences") == 3


@pytest.mark.parametrize("argv, words", [(["--min-count", "-1"], "--min-count"), (["--min-count", "0"], "--min-count"),
                                         (["--since", "2999-01-01"], "in the future"), (["--since", "soon"], "--since")])
def test_bad_input_exits_2_in_one_line_and_writes_nothing(argv, words, capsys, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(cmd_propose, "open_register", lambda *a, **k: opened.append(1))
    assert main(["--config", str(tmp_path / "missing.toml"), "propose", "--create", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and words in captured.err and not opened


def test_check_inputs_refuses_only_what_is_wrong():
    with pytest.raises(UsageError):
        propose_module.check_inputs(None, -3)
    propose_module.check_inputs(datetime.now(timezone.utc) - timedelta(days=1), 1)


def test_the_command_prints_proposals_as_text_and_json(desk, filled, capsys, monkeypatch):
    monkeypatch.setattr(cmd_propose, "open_register", lambda *a, **k: desk.register)
    assert main(["propose"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 proposal(s) from 17 ticket(s)") and ", ".join(filled[0]) in out
    assert main(["propose", "--json", "--create"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["created"] == 1 and document["proposals"][0]["improvement"]


def test_the_builtin_hook_opens_at_most_max_per_pass_per_watch_pass():
    desk = Desk("[hooks.propose_recurring]\nmax_per_pass = 1\n", enabled=["propose_recurring"])
    cluster(desk, "VPN drops after sleep", 5)
    cluster(desk, "Printer out of toner", 5)
    before = set(desk.improvements())
    watch(desk.register, interval=1, passes=1, sleep=lambda s: None)
    assert len(set(desk.improvements()) - before) == 1
    watch(desk.register, interval=1, passes=2, sleep=lambda s: None)
    assert len(set(desk.improvements()) - before) == 2  # the second pass opened the other; nothing twice


def test_the_hook_is_off_until_enabled(desk):
    cluster(desk, "VPN drops after sleep", 5)
    watch(desk.register, interval=1, passes=1, sleep=lambda s: None)
    assert desk.improvements() == []


class PassSpy:
    def __init__(self):
        self.passes = []

    from ci_plugin.hookspecs import hookimpl

    @hookimpl
    def ci_watch_pass(self, register):
        self.passes.append(register)


def test_watch_fires_ci_watch_pass_once_per_pass_that_reached_the_host():
    spy = PassSpy()
    desk = Desk(plugins=[("pass-spy", spy)])
    watch(desk.register, interval=1, passes=3, sleep=lambda s: None)
    assert len(spy.passes) == 3 and spy.passes[0] is desk.register
