"""Reading a ticket's comments back, so that an interrupted conversion can be repaired.

The adapter contract (:mod:`ci_plugin.hosts.base`) writes comments but does not read them yet.
:func:`comments` uses an adapter's own ``comments(ticket_id)`` method where it has one (the
way a third-party adapter opts in), and otherwise knows how the built-in hosts answer: RT's
ticket attachments, Redmine's journal notes (``include=journals``), the in-memory host's store.
``None`` means the host cannot tell; callers then leave the comment alone rather than risk a
duplicate.
"""

from __future__ import annotations

from typing import Any

MAX_PAGES = 20


def comments(host: Any, ticket_id: str) -> list[str] | None:
    """The text of every comment (and the description) of ``ticket_id``, or None if unknown."""
    own = getattr(host, "comments", None)
    if callable(own):
        return [str(text) for text in own(ticket_id)]
    name = getattr(host, "name", "")
    if name == "rt":
        return _rt(host, ticket_id)
    if name == "redmine":
        answer = host.session.request("GET", f"issues/{ticket_id}.json", params={"include": "journals"}).json()
        issue = answer.get("issue") or {}
        texts = [str(issue.get("description") or "")]
        return texts + [str(j.get("notes")) for j in issue.get("journals") or [] if j.get("notes")]
    store = getattr(host, "store", None)
    if store is not None and hasattr(store, "ticket"):
        return list(store.ticket(ticket_id).comments)
    return None


def _rt(host: Any, ticket_id: str) -> list[str]:
    texts: list[str] = []
    for page in range(1, MAX_PAGES + 1):
        answer = host.session.request("GET", f"ticket/{ticket_id}/attachments",
                                      params={"fields": "Content,ContentType", "per_page": 100, "page": page}).json()
        items = answer.get("items") or []
        texts += [str(item["Content"]) for item in items
                  if str(item.get("ContentType", "")).startswith("text/plain") and item.get("Content")]
        if not items or page >= int(answer.get("pages") or 1):
            break
    return texts
