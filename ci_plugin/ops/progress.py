"""Delivery progress of improvements, read from the host in batches.

``progress_of`` asks the adapter once for every improvement given
(``HostAdapter.delivery_items``, page-sized host queries, never one request per record or child)
and turns each improvement's items into a percentage (:func:`ci_plugin.domain.delivery.progress`).
"""

from __future__ import annotations

from collections.abc import Iterable

from ci_plugin.domain.delivery import progress
from ci_plugin.register import ImprovementRegister


def progress_of(register: ImprovementRegister, improvement_ids: Iterable[str]) -> dict[str, int]:
    """Improvement id -> progress (0-100) for those with delivery records; improvements without
    any are left out, and so is everything when the host cannot tell."""
    items = register.delivery_items(list(improvement_ids))
    if items is None:
        return {}
    found = {improvement: progress(of) for improvement, of in items.items()}
    return {improvement: value for improvement, value in found.items() if value is not None}
