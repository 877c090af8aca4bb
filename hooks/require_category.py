"""Refuse to convert a ticket into an improvement without a category.

A guard on ``ci_before_convert``: agents must say whether the opportunity concerns a service,
process, practice, technology or people (``convert --category``), unless ``default_category``
fills it in first.
"""

from __future__ import annotations

from ci_plugin import hookimpl


@hookimpl(trylast=True)
def ci_before_convert(draft, sources, register):
    """Refuse when the draft has no category."""
    if not draft.values.get("category"):
        return "a category is required (use --category service|process|practice|technology|people)"
    return None
