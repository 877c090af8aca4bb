"""Keeping the momentum: open improvements whose review or target date has come.

:func:`due` lists the open improvements (every state but ``closed`` and ``rejected``) whose
``review_date`` or ``target_date`` has passed or falls within the next ``within`` days, overdue
first (earliest date first, then id). A date the host holds in another form than ``YYYY-MM-DD``
is skipped with a warning.

:func:`announce_due`, called by ``watch`` once per pass, fires ``ci_review_due`` once per
improvement and due date, on the date and after (``days <= 0``). What was announced is kept on
the host, the system of record: an audit comment carrying :func:`marker` is left on the
improvement *before* the hook fires, so a later pass, another watcher or a restarted one reads
the comments and does not announce the same date again (a moved date is announced anew). On a
host that cannot list comments (``HostAdapter.comments`` answers ``None``) the watcher remembers
announcements for the life of its process only.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from ci_plugin.domain import workflow
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import UsageError
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)

#: The dates ``due`` looks at, in the order a tie is shown.
DUE_FIELDS = ("review_date", "target_date")
DEFAULT_WITHIN = 14
MAX_WITHIN = 3660


@dataclass(frozen=True)
class DueDate:
    """One date of an improvement that has come or comes within the window."""

    field: str
    date: str
    days: int  # from today: negative = overdue, 0 = today

    @property
    def overdue(self) -> bool:
        """Whether the date has passed."""
        return self.days < 0


@dataclass
class DueItem:
    """An open improvement with its due dates, earliest first."""

    improvement: Improvement
    dates: list[DueDate]

    @property
    def first(self) -> DueDate:
        """The earliest due date."""
        return self.dates[0]

    def to_record(self) -> dict[str, Any]:
        """The JSON entry of ``due --json``."""
        imp = self.improvement
        record: dict[str, Any] = {"id": imp.id, "title": imp.title, "state": imp.state}
        if imp.owner:
            record["owner"] = imp.owner
        record.update({"due_date": self.first.date, "due_field": self.first.field, "days": self.first.days,
                       "overdue": self.first.overdue,
                       "dates": [{"field": d.field, "date": d.date, "days": d.days, "overdue": d.overdue}
                                 for d in self.dates]})
        if imp.url:
            record["url"] = imp.url
        return record


def today_utc() -> date:
    """Today's date in UTC (the register's dates are calendar dates)."""
    return datetime.now(timezone.utc).date()


def check_within(within: int) -> int:
    """The window in days, 0 to :data:`MAX_WITHIN`; UsageError otherwise."""
    if isinstance(within, bool) or not isinstance(within, int) or not 0 <= within <= MAX_WITHIN:
        raise UsageError(f"--within: give a whole number of days from 0 to {MAX_WITHIN}")
    return within


def due_dates(improvement: Improvement, today: date, within: int) -> list[DueDate]:
    """The dates of ``improvement`` that have come or come within ``within`` days, earliest first."""
    found = []
    for key in DUE_FIELDS:
        raw = improvement.get(key)
        if not raw:
            continue
        try:
            when = date.fromisoformat(str(raw))
        except ValueError:
            log.warning("improvement %s: %s %r is not a date (YYYY-MM-DD); skipped", improvement.id, key, raw)
            continue
        days = (when - today).days
        if days <= within:
            found.append(DueDate(key, when.isoformat(), days))
    return sorted(found, key=lambda d: (d.days, DUE_FIELDS.index(d.field)))


def due(register: ImprovementRegister, within: int = DEFAULT_WITHIN, *, today: date | None = None) -> list[DueItem]:
    """Open improvements with a review or target date passed or within ``within`` days,
    overdue first (earliest due date, then id)."""
    within = check_within(within)
    today = today or today_utc()
    items = []
    for improvement in register.list(list(workflow.OPEN_STATES)):
        dates = due_dates(improvement, today, within)
        if dates:
            items.append(DueItem(improvement, dates))
    return sorted(items, key=lambda item: (item.first.days, int(item.improvement.id)
                                           if item.improvement.id.isdigit() else 0, item.improvement.id))


def marker(due_date: DueDate) -> str:
    """The words of the audit comment that records one announcement on the host."""
    return f"[ci-plugin due: {due_date.field}={due_date.date}]"


def announce_due(register: ImprovementRegister, announced: set[tuple[str, str, str]], *,
                 today: date | None = None, only: Collection[str] | None = None) -> int:
    """Fire ``ci_review_due`` for every open improvement's date that has come and was not
    announced yet (see the module docstring); ``announced`` is the watcher's memory across
    passes; ``only`` restricts it to these improvement ids. Returns how many were announced."""
    count = 0
    for item in due(register, 0, today=today):
        imp = item.improvement
        if only is not None and imp.id not in only:
            continue
        pending = [d for d in item.dates if (imp.id, d.field, d.date) not in announced]
        if not pending:
            continue
        comments = register.host.comments(imp.id)
        for due_date in pending:
            announced.add((imp.id, due_date.field, due_date.date))
            if comments is not None and any(marker(due_date) in text for text in comments):
                continue
            label = "Review" if due_date.field == "review_date" else "Target"
            when = "today" if due_date.days == 0 else f"{-due_date.days} day(s) ago"
            register.audit(imp.id, f"{label} date {due_date.date} has come ({when}). {marker(due_date)}")
            register.plugins.review_due(improvement=imp, due_field=due_date.field, due_date=due_date.date,
                                        register=register)
            count += 1
    return count
