"""Append every conversion, link, assessment, transition, measurement and due review date to a
JSON-lines file.

Settings: ``[hooks.audit_log] path = "ci-plugin-audit.jsonl"`` (relative paths are relative to
the working directory). A notifier: if the file cannot be written, the operation still stands
and the failure is logged.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ci_plugin import hookimpl

DEFAULT_PATH = "ci-plugin-audit.jsonl"


def _write(register, event: str, improvement, **details) -> None:
    path = Path(register.config.hook_settings("audit_log").get("path", DEFAULT_PATH))
    entry = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "event": event,
        "improvement": improvement.id,
        "actor": register.actor,
        **details,
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


@hookimpl
def ci_after_convert(improvement, sources, created, register):
    """Record a conversion."""
    _write(register, "convert", improvement, sources=[s.id for s in sources], created=created)


@hookimpl
def ci_after_link(improvement, kind, target, register):
    """Record a new link."""
    _write(register, "link", improvement, kind=kind, target=target.id)


@hookimpl
def ci_after_transition(improvement, from_state, to_state, register):
    """Record a state change."""
    _write(register, "transition", improvement, from_state=from_state, to_state=to_state)


@hookimpl
def ci_after_assess(improvement, assessment, register):
    """Record an assessment."""
    _write(register, "assess", improvement, model=assessment.get("model"), score=assessment.get("score"))


@hookimpl
def ci_after_measure(improvement, measurement, register):
    """Record a measurement."""
    _write(register, "measure", improvement, kpi=measurement.get("kpi"), verdict=measurement.get("verdict"))


@hookimpl
def ci_review_due(improvement, due_field, due_date, register):
    """Record that a review or target date has come (announced by ``watch``)."""
    _write(register, "review_due", improvement, field=due_field, date=due_date)
