"""KPI measurements of an improvement and their verdicts, direction-aware.

A measurement has a ``baseline`` (before), a ``target`` (the goal) and, once measured, an
``actual``. Whether higher or lower is better is its ``direction``, inferred from baseline and
target when not given (a target below the baseline means lower is better, as for MTTR). The
verdict is "met" when the actual reached the target, "partly" when it moved from the baseline
towards the target without reaching it, and "missed" otherwise.
"""

from __future__ import annotations

import math
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.errors import SchemaValidationError

VERDICTS = ("met", "partly", "missed")


def _number(value: float) -> str:
    """A number as people write it: ``8``, ``4.5``, ``99.95``."""
    return f"{value:.12g}"


def direction(m: dict[str, Any]) -> str:
    """``higher`` or ``lower``: the given direction, else ``lower`` when the target is below the baseline."""
    if m.get("direction"):
        return m["direction"]
    return "lower" if m["target"] < m["baseline"] else "higher"


def verdict(m: dict[str, Any]) -> str | None:
    """``met``, ``partly`` or ``missed``; None while there is no actual value.

    Higher is better: actual >= target is met, actual > baseline partly, else missed; lower is
    better mirrors it. With target == baseline there is no "partly": met or missed.
    """
    actual = m.get("actual")
    if actual is None:
        return None
    target, baseline = m["target"], m["baseline"]
    if direction(m) == "lower":
        actual, target, baseline = -actual, -target, -baseline
    if actual >= target:
        return "met"
    if actual > baseline:
        return "partly"
    return "missed"


def overall(measurements: list[dict[str, Any]]) -> str | None:
    """The verdict of several KPIs: None when the list is empty or any KPI lacks an actual;
    ``met`` when all are met, ``missed`` when all are missed, ``partly`` otherwise."""
    verdicts = [verdict(m) for m in measurements]
    if not verdicts or None in verdicts:
        return None
    if all(v == "met" for v in verdicts):
        return "met"
    if all(v == "missed" for v in verdicts):
        return "missed"
    return "partly"


def progress(m: dict[str, Any]) -> float | None:
    """How far the actual got from the baseline to the target (0 = baseline, 1 = target).

    Below 0 when it moved the wrong way, above 1 when it beat the target; None without an
    actual. When target == baseline there is no way to go: 1.0 if met, else 0.0.
    """
    actual = m.get("actual")
    if actual is None:
        return None
    span = m["target"] - m["baseline"]
    if span == 0:
        return 1.0 if verdict(m) == "met" else 0.0
    return (actual - m["baseline"]) / span


def describe(m: dict[str, Any]) -> str:
    """One line, e.g. ``MTTR: baseline 8 h, target 4 h, actual 5 h (lower is better) -> partly (75%)``."""
    unit = f" {m['unit']}" if m.get("unit") else ""
    text = f"{m['kpi']}: baseline {_number(m['baseline'])}{unit}, target {_number(m['target'])}{unit}"
    better = f"({direction(m)} is better)"
    share = progress(m)
    if share is None:
        return f"{text}, not measured yet {better}"
    line = f"{text}, actual {_number(m['actual'])}{unit} {better} -> {verdict(m)}"
    if not math.isfinite(share):
        return line
    return f"{line} ({percent(share)}%)"


def percent(share: float) -> int:
    """A progress share as a whole percent, never ``-0`` (no movement is ``0%``)."""
    return round(share * 100) + 0


def check(m: dict[str, Any]) -> dict[str, Any]:
    """Validate a measurement (schema ``measurement``) and return a copy with ``direction`` and ``verdict``.

    The verdict is recomputed from the values: set when there is an actual, removed otherwise.
    Raises :class:`ci_plugin.errors.SchemaValidationError` with the JSON path of the first error.
    """
    kpi = m.get("kpi") if isinstance(m, dict) else None
    what = f"measurement {kpi!r}" if isinstance(kpi, str) else "measurement"
    validation.validate("measurement", m, what=what)
    for key in ("baseline", "target", "actual"):  # JSON Schema's minimum/maximum let NaN through
        value = m.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise SchemaValidationError(what, f"$.{key}", f"{value!r} is not a finite number")
    result = dict(m)
    result["direction"] = direction(result)
    result.pop("verdict", None)
    found = verdict(result)
    if found is not None:
        result["verdict"] = found
    return result
