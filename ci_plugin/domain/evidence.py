"""Evidence arithmetic: what an improvement's source tickets say, and the scoring inputs it answers.

Pure functions over :class:`TicketFacts` (no host, no I/O); :mod:`ci_plugin.ops.evidence` reads
the tickets and hands them over. Formulas (times are aware UTC datetimes):

* ``count``: distinct tickets; ``first_created``/``last_created``: the earliest and latest
  creation time; ``period_days``: their distance in days (at least 1, so a rate is defined);
* ``requestors``: distinct requestor names (case-insensitive, empty ones left out);
* ``resolved``: tickets with a resolution time; ``total_resolve_hours`` and
  ``median_resolve_hours``: over those, resolved minus created;
* ``breached``: resolved tickets whose resolution took longer than the threshold, plus open
  tickets already older than it at ``now``;
* ``reopened``: tickets the host saw move from an inactive/closed status back to an active/open
  one (``None`` when the host cannot tell);
* ``requestors_per_quarter``: requestors / max(1, period_days / 91.25): RICE reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ci_plugin.domain.engagement import hours, median, parse_time

#: Days in a quarter (365 / 4), the unit of RICE reach.
QUARTER_DAYS = 91.25
#: Evidence figures a ``[scoring.<model>.evidence]`` mapping may name.
FIGURES = ("count", "requestors", "requestors_per_quarter", "resolved", "breached", "reopened",
           "total_resolve_hours", "median_resolve_hours", "period_days")
#: The built-in mapping of RICE: input -> evidence figure.
BUILTIN_MAPPINGS: dict[str, dict[str, str]] = {"rice": {"reach": "requestors_per_quarter"}}


@dataclass(frozen=True)
class TicketFacts:
    """What evidence needs of one ticket: when it was created and resolved (``None``: not
    resolved), who asked, and how often it was reopened (``None``: the host cannot tell)."""

    id: str
    created: datetime
    resolved: datetime | None = None
    requestor: str = ""
    reopened: int | None = None


def figures(tickets: Iterable[TicketFacts], threshold_hours: float, now: datetime) -> dict[str, Any]:
    """The evidence figures of ``tickets`` (see the module docstring); a ticket id seen twice counts once."""
    unique = {t.id: t for t in tickets}
    items = sorted(unique.values(), key=lambda t: (t.created, t.id))
    limit = threshold_hours * 3600
    durations = [max(0.0, (t.resolved - t.created).total_seconds()) for t in items if t.resolved is not None]
    breached = sum(1 for d in durations if d > limit) + sum(
        1 for t in items if t.resolved is None and (now - t.created).total_seconds() > limit)
    requestors = {t.requestor.strip().lower() for t in items if t.requestor.strip()}
    reopen_known = all(t.reopened is not None for t in items)
    first, last = (items[0].created, items[-1].created) if items else (None, None)
    period = max(1.0, (last - first).total_seconds() / 86400) if first and last else None
    return {
        "count": len(items),
        "ticket_ids": [t.id for t in items],
        "first_created": first.isoformat(timespec="seconds") if first else None,
        "last_created": last.isoformat(timespec="seconds") if last else None,
        "period_days": round(period, 2) if period is not None else None,
        "requestors": len(requestors),
        "requestors_per_quarter": per_quarter(len(requestors), period),
        "resolved": len(durations),
        "total_resolve_hours": hours(sum(durations)) if durations else None,
        "median_resolve_hours": hours(median(durations)),
        "threshold_hours": threshold_hours,
        "breached": breached,
        "reopened": sum(t.reopened or 0 for t in items) if reopen_known else None,
    }


def per_quarter(count: int, period_days: float | None) -> float | None:
    """``count`` per quarter over ``period_days`` (a period shorter than a quarter counts as one)."""
    if period_days is None:
        return None
    return round(count / max(1.0, period_days / QUARTER_DAYS), 2)


def reopen_count(changes: Iterable[tuple[bool, bool]]) -> int:
    """How many ``(was_active, is_active)`` status changes went from inactive to active."""
    return sum(1 for was, now in changes if not was and now)


def mapping_for(model: str, settings: dict[str, Any]) -> dict[str, str]:
    """The model's input -> evidence figure mapping: ``[scoring.<model>.evidence]`` over the
    built-in one (RICE reach); ``{}`` when the model has none."""
    configured = settings.get("evidence") if isinstance(settings, dict) else None
    mapping = dict(BUILTIN_MAPPINGS.get(model, {}))
    if isinstance(configured, dict):
        mapping.update({str(k): str(v) for k, v in configured.items()})
    return mapping


def fill(mapping: dict[str, str], found: dict[str, Any], given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The inputs with every mapped input not ``given`` taken from the figures ``found``, and the
    names of the inputs so filled. A figure that is ``None`` (the host could not tell) fills nothing."""
    inputs = dict(given)
    filled = []
    for name, figure in sorted(mapping.items()):
        if name in given:
            continue
        value = found.get(figure)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            inputs[name] = value
            filled.append(name)
    return inputs, filled


def stale_reason(assessment: Any, sources_now: int, now: datetime, older_than_days: float,
                 growth: float) -> str | None:
    """Why an assessment is stale, or ``None``: assessed more than ``older_than_days`` before
    ``now``, or the source count grew by more than the share ``growth`` since (``sources_now >
    sources_then x (1 + growth)``; an assessment that kept no source count is judged by age only).
    An improvement never assessed is not stale: it is unscored."""
    if not isinstance(assessment, dict) or "model" not in assessment:
        return None
    when = parse_time(assessment.get("assessed_at"))
    if when is not None and (now - when).total_seconds() > older_than_days * 86400:
        return f"assessed {int((now - when).total_seconds() // 86400)} days ago"
    then = assessment.get("sources")
    if isinstance(then, int) and not isinstance(then, bool) and sources_now > then * (1 + growth):
        return f"sources grew from {then} to {sources_now}"
    return None
