"""The in-host flag: ``sync`` converts every ticket an agent flagged, ``watch`` does it in a loop.

An agent who never leaves the service desk sets the candidate custom field on a ticket; one
``sync`` pass converts each flagged ticket exactly as ``convert`` does and then clears the flag.
A ticket that fails stays flagged and is retried on the next pass.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ci_plugin.errors import CIPluginError
from ci_plugin.ops.convert import convert
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """One pass of ``sync``: what was converted, and what failed (left flagged, retried next pass)."""

    converted: list[tuple[str, str, bool]] = field(default_factory=list)  # (ticket, improvement, created)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (ticket, error)


def sync(register: ImprovementRegister) -> SyncReport:
    """Convert every flagged ticket and clear its flag; failures stay flagged for the next pass."""
    report = SyncReport()
    for ticket in list(register.host.flagged_tickets()):
        try:
            result = convert(register, [ticket.id])
            register.clear_flag(ticket.id)
        except CIPluginError as exc:
            report.failed.append((ticket.id, str(exc)))
            log.warning("ticket %s: %s", ticket.id, exc)
            continue
        report.converted.append((ticket.id, result.improvement.id, result.created))
    return report


def watch(
    register: ImprovementRegister,
    interval: float,
    *,
    passes: int | None = None,
    on_report: Callable[[SyncReport], None] = lambda report: None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run :func:`sync` every ``interval`` seconds until SIGINT/SIGTERM (or ``passes`` passes).

    A pass that fails as a whole (host down) is logged and retried at the next interval.
    Returns the number of passes made.
    """
    stop = {"now": False}

    def request_stop(signum: int, frame: Any) -> None:
        stop["now"] = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    done = 0
    try:
        while not stop["now"] and (passes is None or done < passes):
            try:
                on_report(sync(register))
            except CIPluginError as exc:
                log.error("sync pass failed: %s", exc)
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
