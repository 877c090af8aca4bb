"""Zammad ticket records and the register's values: reading, mapping, checking, writing.

A ticket record becomes a :class:`~ci_plugin.domain.model.Ticket` with its register fields read
from the ticket attributes; register values become attribute values after being checked against
the attribute's definition (Zammad would drop or truncate them otherwise), and an answer is
compared with what was sent (Zammad drops values of attributes it does not see yet).
Several ticket ids live in one input attribute as ``,11,12,``
(:func:`ci_plugin.domain.fields.encode_ids`).
"""

from __future__ import annotations

import re
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.fields import decode_ids
from ci_plugin.domain.model import Ticket
from ci_plugin.errors import NotFound, UsageError

from ci_host_zammad.metadata import ZammadMetadata, attribute_name, plain


def _text(data: dict[str, Any], key: str) -> str:
    """A name Zammad puts in an expanded record (``"group": "Users"``), ``""`` if not expanded."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


class ZammadRecords(ZammadMetadata):
    """Ticket records: read, mapped to tickets and register values, written back (needs ``web_base``)."""

    web_base: str
    _numbers: dict[str, str]  # ticket id -> ticket number (links/add wants numbers)

    def ticket_url(self, ticket_id: str) -> str:
        """The ticket in Zammad's web app."""
        return f"{self.web_base}/#ticket/zoom/{ticket_id}"

    def _remember_number(self, data: dict[str, Any]) -> None:
        if data.get("number"):
            self._numbers[str(data["id"])] = str(data["number"])

    def _number(self, ticket_id: str) -> str:
        if ticket_id not in self._numbers:
            self._read(ticket_id)
        return self._numbers[ticket_id]

    # --- reading --------------------------------------------------------------------------------

    def _read(self, ticket_id: str) -> dict[str, Any]:
        """The plain ticket record (``GET /tickets/ID``)."""
        try:
            data = self.session.request("GET", f"tickets/{ticket_id}").json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None
        self._remember_number(data)
        return data

    def _get_all(self, ticket_id: str) -> dict[str, Any]:
        """``GET /tickets/ID?all=true``: the ticket, its articles, its links and the linked tickets."""
        try:
            return self.session.request("GET", f"tickets/{ticket_id}", params={"all": "true"}).json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None

    def _values(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register field values of a ticket record, as strings (ids as lists)."""
        values: dict[str, Any] = {}
        for key, display in self.display_names.items():
            attr = self._attribute_named(display)
            name = attr["name"] if attr else attribute_name(display)
            if name not in data:
                continue
            raw = data.get(name)
            values[key] = decode_ids(raw) if register_fields.BY_KEY[key].kind == "ids" else plain(raw)
        return values

    def _to_ticket(self, data: dict[str, Any]) -> Ticket:
        ticket_id = str(data["id"])
        self._remember_number(data)
        owner = _text(data, "owner")
        return Ticket(
            id=ticket_id,
            title=data.get("title") or "",
            status=_text(data, "state") or self._state_name(data.get("state_id")) or "",
            container=_text(data, "group") or self._group_name(data.get("group_id")) or "",
            submitter=_text(data, "created_by"),
            owner="" if owner == "-" else owner,
            created=data.get("created_at") or "",
            url=self.ticket_url(ticket_id),
            fields=self._values(data),
        )

    # --- writing --------------------------------------------------------------------------------

    def _encode(self, values: dict[str, Any]) -> dict[str, Any]:
        """Register values as attribute values; refuses, before sending, what Zammad would not
        keep as given (too long for its column, not an option of a select, not a date...)."""
        body: dict[str, Any] = {}
        for key, raw in values.items():
            spec = register_fields.BY_KEY[key]
            attr = self._attribute(key)
            if spec.kind == "ids":
                value: Any = register_fields.encode_checked_ids(key, raw)
            else:
                value = (str(raw[0]) if raw else "") if isinstance(raw, list) else plain(raw)
            body[attr["name"]] = self._checked(key, attr, value)
        return body

    @staticmethod
    def _checked(key: str, attr: dict[str, Any], value: str) -> Any:
        """``value`` as attribute ``attr`` takes it; UsageError when Zammad would not keep it."""
        option = attr.get("data_option") or {}
        data_type = attr.get("data_type")
        if data_type == "select":
            if value and value not in (option.get("options") or {}):
                raise UsageError(f"{key}: {value!r} is not a value of Zammad attribute {attr['display']!r} "
                                 f"(options: {', '.join(option.get('options') or {})})")
            return value or None
        if data_type == "integer":
            if value and not re.fullmatch(r"-?\d+", value):
                raise UsageError(f"{key}: {value!r} is not an integer")
            return int(value) if value else None
        if data_type == "date":
            if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise UsageError(f"{key}: {value!r} is not a date (YYYY-MM-DD)")
            return value or None
        if option.get("maxlength") and len(value) > int(option["maxlength"]):
            raise UsageError(f"{key}: {len(value)} characters do not fit Zammad attribute {attr['display']!r} "
                             f"(at most {option['maxlength']})")
        return value

    def _dropped(self, sent: dict[str, Any], answer: dict[str, Any]) -> list[str]:
        """Display names of attributes whose value the answer does not carry as sent."""
        by_name = {a["name"]: a["display"] for a in self.attributes()}
        return [by_name.get(name, name) for name, value in sent.items()
                if name not in answer or plain(answer.get(name)) != plain(value)]

    def _put(self, ticket_id: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.session.request("PUT", f"tickets/{ticket_id}", json=body).json()
        except NotFound:
            raise NotFound(f"Zammad: ticket {ticket_id} does not exist") from None
