"""KPIs computed from the desk's own tickets: windows, metrics, per-period scaling. Pure, no I/O.

A query-defined KPI has a *metric* over a *window* ``[from, to)`` (FROM inclusive, TO exclusive,
UTC):

* ``count``: tickets created in the window; with ``per`` it is scaled to the window's length:
  ``day``: count / days, ``week``: count / days x 7, ``month``: count / days x 30.4375
  (days = the window's length in days, fractions included);
* ``mean_resolution_hours``, ``median_resolution_hours``, ``p90_resolution_hours``: over the
  tickets *resolved* in the window, the hours from created to resolved; the median of an even
  number of values is the mean of the two middle ones; p90 is the nearest-rank percentile
  (the value at rank ceil(0.9 x n) of the sorted values).

The host search may return a coarser set (adapters widen the window to whole days); the
functions here select exactly what lies in the window, so the same tickets and window always
give the same value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from ci_plugin.errors import UsageError

COUNT = "count"
RESOLUTION_METRICS = ("mean_resolution_hours", "median_resolution_hours", "p90_resolution_hours")
METRICS = (COUNT, *RESOLUTION_METRICS)
#: Days per period of ``--per``.
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 30.4375}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        """The window's length in days (fractions included)."""
        return (self.end - self.start).total_seconds() / 86400

    def holds(self, moment: datetime | None) -> bool:
        """Whether ``moment`` lies in the window (FROM inclusive, TO exclusive)."""
        return moment is not None and self.start <= moment < self.end

    def to_record(self) -> dict[str, str]:
        """``{"from": ..., "to": ...}`` as ISO 8601 UTC date-times (``...Z``)."""
        return {"from": iso(self.start), "to": iso(self.end)}

    def __str__(self) -> str:
        return f"{iso(self.start)}..{iso(self.end)}"


def iso(moment: datetime) -> str:
    """A UTC date-time as ``2026-11-02T08:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: str, what: str = "date") -> datetime:
    """An ISO 8601 date (midnight UTC) or date-time (UTC when it has no offset), as an aware UTC
    datetime; UsageError naming ``what`` otherwise."""
    text = str(text).strip()
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        if "T" not in text and " " not in text:
            raise ValueError
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not an ISO 8601 date (YYYY-MM-DD) or date-time "
                         "(YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def window(start: datetime, end: datetime, now: datetime, what: str = "window") -> Window:
    """A checked window: not empty, not reversed, not ending after ``now`` (a value over a
    window that is still open would change, so it would not be reproducible)."""
    if end == start:
        raise UsageError(f"{what} {iso(start)}..{iso(end)} is empty: TO must be after FROM")
    if end < start:
        raise UsageError(f"{what} {iso(start)}..{iso(end)} is reversed: TO must be after FROM")
    if end > now:
        raise UsageError(f"{what} {iso(start)}..{iso(end)} ends in the future (now is {iso(now)}): "
                         "end it at now or earlier")
    return Window(start, end)


def parse_window(text: str, now: datetime, what: str = "window") -> Window:
    """``FROM..TO`` (see :func:`parse_moment`) as a checked :func:`window`."""
    parts = str(text).split("..")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise UsageError(f"{what} {text!r} is not FROM..TO (e.g. 2026-10-01..2026-11-01)")
    return window(parse_moment(parts[0], f"{what} FROM"), parse_moment(parts[1], f"{what} TO"), now, what)


def check_metric(metric: str, per: str | None) -> None:
    """UsageError for an unknown metric or period, or a ``per`` with a metric other than ``count``."""
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; metrics are: {', '.join(METRICS)}")
    if per is not None and per not in PERIOD_DAYS:
        raise UsageError(f"unknown period {per!r} for --per; periods are: {', '.join(PERIOD_DAYS)}")
    if per is not None and metric != COUNT:
        raise UsageError(f"--per scales a count: it does not apply to metric {metric!r}")


def basis(metric: str) -> str:
    """Which time of a ticket puts it in the window: ``created`` for count, ``resolved`` otherwise."""
    return "created" if metric == COUNT else "resolved"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the value at rank ceil(share x n) of the sorted values
    (rank 1 at least). ValueError for no values."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    """The middle value; the mean of the two middle ones for an even number. ValueError for none."""
    if not values:
        raise ValueError("no values")
    ordered, half = sorted(values), len(values) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def compute(metric: str, per: str | None, span: Window,
            tickets: Iterable[tuple[datetime, datetime | None]]) -> tuple[float | None, int]:
    """The metric's value over the tickets in ``span`` and how many tickets it counted.

    ``tickets`` are ``(created, resolved or None)`` pairs (aware datetimes). For ``count`` the
    tickets created in the window count (an empty window counts 0); for a resolution metric the
    tickets resolved in the window (resolved not before created), and the value is None when
    there are none."""
    check_metric(metric, per)
    if metric == COUNT:
        n = sum(1 for created, _ in tickets if span.holds(created))
        return (n / span.days * PERIOD_DAYS[per] if per else float(n)), n
    hours = [(resolved - created).total_seconds() / 3600 for created, resolved in tickets
             if resolved is not None and span.holds(resolved) and resolved >= created]
    if not hours:
        return None, 0
    if metric == "mean_resolution_hours":
        return sum(hours) / len(hours), len(hours)
    if metric == "median_resolution_hours":
        return median(hours), len(hours)
    return percentile(hours, 0.9), len(hours)


def describe_definition(metric: str, per: str | None) -> str:
    """``count per week``, ``p90_resolution_hours``: the metric as a person reads it."""
    return f"{metric} per {per}" if per else metric


def provenance_line(m: dict[str, Any]) -> str:
    """``computed: baseline count per week over FROM..TO from 12 tickets at ...; actual ...`` or ``entered by hand``."""
    provenance = m.get("provenance") or {}
    parts = []
    for which in ("baseline", "actual"):
        p = provenance.get(which)
        if p:
            what = describe_definition(p["metric"], p.get("per"))
            parts.append(f"{which} {what} over {p['window']['from']}..{p['window']['to']} from {p['tickets']} "
                         f"ticket(s) at {p['computed_at']}")
    if not parts:
        return "entered by hand"
    return f"query {m.get('query', '')!r}; " + "; ".join(parts)
