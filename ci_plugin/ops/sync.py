"""The in-host flag: ``sync`` converts every ticket an agent flagged, ``watch`` does it in a loop.

An agent who never leaves the service desk sets the candidate custom field on a ticket; one
``sync`` pass converts each flagged ticket exactly as ``convert`` does and then clears the flag.
A ticket that fails stays flagged and is retried on the next pass. When the host stops
answering, a pass gives up after ``[host] max_consecutive_failures`` connection failures in a
row (one error, exit 3) instead of trying every remaining ticket; ``watch`` logs that once per
pass and tries again at its next interval. After each pass, ``watch`` announces the review and
target dates that have come (:func:`ci_plugin.ops.due.announce_due`, hook ``ci_review_due``)
and fires ``ci_watch_pass`` (the built-in ``propose_recurring`` proposes there); a pass that
failed announces nothing.
"""

from __future__ import annotations

import logging
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ci_plugin.errors import CIPluginError, HostUnavailable, UsageError
from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.model import Ticket
from ci_plugin.ops.convert import ConversionResult, convert
from ci_plugin.ops.measure_query import KpiRefresher
from ci_plugin.ops.due import announce_due
from ci_plugin.ops.unreachable import FailureStreak, failure_limit
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """One pass of ``sync``: what was converted, and what failed (left flagged, retried next pass)."""

    converted: list[tuple[str, str, bool]] = field(default_factory=list)  # (ticket, improvement, created)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (ticket, error)


def sync(register: ImprovementRegister, *, tick: Callable[[int, int], None] | None = None) -> SyncReport:
    """Convert every flagged ticket (``convert`` clears its flag last); failures stay flagged
    for the next pass. After ``[host] max_consecutive_failures`` connection failures in a row
    the pass stops with one :class:`~ci_plugin.errors.HostUnavailable` (exit 3). ``tick(done,
    total)`` is told after each ticket (the CLI's progress bar)."""
    report = SyncReport()
    flagged = list(register.host.flagged_tickets())
    streak = FailureStreak(failure_limit(register.config), "sync")
    for done, ticket in enumerate(flagged, 1):
        if tick and done > 1:
            tick(done - 1, len(flagged))
        try:
            result = convert(register, [ticket.id], describe=False)  # sync reports ids only
        except HostUnavailable as exc:  # counted, not logged: said once if the host stays away
            streak.failed(exc)
            report.failed.append((ticket.id, str(exc)))
            continue
        except CIPluginError as exc:
            streak.answered()
            report.failed.append((ticket.id, str(exc)))
            log.warning("ticket %s: %s", ticket.id, exc)
            continue
        streak.succeeded()
        report.converted.append((ticket.id, result.improvement.id, result.created))
    if tick and flagged:
        tick(len(flagged), len(flagged))
    return report


def is_flagged(register: ImprovementRegister, ticket: Ticket) -> bool:
    """Whether ``ticket``'s candidate flag asks for conversion (the test ``sync``'s search makes)."""
    flag = ticket.fields.get("candidate")
    return (flag[0] if isinstance(flag, list) and flag else flag) == register.config.section("candidate")["value"]


def convert_flagged(register: ImprovementRegister, ticket_id: str) -> ConversionResult | None:
    """Convert one ticket exactly as a ``sync`` pass does, if the host says it is still flagged
    (``serve``'s work for a pushed event); None when it is not: converted already (by ``sync``,
    ``watch`` or an earlier event: ``convert`` clears the flag last) or never flagged (an event
    cannot make the plugin convert a ticket the agent did not flag)."""
    ticket = register.host.get_ticket(register_fields.parse_ticket_id(ticket_id))
    if not is_flagged(register, ticket):
        return None
    return convert(register, [ticket.id])


#: Bounds of ``watch --interval`` and ``[watch] interval``, in seconds (as the config schema).
MIN_INTERVAL, MAX_INTERVAL = 1.0, 86400.0


def check_interval(interval: Any, what: str = "watch interval") -> float:
    """``interval`` as a float when it is a finite number of seconds in
    [:data:`MIN_INTERVAL`, :data:`MAX_INTERVAL`]; UsageError naming ``what`` otherwise."""
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not math.isfinite(interval) \
            or not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise UsageError(f"{what} must be a number of seconds from {MIN_INTERVAL:g} to {MAX_INTERVAL:g}, "
                         f"not {interval!r}")
    return float(interval)


def watch(
    register: ImprovementRegister,
    interval: float,
    *,
    passes: int | None = None,
    on_report: Callable[[SyncReport], None] = lambda report: None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run :func:`sync` every ``interval`` seconds until SIGINT/SIGTERM (or ``passes`` passes).

    A pass that fails as a whole (host down: the pass stops after ``max_consecutive_failures``
    connection failures) is logged once and retried at the next interval; watch never exits for it.
    After every other pass the query-defined KPIs of improvements in ``measuring`` are refreshed,
    at most once per ``[measure] refresh_interval`` (:class:`~ci_plugin.ops.measure_query.KpiRefresher`).
    Returns the number of passes made. ``interval`` must be a finite number of seconds from
    :data:`MIN_INTERVAL` to :data:`MAX_INTERVAL` (UsageError otherwise, before any pass):
    a negative, NaN or tiny interval would make a busy loop of requests.
    """
    check_interval(interval)
    stop = {"now": False}
    announced: set[tuple[str, str, str]] = set()  # due dates announced (see ops/due.py)

    def request_stop(signum: int, frame: Any) -> None:
        stop["now"] = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    kpis = KpiRefresher(register)  # query-defined KPIs of improvements in measuring, once per [measure] refresh_interval
    done = 0
    try:
        while not stop["now"] and (passes is None or done < passes):
            try:
                on_report(sync(register))
                announce_due(register, announced)  # only after a pass that reached the host
                register.plugins.watch_pass(register=register)  # e.g. propose_recurring
            except CIPluginError as exc:
                log.error("sync pass failed: %s", exc)
            else:  # a pass that failed as a whole (host away) leaves the KPI round to the next pass
                kpis.tick()
            done += 1
            if passes is not None and done >= passes:
                break
            waited = 0.0
            while waited < interval and not stop["now"]:
                step = min(1.0, interval - waited)
                sleep(step)
                waited += step
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return done
