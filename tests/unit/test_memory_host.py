"""The in-memory host itself: what it enforces, how it is reached, and its fault injection.

The contract suite (``tests/live``) runs against it too; these tests cover what that suite
checks on the HTTP hosts through the fault proxy (a failed create writes nothing, a lost answer
is recovered by converting again, a reset read is one clear error) with the store's faults.
"""

import json

import pytest

from ci_plugin import config as config_module
from ci_plugin.app import open_register
from ci_plugin.errors import AuthenticationError, HostRefused, HostUnavailable, NotFound, ServerError
from ci_plugin.hosts.memory import STORE_ENV, MemoryAdapter, MemoryStore, store_for
from ci_plugin.hosts.memory import adapter as memory_adapter
from ci_plugin.hosts.memory.session import forget
from ci_plugin.ops.convert import convert
from ci_plugin.ops.setup import doctor, setup
from ci_plugin.plugins import PluginManager
from tests.unit.memory_desk import BASE, TOKEN, URL, Desk, _no_repair_pause, desk  # noqa: F401 (fixtures)


def test_the_core_plugin_registers_the_memory_host():
    assert PluginManager(load_external=False).hosts()["memory"] is MemoryAdapter


def test_provisioning_is_idempotent_and_the_workflow_is_a_manual_step():
    store = MemoryStore(URL, TOKEN)
    register = open_register(config_module.parse(BASE, environ={}), plugins=PluginManager(load_external=False),
                             host=MemoryAdapter(config_module.parse(BASE, environ={}), store=store))
    first = setup(register)
    assert {c.what for c in first.changes if c.action == "created"} >= {"queue Improvements", "queue Problems",
                                                                         "queue Projects"}
    assert [f.name for f in first.failing] == ["workflow ci-improvement"]
    assert [m.filename for m in first.pending] == ["ci-improvement.workflow.json"]
    assert store.fields["Improvement candidate"]["queues"] == ["General"]
    assert store.fields["CI Source Ticket"]["multi"] is True
    store.install_workflow(json.loads(first.pending[0].content))
    second = setup(register)
    assert second.complete and {c.action for c in second.changes} == {"unchanged"}
    assert all(f.ok for f in doctor(register))


def test_doctor_names_a_field_missing_from_its_queue_and_setup_applies_it(desk):
    desk.store.fields["CI Score"]["queues"].remove("Improvements")
    failing = [f for f in doctor(desk.register) if not f.ok]
    assert [(f.name, f.detail) for f in failing] == [("custom field CI Score", "not applied to queue Improvements")]
    report = setup(desk.register)
    assert report.complete and any(c.action == "updated" and "CI Score" in c.what for c in report.changes)


def test_a_workflow_that_no_longer_matches_the_states_is_reported():
    desk = Desk('[states]\nclosed = "done"\n')
    finding = next(f for f in doctor(desk.register) if f.name == "workflow ci-improvement")
    assert not finding.ok and "differs from the register's states" in finding.detail


def test_the_host_enforces_field_patterns_and_queues_all_or_nothing(desk):
    imp = desk.adapter.create_improvement("T", "D", {"category": "service"}, {})
    with pytest.raises(HostRefused, match="'huge' is not a valid value for custom field 'CI Size'"):
        desk.adapter.update_fields(imp, {"category": "process", "size": "huge"})
    assert desk.value(imp, "category") == "service"  # the valid half was not written either
    incident = desk.ticket()
    with pytest.raises(HostRefused, match="does not apply to queue 'General'"):
        desk.adapter.update_fields(incident, {"score": "3"})
    before = list(desk.store.tickets)
    with pytest.raises(HostRefused):
        desk.adapter.create_improvement("T", "D", {"source_tickets": ["12x"]}, {})
    assert list(desk.store.tickets) == before


def test_the_hosts_workflow_refuses_a_status_with_its_words(desk):
    imp = desk.adapter.create_improvement("T", "D", {}, {})
    with pytest.raises(HostRefused) as refused:
        desk.adapter.set_status(imp, "closed")
    assert refused.value.messages == ["You can't change status from 'new' to 'closed'."]
    with pytest.raises(HostRefused, match="'done' isn't a valid status"):
        desk.adapter.set_status(imp, "done")
    assert desk.store.tickets[imp].status == "new"
    desk.adapter.set_status(imp, "assessing")
    assert desk.store.tickets[imp].status == "assessing"


def test_links_are_stored_once_and_read_from_both_ends(desk):
    source, problem, project = desk.ticket(), desk.ticket(kind="problem"), desk.ticket(kind="project")
    imp = desk.adapter.create_improvement("T", "D", {"source_tickets": [source]}, {"sources": [source]})
    desk.adapter.add_links(imp, "problems", [problem])
    desk.adapter.add_links(imp, "problems", [problem])
    desk.adapter.add_links(imp, "projects", [project])
    follow = desk.adapter.create_improvement("F", "D", {}, {})
    desk.adapter.add_links(imp, "follow_ups", [follow])
    assert desk.store.links == [(imp, "refers-to", source), (imp, "refers-to", problem), (imp, "member-of", project),
                                (follow, "refers-to", imp)]
    assert desk.adapter.get_ticket(imp, links=True).links == {
        "sources": [source], "problems": [problem], "projects": [project], "follow_ups": [follow]}
    assert desk.adapter.get_ticket(project, links=True).links == {"improvements": [imp]}
    assert desk.adapter.get_ticket(follow, links=True).links == {"related": [imp]}
    with pytest.raises(NotFound, match="ticket 999 does not exist"):
        desk.adapter.add_links(imp, "problems", ["999"])


def test_lists_are_iterators_read_page_by_page(desk, monkeypatch):
    ids = [desk.adapter.create_improvement(f"T{n}", "D", {}, {}) for n in range(5)]
    monkeypatch.setattr(memory_adapter, "PAGE_SIZE", 2)
    before = desk.adapter.session.counts["GET"]
    listing = desk.adapter.list_improvements(["new"])
    assert next(listing).id == ids[0]
    assert [t.id for t in listing] == ids[1:]
    assert desk.adapter.session.counts["GET"] - before == 3  # 2 + 2 + 1
    flagged = desk.ticket(flagged=True)
    assert [t.id for t in desk.adapter.flagged_tickets()] == [flagged]


def test_wrong_token_and_wrong_address(desk):
    wrong_token = config_module.parse(BASE.replace(TOKEN, "nope"), environ={})
    with pytest.raises(AuthenticationError, match=r"^memory host rejected the credentials \(HTTP 401\)$"):
        MemoryAdapter(wrong_token, store=desk.store).about()
    elsewhere = config_module.parse(BASE.replace(URL, "http://127.0.0.1:9"), environ={})
    with pytest.raises(HostUnavailable, match="memory host at http://127.0.0.1:9 is unreachable"):
        MemoryAdapter(elsewhere, store=desk.store).get_ticket("1")


def test_a_config_reaches_one_store_per_url_in_a_process():
    config = config_module.parse(BASE.replace("/unit", "/registry"), environ={})
    first, second = MemoryAdapter(config), MemoryAdapter(config)
    try:
        assert first.store is second.store
        ticket = first.store.create_ticket("General", "S")
        assert second.get_ticket(ticket).title == "S"
    finally:
        forget(first.store)


def test_a_file_backed_store_is_shared_between_processes(tmp_path):
    path = str(tmp_path / "host.json")
    one = store_for(URL, TOKEN, {STORE_ENV: path})
    try:
        one.create_queue("Problems")
        ticket = one.create_ticket("General", "Saved", fields={})
        other = MemoryStore.load(path)  # another process
        assert other.ticket(ticket).subject == "Saved" and "Problems" in other.queues
        assert TOKEN not in (tmp_path / "host.json").read_text()  # only a digest of the token is kept
        other.add_comment(ticket, "from the other process")
        assert one.ticket(ticket).comments == []
        one.refresh()
        assert one.ticket(ticket).comments == ["from the other process"]
    finally:
        forget(one)


# --- fault injection: what the fault proxy does to the HTTP hosts -------------------------------


def test_an_unreachable_host_on_create_writes_nothing_and_converting_again_works(desk):
    source = desk.ticket()
    desk.store.fail_next("create_improvement")
    with pytest.raises(HostUnavailable, match="connection reset before create_improvement"):
        convert(desk.register, [source])
    assert desk.improvements() == [] and desk.comments(source) == []
    assert convert(desk.register, [source]).created


def test_a_server_error_on_create_is_raised_as_is_and_writes_nothing(desk):
    source = desk.ticket()
    desk.store.fail_next("create_improvement", error=ServerError("memory host failed (HTTP 500)", status=500))
    with pytest.raises(ServerError, match="HTTP 500"):
        convert(desk.register, [source])
    assert desk.improvements() == []


def test_a_lost_answer_after_the_host_created_the_record_is_recovered_without_a_duplicate(desk):
    source = desk.ticket()
    desk.store.fail_next("create_improvement", lost_answer=True)
    with pytest.raises(HostUnavailable, match="the answer to create_improvement was lost"):
        convert(desk.register, [source])
    made = desk.improvements()
    assert len(made) == 1 and desk.value(made[0], "source_tickets") == [source]
    again = convert(desk.register, [source])
    assert again.improvement.id == made[0] and not again.created
    assert desk.improvements() == made


def test_faults_are_used_up_and_count_per_operation(desk):
    imp = desk.adapter.create_improvement("T", "D", {}, {})
    desk.store.fail_next("get_ticket", times=2)
    for _ in range(2):
        with pytest.raises(HostUnavailable):
            desk.adapter.get_ticket(imp)
    assert desk.adapter.get_ticket(imp).id == imp
    desk.store.fail_next("set_status", ignore=True)
    desk.adapter.set_status(imp, "assessing")  # answered success, did nothing
    assert desk.store.tickets[imp].status == "new"
    desk.store.fail_next("comment", refuse="Permission Denied")
    with pytest.raises(HostRefused, match="Permission Denied"):
        desk.adapter.comment(imp, "x")
    order = []
    desk.store.before_next("comment", lambda: order.append(len(desk.comments(imp))))
    desk.adapter.comment(imp, "y")
    assert order == [0] and desk.comments(imp) == ["y"]
