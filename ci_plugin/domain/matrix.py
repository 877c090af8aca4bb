"""Value and effort of an assessment, for the report's value/effort matrix (pure arithmetic).

Each built-in scoring model's inputs map onto a value and an effort, both on 0..10:

* ``weighted``: value = mean of the benefit criteria (1..10), effort = mean of the costs (1..10);
* ``wsjf``: value = cost of delay (3..60) / 6, effort = job size (0..20) / 2;
* ``rice``: value = impact (0.25..3) x confidence (0..100 %) scaled to 10 / 3, effort = person-months,
  capped at 10;
* ``ice``: value = impact x confidence / 10, effort = 11 - ease;
* ``quadrant``: value and effort as entered (1..10).

The quadrants split both axes at :data:`THRESHOLD` (5.5 on 0..10, the quadrant model's default).
"""

from __future__ import annotations

from typing import Any

THRESHOLD = 5.5
QUADRANTS = {(True, False): "quick win", (True, True): "major project",
             (False, False): "fill-in", (False, True): "thankless task"}


def _num(inputs: dict[str, Any], key: str) -> float:
    value = inputs.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KeyError(key)
    return float(value)


def _clamp(value: float) -> float:
    return round(max(0.0, min(10.0, value)), 3)


def value_effort(model: str, inputs: dict[str, Any], costs: tuple[str, ...] = ("effort",)
                 ) -> tuple[float, float] | None:
    """(value, effort) on 0..10 from a model's inputs (see the module docstring); None when the
    model is not a built-in one or its inputs are incomplete."""
    try:
        if model == "weighted":
            cost_keys = [k for k in inputs if k in costs]
            benefit_keys = [k for k in inputs if k not in costs]
            if not cost_keys or not benefit_keys:
                return None
            value = sum(_num(inputs, k) for k in benefit_keys) / len(benefit_keys)
            effort = sum(_num(inputs, k) for k in cost_keys) / len(cost_keys)
        elif model == "wsjf":
            cost_of_delay = sum(_num(inputs, k) for k in ("business_value", "time_criticality", "risk_reduction"))
            value, effort = cost_of_delay / 6, _num(inputs, "job_size") / 2
        elif model == "rice":
            value = _num(inputs, "impact") * _num(inputs, "confidence") / 100 * 10 / 3
            effort = _num(inputs, "effort")
        elif model == "ice":
            value = _num(inputs, "impact") * _num(inputs, "confidence") / 10
            effort = 11 - _num(inputs, "ease")
        elif model == "quadrant":
            value, effort = _num(inputs, "value"), _num(inputs, "effort")
        else:
            return None
    except KeyError:
        return None
    return _clamp(value), _clamp(effort)


def quadrant(value: float, effort: float, threshold: float = THRESHOLD) -> str:
    """The quadrant name of a point: quick win, major project, fill-in or thankless task."""
    return QUADRANTS[(value >= threshold, effort >= threshold)]
