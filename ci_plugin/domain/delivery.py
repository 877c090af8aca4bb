"""Delivery progress arithmetic: the share of an improvement's delivery items that are done.

An improvement's delivery items are the project and change records linked to it and their
child tickets, as the host adapter reports them (``HostAdapter.delivery_items``: id -> done).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Workflow states from which ``plan`` creates delivery records without ``--force``.
PLANNABLE_STATES = ("approved", "planned", "in-progress", "measuring", "closed")


def progress(items: Mapping[str, bool]) -> int | None:
    """Percent of ``items`` that are done, rounded down (100 only when every item is done);
    ``None`` without items. ``{"7": True, "8": False, "9": False}`` -> 33."""
    if not items:
        return None
    done = sum(1 for finished in items.values() if finished)
    return done * 100 // len(items)
