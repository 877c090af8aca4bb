"""Engagement arithmetic for ``stats``: months, medians, time spent in each workflow state.

Pure functions over plain values (no host, no I/O); :mod:`ci_plugin.ops.stats` reads the
register and hands them what it read. Times are aware UTC datetimes; a period is a calendar
month ``YYYY-MM`` in UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import Any

from ci_plugin.errors import UsageError

#: How many names the top-submitter and top-converter lists show.
TOP = 10
VERDICTS = ("met", "partly", "missed")


def parse_time(text: Any) -> datetime | None:
    """A host time (ISO 8601, ``Z`` or an offset, or naive = UTC) as an aware UTC datetime;
    ``None`` when unset or unreadable."""
    raw = str(text or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def parse_since(text: str | None) -> datetime | None:
    """``--since YYYY-MM-DD`` as the start of that day in UTC; UsageError naming the form."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        raise UsageError(f"--since: {str(text)[:40]!r} is not a date; give YYYY-MM-DD") from None
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def month(moment: datetime) -> str:
    """The calendar month (``YYYY-MM``, UTC) of ``moment``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m")


def median(values: Iterable[float]) -> float | None:
    """The median (mean of the two middle values for an even count); ``None`` for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def hours(seconds: float | None) -> float | None:
    """Seconds as hours rounded to two decimals (``None`` stays ``None``)."""
    return None if seconds is None else round(seconds / 3600, 2)


def counted(counter: Counter[str]) -> dict[str, int]:
    """A counter as a plain dict, keys in order."""
    return {key: counter[key] for key in sorted(counter)}


def top(counter: Counter[str], limit: int = TOP) -> list[dict[str, Any]]:
    """The ``limit`` largest counts, most first (ties by name)."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"name": name, "count": count} for name, count in ranked]


def stays(created: datetime, changes: list[tuple[str, datetime]], initial: str = "new"
          ) -> list[tuple[str, datetime, datetime]]:
    """The completed stays ``(state, entered, left)`` of one improvement: it starts in
    ``initial`` at ``created``; each change ``(state, when)`` (oldest first) ends the stay
    before it. The stay in the current state has not ended and is not listed."""
    found = []
    state, since = initial, created
    for new_state, when in sorted(changes, key=lambda change: change[1]):
        if new_state == state:
            continue
        found.append((state, since, max(when, since)))
        state, since = new_state, when
    return found


def state_medians(durations: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """Per state: how many completed stays, and their median length in hours."""
    return {state: {"stays": len(values), "median_hours": hours(median(values))}
            for state, values in sorted(durations.items())}


def closed_periods(closings: list[tuple[str, str | None]]) -> dict[str, dict[str, Any]]:
    """Per month of closing: how many closed, how many met / partly / missed (``none`` without
    a verdict), and the share of each verdict among them (0-1, two decimals)."""
    result: dict[str, dict[str, Any]] = {}
    for period, verdict in sorted(closings, key=lambda closing: closing[0]):
        entry = result.setdefault(period, {"closed": 0, **{v: 0 for v in VERDICTS}, "none": 0})
        entry["closed"] += 1
        entry[verdict if verdict in VERDICTS else "none"] += 1
    for entry in result.values():
        entry["share"] = {v: round(entry[v] / entry["closed"], 2) for v in VERDICTS}
    return result
