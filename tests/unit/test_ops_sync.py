"""sync and watch against the in-memory host: the in-host flag, failures left flagged."""

import logging

from ci_plugin.hookspecs import hookimpl
from ci_plugin.ops.sync import sync, watch
from tests.unit.memory_desk import Desk, _no_repair_pause, desk  # noqa: F401 (fixtures)


class RefuseSubject:
    """Refuses the conversion of tickets whose title says so."""

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        return "not this one" if "refuse" in draft.title else None


def test_sync_converts_flagged_tickets_once_and_clears_the_flag(desk):
    flagged, other = desk.ticket("Flagged", flagged=True), desk.ticket("Not flagged")
    report = sync(desk.register)
    [(ticket, imp, created)] = report.converted
    assert (ticket, created) == (flagged, True) and report.failed == []
    assert desk.value(flagged, "candidate") == "converted" and desk.value(other, "candidate") is None
    assert desk.value(imp, "source_tickets") == [flagged]
    assert sync(desk.register).converted == []
    desk.store.set_fields(flagged, {desk.cf("candidate"): "yes"})  # flagged again: same improvement
    assert sync(desk.register).converted == [(flagged, imp, False)]
    assert desk.improvements() == [imp] and desk.value(flagged, "candidate") == "converted"


def test_a_failing_ticket_stays_flagged_and_the_others_are_converted():
    desk = Desk(plugins=[("refuser", RefuseSubject())])
    failing, fine = desk.ticket("Please refuse me", flagged=True), desk.ticket("Fine", flagged=True)
    report = sync(desk.register)
    assert [t for t, _, _ in report.converted] == [fine]
    assert report.failed == [(failing, "conversion refused by refuser: not this one")]
    assert desk.value(failing, "candidate") == "yes" and desk.value(fine, "candidate") == "converted"
    desk.store.tickets[failing].subject = "Now acceptable"
    assert [t for t, _, _ in sync(desk.register).converted] == [failing]
    assert desk.value(failing, "candidate") == "converted"


def test_a_ticket_whose_conversion_lost_the_host_stays_flagged_for_the_next_pass(desk):
    flagged = desk.ticket(flagged=True)
    desk.store.fail_next("create_improvement")
    report = sync(desk.register)
    assert [t for t, _ in report.failed] == [flagged] and report.converted == []
    assert desk.value(flagged, "candidate") == "yes" and desk.improvements() == []
    assert [t for t, _, _ in sync(desk.register).converted] == [flagged]


def test_watch_runs_passes_and_survives_a_pass_that_fails_as_a_whole(desk, caplog):
    flagged = desk.ticket(flagged=True)
    desk.store.fail_next("flagged_tickets")
    reports, pauses = [], []
    with caplog.at_level(logging.ERROR):
        passes = watch(desk.register, interval=2.5, passes=2, on_report=reports.append, sleep=pauses.append)
    assert passes == 2 and "sync pass failed" in caplog.text
    assert [[t for t, _, _ in r.converted] for r in reports] == [[flagged]]  # the first pass reported nothing
    assert pauses == [1.0, 1.0, 0.5]  # one interval, in steps of at most a second, between the passes
    assert len(desk.improvements()) == 1
