"""Capacity and budget arithmetic: periods, an improvement's effort and money, what is committed.

A period is a quarter (``2027-Q1``) or a month (``2027-01``), as ``[budget] period`` says; an
improvement belongs to the period that holds its target date. Its effort in person-days is the
business case's ``effort_days`` (``case --effort-days N``) or, without it, its size through
``[budget.size_days]`` (default S=5, M=15, L=40, XL=80; 0 without either); its money is the
business case's one-off ``cost`` (0 without one). A period's capacity is its
``[budget."PERIOD"]`` table, each figure falling back to ``[budget.default]``.

committed = sum over the period's improvements in a committed state; free = capacity - committed;
over-committed when committed > capacity for the effort or for the money.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ci_plugin.errors import UsageError

#: States whose improvements hold capacity: they were approved and are not yet delivered.
COMMITTED_STATES = ("approved", "planned", "in-progress")
KINDS = ("quarter", "month")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_period(text: str, kind: str) -> str:
    """``text`` when it names a period of ``kind`` (``2027-Q1`` / ``2027-01``); UsageError otherwise."""
    pattern, example = (_QUARTER, "2027-Q1") if kind == "quarter" else (_MONTH, "2027-01")
    if not pattern.match(text):
        raise UsageError(f"--period {text!r}: not a {kind} of the budget; write it like {example}")
    return text


def period_of_kind(text: str) -> str | None:
    """``"quarter"`` or ``"month"`` for a period name, None when it names neither."""
    if _QUARTER.match(text):
        return "quarter"
    return "month" if _MONTH.match(text) else None


def period_of(day: str | date | None, kind: str) -> str | None:
    """The period of ``kind`` holding ``day`` (an ISO date or a date); None without a readable date."""
    if day is None or day == "":
        return None
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            return None
    if kind == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}-{day.month:02d}"


def capacity_of(budget: dict[str, Any], period: str) -> dict[str, float]:
    """``{"effort_days", "money"}`` capacity of ``period``: its own table, else ``[budget.default]``."""
    default = budget.get("default", {})
    own = budget.get(period, {})
    return {key: float(own.get(key, default.get(key, 0))) for key in ("effort_days", "money")}


def effort_days(size: str | None, case: dict[str, Any] | None, size_days: dict[str, Any]) -> float:
    """Person-days of an improvement: the case's ``effort_days``, else its size's, else 0."""
    if case and case.get("effort_days") is not None:
        return float(case["effort_days"])
    if size and size in size_days:
        return float(size_days[size])
    return 0.0


def money(case: dict[str, Any] | None) -> float:
    """Money of an improvement: the business case's one-off ``cost``, 0 without one."""
    return float(case.get("cost") or 0) if case else 0.0


def figures(committed: float, capacity: float) -> dict[str, float]:
    """``{"committed", "capacity", "free"}`` with free = capacity - committed (negative when over)."""
    return {"committed": round(committed, 6), "capacity": round(capacity, 6),
            "free": round(capacity - committed, 6)}


def fits(need_days: float, need_money: float, effort: dict[str, float], cash: dict[str, float]) -> bool:
    """Whether an improvement needing ``need_days`` and ``need_money`` fits the free figures."""
    return need_days <= effort["free"] + 1e-9 and need_money <= cash["free"] + 1e-9
