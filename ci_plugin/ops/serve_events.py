"""Which ticket a pushed event is about, per host type (the body is already verified and parsed).

An event only *names* a ticket: the worker re-reads the ticket from the host and converts it
only if its candidate flag is still set (:func:`ci_plugin.ops.sync.convert_flagged`), so an
event never decides by itself that a ticket is converted, and a late or repeated one does nothing.

Shapes understood:

* RT scrip / Standard Webhooks (``rt``, ``memory``): ``{"type": "ticket.flagged", "timestamp":
  ..., "data": {"ticket": "42"}}``;
* Redmine webhook plugins: ``{"payload": {"action": "updated", "issue": {"id": 42}}}`` (or the
  Standard Webhooks shape above);
* Jira: ``{"webhookEvent": "jira:issue_updated", "issue": {"id": "10007", "key": "SUP-7"}}`` (the
  numeric ``id``, which Jira's REST API accepts wherever it takes a key; the key without one);
* Zammad: ``{"ticket": {"id": 42}}``.
"""

from __future__ import annotations

from typing import Any

#: Longest ticket id accepted from an event (anything longer is not an id of any host).
MAX_ID = 64


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= MAX_ID and text.isprintable() else None


def _standard(document: dict[str, Any]) -> str | None:
    data = document.get("data")
    if document.get("type") == "ticket.flagged" and isinstance(data, dict):
        return _text(data.get("ticket"))
    return None


def _redmine(document: dict[str, Any]) -> str | None:
    payload = document.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("issue"), dict):
        return _text(payload["issue"].get("id"))
    return _standard(document)


def _jira(document: dict[str, Any]) -> str | None:
    issue = document.get("issue")
    if isinstance(issue, dict):
        return _text(issue.get("id") or issue.get("key"))
    return None


def _zammad(document: dict[str, Any]) -> str | None:
    ticket = document.get("ticket")
    return _text(ticket.get("id")) if isinstance(ticket, dict) else None


_READERS = {"rt": _standard, "memory": _standard, "redmine": _redmine, "jira": _jira, "zammad": _zammad}


def ticket_of(host_type: str, document: Any) -> str | None:
    """The ticket id the event of ``host_type`` is about, or None when it names none (an event
    of another kind: answered 200 and ignored)."""
    reader = _READERS.get(host_type, _standard)
    return reader(document) if isinstance(document, dict) else None
