"""Give new improvements a category when the agent did not choose one.

Settings: ``[hooks.default_category] category = "service"`` (default ``service``). Runs before
other ``ci_before_convert`` hooks (tryfirst), so guards such as ``require_category`` see it.
"""

from __future__ import annotations

from ci_plugin import hookimpl


@hookimpl(tryfirst=True)
def ci_before_convert(draft, sources, register):
    """Fill in the configured category when the draft has none; never refuses."""
    if not draft.values.get("category"):
        draft.values["category"] = register.config.hook_settings("default_category").get("category", "service")
    return None
