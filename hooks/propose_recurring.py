"""Feed the register from the desk's own history: on every ``watch`` pass, open improvements
for recurring incidents (``ci-plugin propose --create``, see :mod:`ci_plugin.ops.propose`).

A notifier on ``ci_watch_pass``. Settings: ``[hooks.propose_recurring] max_per_pass`` (default
1): at most that many improvements are opened per pass; the rest are proposed again, and
opened, at the next passes. The window, ``min_count`` and ``group_by`` come from ``[propose]``.
"""

from __future__ import annotations

import logging

from ci_plugin import hookimpl

log = logging.getLogger(__name__)


@hookimpl
def ci_watch_pass(register):
    """Open at most ``max_per_pass`` improvements from recurring incidents."""
    from ci_plugin.ops.propose import propose

    limit = int(register.config.hook_settings("propose_recurring").get("max_per_pass", 1))
    if limit < 1:
        return
    document = propose(register, create=True, limit=limit)
    if document["created"]:
        log.info("propose_recurring: opened %d improvement(s) from recurring incidents", document["created"])
