"""convert against the in-memory host: create, idempotency, several sources, --into, refusals
before any write, a lost answer, and two converters racing over one store."""

import pytest

from ci_plugin.errors import HostUnavailable, NotFound, UsageError
from ci_plugin.hookspecs import hookimpl
from ci_plugin.ops.convert import convert
from tests.unit.memory_desk import Desk, _no_repair_pause, desk, spy  # noqa: F401 (fixtures)


def writes(desk):
    counts = desk.adapter.session.counts
    return counts["POST"] + counts["PUT"]


def converted_comments(desk, ticket_id):
    return [c for c in desk.comments(ticket_id) if c.startswith("Converted into improvement #")]


def test_convert_creates_one_improvement_with_fields_link_and_comment(spy):
    desk = Desk(plugins=[("spy", spy)])
    source = desk.ticket("Password resets flood the desk", content="40 calls a day.")
    result = convert(desk.register, [source], category="process")
    imp = result.improvement.id
    assert result.created and desk.improvements() == [imp]
    record = desk.store.tickets[imp]
    assert (record.subject, record.status) == ("Password resets flood the desk", "new")
    assert "40 calls a day." in record.description
    assert (desk.value(imp, "category"), desk.value(imp, "source"), desk.value(imp, "source_tickets")) == (
        "process", "incident", [source])
    assert desk.store.links == [(imp, "refers-to", source)]
    assert converted_comments(desk, source) and f"#{imp}" in converted_comments(desk, source)[0]
    [call] = spy.of("after_convert")
    assert call["created"] is True and call["improvement"].id == imp and [s.id for s in call["sources"]] == [source]


def test_converting_again_returns_the_same_improvement_and_writes_nothing(spy):
    desk = Desk(plugins=[("spy", spy)])
    source = desk.ticket()
    first = convert(desk.register, [source]).improvement.id
    before = writes(desk)
    again = convert(desk.register, [f"#{source}"])
    assert (again.improvement.id, again.created) == (first, False)
    assert writes(desk) == before and desk.improvements() == [first]
    assert len(converted_comments(desk, source)) == 1
    assert [c["created"] for c in spy.of("after_convert")] == [True, False]


def test_a_problem_record_converts_with_source_problem(desk):
    result = convert(desk.register, [desk.ticket(kind="problem")])
    assert result.improvement.get("source") == "problem"


def test_several_tickets_become_one_improvement(desk):
    tickets = [desk.ticket(f"Wifi drops {n}") for n in "ABC"]
    result = convert(desk.register, list(reversed(tickets)), title="Stabilise office wifi")
    imp = result.improvement.id
    assert result.improvement.title == "Stabilise office wifi"
    assert sorted(desk.value(imp, "source_tickets"), key=int) == tickets
    assert result.improvement.links["sources"] == tickets
    assert convert(desk.register, [tickets[1]]).improvement.id == imp
    assert all(len(converted_comments(desk, t)) == 1 for t in tickets)


def test_tickets_of_different_improvements_are_refused_together(desk):
    one, two = desk.ticket(), desk.ticket()
    a, b = (convert(desk.register, [t]).improvement.id for t in (one, two))
    with pytest.raises(UsageError, match=f"converted into different improvements \\({a}, {b}\\)"):
        convert(desk.register, [one, two])


def test_into_adds_a_new_source_with_its_link_and_comment(desk):
    first, later = desk.ticket("Backup fails"), desk.ticket("Backup fails again")
    imp = convert(desk.register, [first]).improvement.id
    result = convert(desk.register, [later], into=imp)
    assert (result.improvement.id, result.created, result.added_sources) == (imp, False, [later])
    assert desk.value(imp, "source_tickets") == [first, later]
    assert (imp, "refers-to", later) in desk.store.links
    assert any(c.startswith(f"Added as a source of improvement #{imp}") for c in desk.comments(later))
    assert desk.improvements() == [imp]


def test_into_refuses_a_ticket_converted_elsewhere_and_writes_nothing(desk):
    one, two = desk.ticket(), desk.ticket()
    imp_one, imp_two = (convert(desk.register, [t]).improvement.id for t in (one, two))
    before = writes(desk)
    with pytest.raises(UsageError, match=f"already converted into improvement {imp_one}; cannot add them to {imp_two}"):
        convert(desk.register, [one], into=imp_two)
    assert writes(desk) == before and desk.value(imp_two, "source_tickets") == [two]


@pytest.mark.parametrize("case", ["unknown ticket", "an improvement", "a missing problem", "not a problem",
                                  "not a project", "malformed id"])
def test_bad_input_is_refused_before_anything_is_written(desk, case):
    source = desk.ticket()
    existing = convert(desk.register, [desk.ticket()]).improvement.id
    args, kwargs, error, words = {
        "unknown ticket": ([source, "999"], {}, NotFound, "ticket 999 does not exist"),
        "an improvement": ([existing], {}, UsageError, f"ticket {existing} is itself an improvement"),
        "a missing problem": ([source], {"problems": ["999"]}, NotFound, "999"),
        "not a problem": ([source], {"problems": [source]}, NotFound, f"ticket {source} is not a problem record"),
        "not a project": ([source], {"projects": [source]}, NotFound, f"{source} is not a project record"),
        "malformed id": (["12abc"], {}, UsageError, "ticket id '12abc' is not a positive number"),
    }[case]
    before, tickets = writes(desk), len(desk.store.tickets)
    with pytest.raises(error, match=words):
        convert(desk.register, args, **kwargs)
    assert writes(desk) == before and len(desk.store.tickets) == tickets
    assert desk.comments(source) == []


def test_problem_and_project_links_are_made_with_the_improvement(spy):
    desk = Desk(plugins=[("spy", spy)])
    problem, project, source = desk.ticket(kind="problem"), desk.ticket(kind="project"), desk.ticket()
    imp = convert(desk.register, [source], problems=[problem], projects=[f"#{project}"]).improvement
    assert imp.links == {"sources": [source], "problems": [problem], "projects": [project]}
    assert {(imp.id, "refers-to", problem), (imp.id, "member-of", project)} <= set(desk.store.links)
    assert sorted((c["kind"], c["target"].id) for c in spy.of("after_link")) == [("problem", problem),
                                                                                 ("project", project)]


def test_a_refusing_before_convert_guard_stops_it_and_an_enriching_one_fills_values():
    class Guard:
        @hookimpl
        def ci_before_convert(self, draft, sources, register):
            if "secret" in draft.title:
                return "no secrets in the register"
            draft.values["size"] = "M"

    desk = Desk(plugins=[("guard", Guard())])
    with pytest.raises(Exception, match="conversion refused by guard: no secrets in the register"):
        convert(desk.register, [desk.ticket("A secret plan")])
    assert desk.improvements() == []
    imp = convert(desk.register, [desk.ticket("Open plan")]).improvement.id
    assert desk.value(imp, "size") == "M"


def test_a_lost_answer_is_recovered_by_converting_again_without_a_duplicate(spy):
    desk = Desk(plugins=[("spy", spy)])
    source = desk.ticket()
    desk.store.fail_next("create_improvement", lost_answer=True)
    with pytest.raises(HostUnavailable):
        convert(desk.register, [source])
    [made] = desk.improvements()
    assert spy.of("after_convert") == []
    again = convert(desk.register, [source])
    assert again.improvement.id == made and desk.improvements() == [made]
    assert len(converted_comments(desk, source)) == 1  # the comment the lost conversion never wrote


def test_two_converters_racing_leave_exactly_one_improvement():
    desk = Desk()
    source = desk.ticket("Raced ticket")
    other = desk.other_register()  # a second process, its own adapter over the same host
    seen = {}
    desk.store.before_next("create_improvement", lambda: seen.setdefault("other", convert(other, [source])))
    mine = convert(desk.register, [source])
    winner = seen["other"].improvement.id
    assert seen["other"].created and mine.improvement.id == winner and not mine.created
    standing, retired = desk.improvements()
    assert standing == winner
    assert desk.store.tickets[retired].status == "rejected" and desk.value(retired, "source_tickets") is None
    assert any(f"Duplicate of improvement #{winner}" in c for c in desk.comments(retired))
    assert desk.register.host.improvements_from_source(source) == [winner]
    assert len(converted_comments(desk, source)) == 1


def test_a_race_lost_with_more_sources_than_the_winner_keeps_every_source():
    desk = Desk()
    first, second = desk.ticket("Shared"), desk.ticket("Only mine")
    other = desk.other_register()
    desk.store.before_next("create_improvement", lambda: convert(other, [first]))
    result = convert(desk.register, [first, second])
    assert desk.register.host.improvements_from_source(second) == [result.improvement.id]
