"""A batch stops after ``[host] max_consecutive_failures`` connection failures in a row (issue 8,
point 5): ``sync`` and ``prioritize`` raise one HostUnavailable (exit 3) instead of trying
every remaining item; ``watch`` logs that once per pass and keeps going. Fake registers keep
these tests free of any host."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from ci_plugin.domain.model import Improvement, Ticket
from ci_plugin.errors import HostUnavailable, NotFound
from ci_plugin.ops import sync as sync_ops
from ci_plugin.ops.prioritize import prioritize
from ci_plugin.ops.unreachable import failure_limit


class DownHost:
    """Lists flagged tickets, then fails every read (``fail`` decides per ticket id)."""

    def __init__(self, flagged: int, fail=lambda ticket_id: HostUnavailable("host at x is unreachable: connection failed")):
        self.flagged = [Ticket(id=str(n), title=f"t{n}") for n in range(1, flagged + 1)]
        self.fail = fail
        self.reads: list[str] = []

    def flagged_tickets(self):
        return iter(self.flagged)

    def get_ticket(self, ticket_id, links=False):
        self.reads.append(ticket_id)
        raise self.fail(ticket_id)

    peek_ticket = get_ticket  # conversions read their sources without descriptions first


def register_with(host, **host_settings):
    return SimpleNamespace(host=host, config=SimpleNamespace(data={"host": dict(host_settings)}))


def test_the_limit_is_read_from_the_host_table_with_a_default_of_three():
    assert failure_limit(SimpleNamespace(data={"host": {}})) == 3
    assert failure_limit(SimpleNamespace(data={"host": {"max_consecutive_failures": 7}})) == 7


def test_sync_stops_after_three_connection_failures_with_one_error(caplog):
    host = DownHost(30)
    with caplog.at_level(logging.WARNING), pytest.raises(HostUnavailable) as raised:
        sync_ops.sync(register_with(host))
    assert host.reads == ["1", "2", "3"]  # not the 27 others
    assert "3 consecutive connection failures" in str(raised.value) and raised.value.exit_code == 3
    assert caplog.records == []  # said once, by the CLI, from the exception


def test_sync_honours_a_configured_limit():
    host = DownHost(30)
    with pytest.raises(HostUnavailable):
        sync_ops.sync(register_with(host, max_consecutive_failures=5))
    assert len(host.reads) == 5


def test_an_answer_between_failures_starts_the_count_again():
    # tickets 2 and 4 answer (not found): never three connection failures in a row
    host = DownHost(6, fail=lambda i: NotFound("gone") if i in ("2", "4") else HostUnavailable("unreachable"))
    report = sync_ops.sync(register_with(host))
    assert len(host.reads) == 6 and [t for t, _ in report.failed] == ["1", "2", "3", "4", "5", "6"]


def test_watch_logs_an_unreachable_host_once_per_pass_and_keeps_going(caplog):
    host, slept = DownHost(10), []
    with caplog.at_level(logging.WARNING):
        passes = sync_ops.watch(register_with(host), 5, passes=2, sleep=slept.append)
    assert passes == 2 and len(host.reads) == 6 and sum(slept) == 5
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 2 and all("3 consecutive connection failures" in r.getMessage() for r in errors)


class DownRegister:
    """A register of ``count`` unscored improvements whose writes fail."""

    def __init__(self, count, **host_settings):
        self.items = [Improvement(id=str(n), title=f"i{n}", state="new", values={"rank": 999}) for n in range(1, count + 1)]
        self.config = SimpleNamespace(data={"host": dict(host_settings)})
        self.writes: list[str] = []

    def list(self, states=None):
        return iter(self.items)

    def write_values(self, improvement_id, values):
        self.writes.append(improvement_id)
        if improvement_id != "1":
            raise HostUnavailable("host at x is unreachable: connection failed")


def test_prioritize_skips_a_lost_write_and_stops_after_three_in_a_row():
    register = DownRegister(100)
    with pytest.raises(HostUnavailable, match=r"prioritize stopped after 3 consecutive connection failures \(1 done"):
        prioritize(register)
    assert register.writes == ["1", "2", "3", "4"]
