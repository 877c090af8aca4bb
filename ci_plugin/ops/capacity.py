"""``capacity``: per period, the effort and money committed to improvements against the budget.

One page-by-page read of the improvements in a committed state (``approved``, ``planned``,
``in-progress``); the arithmetic is :mod:`ci_plugin.domain.budget`. The document (the CLI's
``--json`` and the HTML report's capacity bars read it; keep its shape)::

    {"period_kind": "quarter"|"month",
     "periods": [{"period": "2027-Q1",
                  "effort_days": {"committed", "capacity", "free"},
                  "money": {"committed", "capacity", "free"},
                  "over_committed": bool, "improvements": ["57", ...]}],   # sorted by period
     "unscheduled": ["ids of committed improvements without a target date"]}

The periods listed are those holding a committed improvement and those given a table in
``[budget]``; with ``period`` only that one.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import budget as budget_module
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import ConfigError
from ci_plugin.register import ImprovementRegister

_RESERVED = ("period", "default", "size_days")


def settings(register: ImprovementRegister) -> dict[str, Any]:
    """The ``[budget]`` table; ConfigError when a period table is not of ``[budget] period``'s kind."""
    table = register.config.section("budget") or {"period": "quarter", "default": {}, "size_days": {}}
    kind = table.get("period", "quarter")
    for key in table:
        if key not in _RESERVED and budget_module.period_of_kind(key) != kind:
            raise ConfigError(f"[budget.\"{key}\"]: not a {kind}; [budget] period = \"{kind}\"")
    return table


def need(improvement: Improvement, table: dict[str, Any]) -> tuple[float, float]:
    """(person-days, money) an improvement needs (see :mod:`ci_plugin.domain.budget`)."""
    case = improvement.get("business_case")
    case = case if isinstance(case, dict) else None
    return (budget_module.effort_days(improvement.get("size"), case, table.get("size_days", {})),
            budget_module.money(case))


def period_for(improvement: Improvement, table: dict[str, Any]) -> str | None:
    """The period holding the improvement's target date, None without one."""
    return budget_module.period_of(improvement.get("target_date"), table.get("period", "quarter"))


def capacity(register: ImprovementRegister, period: str | None = None) -> dict[str, Any]:
    """The committed effort and money per period against capacity (document in the module docstring).

    ``period`` (checked against ``[budget] period``'s kind; UsageError otherwise) keeps one period.
    """
    table = settings(register)
    kind = table.get("period", "quarter")
    if period is not None:
        budget_module.check_period(period, kind)
    days: dict[str, float] = {}
    cash: dict[str, float] = {}
    members: dict[str, list[str]] = {}
    unscheduled: list[str] = []
    for imp in register.list(list(budget_module.COMMITTED_STATES)):
        if imp.state not in budget_module.COMMITTED_STATES:
            continue
        where = period_for(imp, table)
        if where is None:
            unscheduled.append(imp.id)
            continue
        d, m = need(imp, table)
        days[where] = days.get(where, 0.0) + d
        cash[where] = cash.get(where, 0.0) + m
        members.setdefault(where, []).append(imp.id)
    names = set(members) | {key for key in table if key not in _RESERVED}
    if period is not None:
        names = {period}
    periods = []
    for name in sorted(names):
        limit = budget_module.capacity_of(table, name)
        effort = budget_module.figures(days.get(name, 0.0), limit["effort_days"])
        money = budget_module.figures(cash.get(name, 0.0), limit["money"])
        periods.append({"period": name, "effort_days": effort, "money": money,
                        "over_committed": effort["free"] < 0 or money["free"] < 0,
                        "improvements": sorted(members.get(name, []), key=_id_key)})
    return {"period_kind": kind, "periods": periods, "unscheduled": sorted(unscheduled, key=_id_key)}


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (10**18, value)


def overcommitment(register: ImprovementRegister, improvement: Improvement) -> str | None:
    """Why committing ``improvement`` would over-commit its period (None when it fits, or when it
    has no target date): the period, and the effort and money it would reach against capacity."""
    table = settings(register)
    where = period_for(improvement, table)
    if where is None:
        return None
    entry = capacity(register, where)["periods"][0]
    mine = improvement.id in entry["improvements"]
    days, cash = need(improvement, table)
    over = []
    for key, own, unit in (("effort_days", days, " person-days"), ("money", cash, "")):
        figures = entry[key]
        total = figures["committed"] + (0.0 if mine else own)
        if total > figures["capacity"] + 1e-9:
            over.append(f"{key.replace('_', ' ')} {total:.12g} of {figures['capacity']:.12g}{unit} "
                        f"({total - figures['capacity']:.12g} over)")
    if not over:
        return None
    return (f"improvement {improvement.id} would over-commit {where}: " + ", ".join(over)
            + f"; free up capacity, move its target date, or raise [budget.\"{where}\"]")
