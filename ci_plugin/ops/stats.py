"""``stats``: who raises improvements, from where, how fast, and how they end (engagement).

:func:`stats` reads the register once, page by page (``register.list``), and then, per
improvement, only what a figure needs:

* its first source ticket (one read per distinct source ticket): the source queue/tracker, the
  source ticket's submitter and the conversion lead time (source created -> improvement created);
* its status history (one read, RT ``ticket/N/history`` pages, one Redmine ``issues/N.json``
  with journals) only when it has left ``new``: the time spent in each state and, for a closed
  improvement, when it was closed. An improvement still in ``new`` needs no history read.

Figures (``--since DATE`` keeps the improvements created on or after that day, the stays that
ended and the closings made since then): improvements raised per month, per source kind and per
source queue/tracker; the top submitters (of the source tickets; of the improvement itself when
it was raised directly) and converting agents (who created an improvement from a ticket); the
conversion lead time (count, median, mean hours); per state the median hours of the completed
stays; improvements closed per month with the counts and shares met / partly / missed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import engagement, workflow
from ci_plugin.domain.model import Improvement, Ticket
from ci_plugin.errors import NotFound
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)

#: ``tick(done, total)``: how far a long read has come (the CLI draws a progress bar).
Tick = Callable[[int, int], None]


def _source(register: ImprovementRegister, improvement: Improvement,
            cache: dict[str, Ticket | None]) -> Ticket | None:
    sources = improvement.get("source_tickets") or []
    if not sources:
        return None
    first = str(sources[0])
    if first not in cache:
        try:
            cache[first] = register.host.get_ticket(first)
        except NotFound:
            log.warning("improvement %s: source ticket %s not found; left out of the source figures",
                        improvement.id, first)
            cache[first] = None
    return cache[first]


def stats(register: ImprovementRegister, since: datetime | None = None, *, tick: Tick | None = None
          ) -> dict[str, Any]:
    """The engagement figures of the register (see the module docstring), as one document."""
    improvements = list(register.list())
    raised: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    containers: Counter[str] = Counter()
    submitters: Counter[str] = Counter()
    converters: Counter[str] = Counter()
    lead: list[float] = []
    durations: dict[str, list[float]] = {}
    closings: list[tuple[str, str | None]] = []
    sources: dict[str, Ticket | None] = {}
    names: dict[str, str] = {}
    history_reads = 0
    history_known = True
    for done, imp in enumerate(improvements, 1):
        created = engagement.parse_time(imp.created)
        if created is not None and (since is None or created >= since):
            raised[engagement.month(created)] += 1
            kinds[str(imp.get("source") or "none")] += 1
            source = _source(register, imp, sources)
            if source is not None:
                key = source.container
                if key not in names:
                    names[key] = register.host.container_name(source) or "unknown"
                containers[names[key]] += 1
                submitters[source.submitter or "unknown"] += 1
                converters[imp.submitter or "unknown"] += 1
                source_created = engagement.parse_time(source.created)
                if source_created is not None:
                    lead.append(max(0.0, (created - source_created).total_seconds()))
            else:
                containers["none"] += 1
                submitters[imp.submitter or "unknown"] += 1
        if imp.state != workflow.INITIAL_STATE and created is not None and history_known:
            history = register.host.status_history(imp.id)
            history_reads += 1
            if history is None:
                history_known = False
            else:
                changes = [(register.states.state(status), when) for status, when in history]
                for state, entered, left in engagement.stays(created, changes, workflow.INITIAL_STATE):
                    if since is None or left >= since:
                        durations.setdefault(state, []).append((left - entered).total_seconds())
                closed_at = [when for state, when in changes if state == "closed"]
                if imp.state == "closed" and closed_at and (since is None or closed_at[-1] >= since):
                    closings.append((engagement.month(closed_at[-1]), imp.get("verdict")))
        if tick:
            tick(done, len(improvements))
    return {
        "since": since.date().isoformat() if since else None,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "improvements": len(improvements),
        "raised": sum(raised.values()),
        "raised_per_month": engagement.counted(raised),
        "by_source_kind": engagement.counted(kinds),
        "by_source_container": engagement.counted(containers),
        "top_submitters": engagement.top(submitters),
        "top_converters": engagement.top(converters),
        "conversion_lead_time": {
            "count": len(lead), "median_hours": engagement.hours(engagement.median(lead)),
            "mean_hours": engagement.hours(sum(lead) / len(lead)) if lead else None},
        "state_times": engagement.state_medians(durations) if history_known else None,
        "closed_per_month": engagement.closed_periods(closings) if history_known else None,
        "reads": {"source_tickets": len(sources), "histories": history_reads},
    }
