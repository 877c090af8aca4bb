"""The business case of an improvement: benefit, cost, and the ROI and payback they imply.

Amounts are plain numbers in the case's ``currency``: ``benefit``, ``running_cost`` and
``cost_of_inaction`` per year, ``cost`` one-off. The yearly net benefit is
``benefit + cost_of_inaction - running_cost``; from it :func:`derive` computes the first-year
``roi`` and the ``payback_months``. Derived values are always recomputed, never taken as given.
"""

from __future__ import annotations

import math
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.errors import SchemaValidationError

DERIVED = ("roi", "payback_months")


def _number(value: float) -> str:
    """A number as people write it: ``12000``, ``1.4``, ``0.25``."""
    return f"{value:.12g}"


def net_benefit(case: dict[str, Any]) -> float | None:
    """The yearly net benefit (benefit + cost of inaction - running cost), None without a benefit."""
    if case.get("benefit") is None:
        return None
    return case["benefit"] + case.get("cost_of_inaction", 0) - case.get("running_cost", 0)


def derive(case: dict[str, Any]) -> dict[str, Any]:
    """Validate ``case`` (schema ``business-case``) and return a copy with ``roi`` and ``payback_months``.

    ``roi`` = (yearly net benefit - cost) / cost, rounded to 4 decimals, when cost > 0 and a
    benefit is given. ``payback_months`` = cost / (yearly net benefit / 12), rounded to 1
    decimal, when cost and benefit are given: 0 when the cost is 0, None when the yearly net
    benefit is not positive (it never pays back). Stale derived values are removed.
    Raises :class:`ci_plugin.errors.SchemaValidationError` with the JSON path of the first error.
    """
    validation.validate("business-case", case, what="business case")
    for key, value in case.items():  # JSON Schema's "minimum" lets NaN through; inf is no amount
        if isinstance(value, float) and not math.isfinite(value):
            raise SchemaValidationError("business case", f"$.{key}", f"{value!r} is not a finite number")
    result = {k: v for k, v in case.items() if k not in DERIVED}
    net = net_benefit(result)
    cost = result.get("cost")
    if net is None or cost is None:
        return result
    if cost > 0:
        result["roi"] = round((net - cost) / cost, 4)
    if cost == 0:
        result["payback_months"] = 0.0
    elif net <= 0:
        result["payback_months"] = None
    else:
        result["payback_months"] = round(cost / (net / 12), 1)
    for key in DERIVED:
        value = result.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise SchemaValidationError("business case", f"$.{key}",
                                        "the amounts are too large to compute it as a finite number")
    return result


def summary(case: dict[str, Any] | None) -> str:
    """One line for people, e.g. ``benefit 12000 EUR/yr, cost 5000 EUR, ROI 1.4, payback 5.0 months``."""
    if not case:
        return "no business case"
    currency = f" {case['currency']}" if case.get("currency") else ""
    parts = []
    if case.get("benefit") is not None:
        parts.append(f"benefit {_number(case['benefit'])}{currency}/yr")
    if case.get("benefit_kpi"):
        parts.append(f"expected benefit: {case['benefit_kpi']}")
    if case.get("cost") is not None:
        parts.append(f"cost {_number(case['cost'])}{currency}")
    if case.get("running_cost") is not None:
        parts.append(f"running cost {_number(case['running_cost'])}{currency}/yr")
    if case.get("effort_days") is not None:
        parts.append(f"effort {_number(case['effort_days'])} person-days")
    if case.get("cost_of_inaction") is not None:
        parts.append(f"cost of inaction {_number(case['cost_of_inaction'])}{currency}/yr")
    if case.get("roi") is not None:
        parts.append(f"ROI {_number(case['roi'])}")
    if "payback_months" in case:
        months = case["payback_months"]
        parts.append("never pays back" if months is None else f"payback {months:.1f} months")
    return ", ".join(parts)
