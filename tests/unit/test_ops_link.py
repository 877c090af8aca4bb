"""link against the in-memory host: once, audited, announced; wrong targets refused."""

import pytest

from ci_plugin.errors import NotFound
from ci_plugin.ops.convert import convert
from ci_plugin.ops.link import link
from tests.unit.memory_desk import Desk, _no_repair_pause, desk, spy  # noqa: F401 (fixtures)


def test_link_records_problem_and_project_once_with_a_comment_and_a_notification(spy):
    desk = Desk(plugins=[("spy", spy)])
    imp = convert(desk.register, [desk.ticket()]).improvement.id
    problem, project = desk.ticket(kind="problem"), desk.ticket(kind="project")
    result = link(desk.register, imp, problems=[problem], projects=[project])
    assert result.added == {"problems": [problem], "projects": [project]}
    assert result.improvement.links["problems"] == [problem] and result.improvement.links["projects"] == [project]
    assert {(imp, "refers-to", problem), (imp, "member-of", project)} <= set(desk.store.links)
    assert desk.comments(imp) == [f"Linked to problem #{problem}\nLinked to project #{project}\n\n-- ci-plugin, by "
                                  f"{desk.register.actor}"]
    assert [(c["kind"], c["target"].id, c["improvement"].id) for c in spy.of("after_link")] == [
        ("problem", problem, imp), ("project", project, imp)]
    assert desk.adapter.get_ticket(problem, links=True).links == {"improvements": [imp]}


def test_linking_again_writes_nothing_and_announces_nothing(spy):
    desk = Desk(plugins=[("spy", spy)])
    imp = convert(desk.register, [desk.ticket()]).improvement.id
    problem = desk.ticket(kind="problem")
    link(desk.register, imp, problems=[problem])
    links, comments, calls = list(desk.store.links), list(desk.comments(imp)), len(spy.calls)
    counts = dict(desk.adapter.session.counts)
    again = link(desk.register, imp, problems=[problem])
    assert again.added == {} and desk.store.links == links and desk.comments(imp) == comments
    assert len(spy.calls) == calls
    assert {k: v for k, v in desk.adapter.session.counts.items() if k != "GET"} == {
        k: v for k, v in counts.items() if k != "GET"}


@pytest.mark.parametrize("kind", ["problems", "projects"])
def test_a_target_outside_its_queue_or_missing_is_refused_and_nothing_is_linked(desk, kind):
    imp = convert(desk.register, [desk.ticket()]).improvement.id
    incident = desk.ticket("Just an incident")
    right = desk.ticket(kind=kind[:-1])
    links = list(desk.store.links)
    with pytest.raises(NotFound, match=f"{incident} is not a {kind[:-1]} record"):
        link(desk.register, imp, **{kind: [right, incident]})
    with pytest.raises(NotFound, match="999"):
        link(desk.register, imp, **{kind: ["999"]})
    assert desk.store.links == links  # the valid target was not linked either


def test_linking_something_that_is_not_an_improvement_is_not_found(desk):
    incident, problem = desk.ticket(), desk.ticket(kind="problem")
    with pytest.raises(NotFound, match=f"ticket {incident} is not an improvement"):
        link(desk.register, incident, problems=[problem])
    assert desk.store.links == []
