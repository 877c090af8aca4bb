"""``evidence``: what an improvement's source tickets say (count, period, requestors, resolution).

:func:`evidence` reads the improvement once, then its source tickets through the adapter's
:meth:`~ci_plugin.hosts.base.HostAdapter.ticket_facts` (ceil(N/100) searches for N sources,
plus the host's cost of the reopen counts: see each adapter), and hands them to
:func:`ci_plugin.domain.evidence.figures`. ``[evidence] resolution_threshold_hours`` (default
24) decides what a breach is. An improvement without sources is refused (UsageError) before
anything is read from the tickets.

The evidence also takes in the tickets linked to the improvement's problem records (incidents
a problem manager tied to the problem, in either direction, on any host relation), one read per
problem record: ``via_problems`` lists those that are not sources themselves.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import evidence as figures_of
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import NotFound, UsageError
from ci_plugin.register import ImprovementRegister


def source_ids(improvement: Improvement) -> list[str]:
    """The improvement's source tickets, in id order, each once."""
    ids = {str(i) for i in improvement.get("source_tickets") or []}
    ids |= {str(i) for i in (improvement.links or {}).get("sources", [])}
    return sorted(ids, key=lambda i: (len(i), i))


def problem_linked_ids(register: ImprovementRegister, improvement: Improvement) -> list[str]:
    """The tickets linked to the improvement's problem records (one read of each record, with
    its links), other than improvements, the problem records themselves and the improvement's
    sources; in id order. A problem record the host no longer has is skipped."""
    problems = [str(p) for p in (improvement.links or {}).get("problems", [])]
    found: set[str] = set()
    for problem in problems:
        try:
            record = register.host.get_ticket(problem, links=True)
        except NotFound:
            continue
        found |= {str(t) for t in record.links.get("related", [])}
    found -= set(problems) | set(source_ids(improvement)) | {improvement.id}
    return sorted(found, key=lambda i: (len(i), i))


def source_count(improvement: Improvement) -> int:
    """How many distinct tickets the improvement's source-ticket field holds (what ``stale`` compares)."""
    return len({str(i) for i in improvement.get("source_tickets") or []})


def threshold(register: ImprovementRegister) -> float:
    """``[evidence] resolution_threshold_hours`` (default 24)."""
    return float(register.config.section("evidence").get("resolution_threshold_hours", 24))


def evidence(register: ImprovementRegister, improvement_id: str, *, reopens: bool = True,
             now: datetime | None = None) -> dict[str, Any]:
    """The evidence document of one improvement (see :mod:`ci_plugin.domain.evidence`)."""
    improvement = register.get(improvement_id, links=True)
    return of(register, improvement, reopens=reopens, now=now)


def of(register: ImprovementRegister, improvement: Improvement, *, reopens: bool = True,
       now: datetime | None = None) -> dict[str, Any]:
    """The evidence document of an improvement already read; UsageError without sources."""
    ids = source_ids(improvement)
    if not ids:
        raise UsageError(f"improvement {improvement.id} has no source tickets: there is no evidence to read")
    via_problems = problem_linked_ids(register, improvement)
    facts = register.host.ticket_facts(ids + via_problems, reopens=reopens)
    document = figures_of.figures(facts, threshold(register), now or datetime.now(timezone.utc))
    document["improvement"] = improvement.id
    document["via_problems"] = [i for i in via_problems if i in set(document["ticket_ids"])]
    document["missing"] = sorted(set(ids + via_problems) - set(document["ticket_ids"]), key=lambda i: (len(i), i))
    return document
