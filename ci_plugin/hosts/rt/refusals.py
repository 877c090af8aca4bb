"""RT's refusals inside HTTP 200: which messages of an update answer say RT did not do it.

``PUT /ticket/ID`` (and ``PUT /queue/ID``) answer HTTP 200 with a list of messages even when RT
refused the change ("You can't change status from 'new' to 'closed'.", "Could not add a new
value to custom field ..."). :func:`refusals` picks those out; the adapter turns them into
:class:`~ci_plugin.errors.HostRefused`.
"""

from __future__ import annotations

import re
from typing import Any

# RT's words when it did not do what was asked (inside an HTTP 200 answer).
_REFUSAL = re.compile(
    r"^(Could not|Couldn't|You can't|You cannot|Can't|Cannot|Permission Denied|Invalid|Unable|Failed|"
    r"That ticket has|No permission|Illegal)|isn't a valid|is not a valid|must match|not allowed|"
    r"unresolved dependencies|may not own",
    re.IGNORECASE,
)
_TICKET_PREFIX = re.compile(r"^Ticket \d+: ")
_ALREADY = re.compile(r"already (exists|has that value|set)|That is already the current value", re.IGNORECASE)


def refusals(messages: Any) -> list[str]:
    """The messages of an RT update answer that say RT refused something."""
    if not isinstance(messages, list):
        return []
    found = []
    for message in map(str, messages):
        text = _TICKET_PREFIX.sub("", message)  # REST2 prefixes messages with "Ticket N: "
        if _REFUSAL.search(text) and not _ALREADY.search(text):
            found.append(text)
    return found
