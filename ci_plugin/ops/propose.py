"""``propose``: improvements proposed from the desk's recurring incidents.

:func:`propose` reads the tickets of the candidate queues/trackers created since the start of
the window (``host.candidate_occurrences``, ceil(N/100) searches), groups them with
:func:`ci_plugin.domain.recurrence.group` by ``[propose] group_by`` (default: the host's own
category) and subject similarity, keeps the groups of at least ``min_count`` tickets, and drops
every group one of whose tickets is already a source of an improvement (the register read once,
page by page). With ``create`` each proposal becomes one improvement through
:func:`ci_plugin.ops.convert.convert` (hooks, idempotence, comments and back-links as for
``convert``), source kind ``incident``, the evidence opening its description; so a second run
proposes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from ci_plugin.domain import engagement, recurrence
from ci_plugin.errors import UsageError
from ci_plugin.ops.convert import convert
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)

#: Defaults of ``[propose]``.
DEFAULT_DAYS = 30
DEFAULT_MIN_COUNT = 5


def check_inputs(since: datetime | None, min_count: int | None, *, now: datetime | None = None) -> None:
    """UsageError naming the bad input: a ``--min-count`` below 1, a ``--since`` in the future."""
    if min_count is not None and min_count < 1:
        raise UsageError(f"--min-count: {min_count} is not a whole number from 1")
    if since is not None and since > (now or datetime.now(timezone.utc)):
        raise UsageError(f"--since: {since.date().isoformat()} is in the future")


def settings(register: ImprovementRegister) -> dict[str, Any]:
    """``[propose]`` with its defaults: ``group_by`` (None: the host's category), ``days``,
    ``min_count``."""
    section = register.config.section("propose")
    return {"group_by": section.get("group_by") or None, "days": int(section.get("days", DEFAULT_DAYS)),
            "min_count": int(section.get("min_count", DEFAULT_MIN_COUNT))}


def evidence(group: recurrence.Group, subjects: dict[str, str]) -> str:
    """The evidence that opens a proposed improvement's description."""
    return (f"Proposed by ci-plugin propose: {group.count} recurring tickets with the key {group.key or '(none)'!r}, "
            f"first seen {group.first_seen}, last seen {group.last_seen}; shared subject words: "
            f"{' '.join(group.tokens) or '-'} (similar subjects: Jaccard >= {recurrence.THRESHOLD} on tokens, "
            f"numbers and ids stripped). Example: {subjects.get(group.ids[0], '')}")


def propose(register: ImprovementRegister, since: datetime | None = None, min_count: int | None = None, *,
            create: bool = False, limit: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The proposals of the window (see the module docstring) as one document; with ``create``
    at most ``limit`` (all when ``None``) of them become improvements (``improvement`` set)."""
    check_inputs(since, min_count, now=now)
    conf = settings(register)
    now = now or datetime.now(timezone.utc)
    start = since or now - timedelta(days=conf["days"])
    wanted = conf["min_count"] if min_count is None else min_count
    subjects: dict[str, str] = {}
    occurrences = []
    for item in register.host.candidate_occurrences(start, conf["group_by"]):
        created = engagement.parse_time(item.created)
        if created is None or created >= start:
            occurrences.append(item)
            subjects[item.id] = item.subject
    groups = recurrence.group(occurrences, min_count=wanted)
    covered = {str(s) for imp in register.host.list_improvements() for s in imp.fields.get("source_tickets") or []}
    proposals = []
    for found in groups:
        if any(i in covered for i in found.ids):
            continue
        proposals.append({"key": found.key, "count": found.count, "first_seen": found.first_seen,
                          "last_seen": found.last_seen, "tickets": found.ids, "tokens": found.tokens,
                          "improvement": None, "_group": found})
    made = 0
    for proposal in proposals:
        group = proposal.pop("_group")
        if create and (limit is None or made < limit):
            title = f"Recurring: {subjects.get(group.ids[0], '') or group.key}"[:200]
            result = convert(register, group.ids, source_kind="incident", title=title,
                             evidence=evidence(group, subjects))
            proposal["improvement"] = result.improvement.id
            made += result.created
    return {"since": start.isoformat(timespec="seconds"), "min_count": wanted, "group_by": conf["group_by"],
            "threshold": recurrence.THRESHOLD, "tickets_read": len(occurrences), "proposals": proposals,
            "created": made}


