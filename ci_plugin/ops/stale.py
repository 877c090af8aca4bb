"""``stale``: open improvements whose assessment is out of date.

One paged read of the open improvements (``register.list``), nothing else: the rule
(:func:`ci_plugin.domain.evidence.stale_reason`) compares the stored assessment's time with the
window (``--older-than DAYS``, else ``[evidence] stale_days``, default 90) and the source count
it kept with the improvement's source count now (``[evidence] stale_growth``, default 0.5).
``prioritize`` counts the stale ones among those it ranks with :func:`rule`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import evidence as evidence_rules
from ci_plugin.domain import workflow
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import UsageError
from ci_plugin.ops.evidence import source_count
from ci_plugin.register import ImprovementRegister


def rule(register: ImprovementRegister, older_than: float | None = None,
         now: datetime | None = None) -> Callable[[Improvement], str | None]:
    """The stale test with the configured (or given) window and growth share."""
    settings = register.config.data.get("evidence", {})
    days = float(older_than if older_than is not None else settings.get("stale_days", 90))
    growth = float(settings.get("stale_growth", 0.5))
    moment = now or datetime.now(timezone.utc)
    return lambda imp: evidence_rules.stale_reason(imp.get("assessment"), source_count(imp), moment, days, growth)


def check_days(days: Any) -> float | None:
    """``--older-than``: a whole number of days, at least 1 (UsageError otherwise)."""
    if days is None:
        return None
    try:
        value = int(str(days))
    except ValueError:
        raise UsageError(f"--older-than must be a whole number of days, not {str(days)[:40]!r}") from None
    if value < 1:
        raise UsageError(f"--older-than must be at least 1 day, not {value}")
    return float(value)


def stale(register: ImprovementRegister, older_than: float | None = None,
          now: datetime | None = None) -> list[dict[str, Any]]:
    """Every open improvement whose assessment is stale: id, title, state, model, assessed, why."""
    test = rule(register, older_than, now)
    found = []
    for imp in register.list(list(workflow.OPEN_STATES)):
        why = test(imp)
        if why:
            assessment = imp.get("assessment") or {}
            found.append({"id": imp.id, "title": imp.title, "state": imp.state, "model": assessment.get("model"),
                          "assessed_at": assessment.get("assessed_at"), "sources": source_count(imp), "why": why})
    return found
