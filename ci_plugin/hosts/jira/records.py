"""Jira issues and the register's values: reading, mapping, checking, writing; issue links.

Register fields are custom fields (:mod:`.metadata`): enum and flag fields are selects
(``{"value": "x"}``), numbers are number fields (``42.5``; an integral value is sent as an
integer), dates are date pickers (``YYYY-MM-DD``), JSON documents and lessons are multi-line text
fields (ADF, :mod:`.adf`), the other text fields and the source ids are single-line text
fields (a plain string; several ids as ``,11,12,``). An empty value is ``null``.

Links are issue links, seen from the improvement. A link type joins an *inward* and an
*outward* issue (``POST /issueLink`` ``{"inwardIssue": A, "outwardIssue": B}``: "A blocks B",
"A causes B"); reading issue A, Jira shows the link with ``outwardIssue`` B, reading B with
``inwardIssue`` A. The improvement is the inward end of its source, project, change and
follow-up links (``Relates`` by default) and the outward end of its problem link (the problem
record *causes* it, JSM's ``Problem/Incident``) and of a dependency (the improvement it depends
on *blocks* it). The relation :func:`ci_plugin.domain.links.classify` is told is ``TYPE>``
(this issue is the inward end) or ``TYPE<``.
"""

from __future__ import annotations

import re
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain import links as link_kinds
from ci_plugin.domain.fields import decode_ids
from ci_plugin.domain.model import Ticket
from ci_plugin.errors import HostRefused, NotFound, UsageError
from ci_plugin.hosts.jira.adf import to_adf, to_text
from ci_plugin.hosts.jira.metadata import AREA, DATE, FLOAT, SELECT, TEXT, TEXT_LIMIT, JiraMetadata

#: Kinds (and ``depends_on``) whose link has the improvement as its *outward* end.
IMPROVEMENT_OUTWARD = ("problem", "depends_on")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def field_type(key: str) -> str:
    """The Jira custom field type of register field ``key``."""
    kind = register_fields.BY_KEY[key].kind
    if kind in ("enum", "flag"):
        return SELECT
    if kind in ("integer", "number"):
        return FLOAT
    if kind == "date":
        return DATE
    if kind == "json" or key == "lessons":
        return AREA
    return TEXT


def jira_time(text: Any) -> str:
    """Jira's ``2026-12-04T18:05:01.123+0000`` as ISO 8601 with a colon in the offset."""
    value = str(text or "")
    return re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)


def plain(key: str, raw: Any) -> Any:
    """A Jira custom field value as the raw register value (a string; ids as a list)."""
    if register_fields.BY_KEY[key].kind == "ids":
        return decode_ids(raw if isinstance(raw, str) else "")
    if raw is None:
        return ""
    if isinstance(raw, dict) and "value" in raw:
        return str(raw["value"])
    if isinstance(raw, dict):
        return to_text(raw)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def relation(link_type: str, improvement_inward: bool) -> str:
    """The relation string of a link seen from one of its ends."""
    return f"{link_type}{'>' if improvement_inward else '<'}"


class JiraRecords(JiraMetadata):
    """Issues to tickets and back, and issue links (needs ``settings``, ``link_types``)."""

    # --- reading ------------------------------------------------------------------------------

    def _read(self, ticket_id: str, fields: list[str] | None = None) -> dict[str, Any]:
        try:
            return self.session.request("GET", f"issue/{ticket_id}",
                                        params={"fields": ",".join(fields or self.read_fields())}).json()
        except NotFound:
            raise NotFound(f"Jira: issue {ticket_id} does not exist or you do not have permission to see it") from None

    def _values(self, data: dict[str, Any]) -> dict[str, Any]:
        fields = data.get("fields") or {}
        values: dict[str, Any] = {}
        for key, name in self.cf_names.items():
            found = self.field_named(name)
            if found is not None and found["id"] in fields:
                values[key] = plain(key, fields[found["id"]])
        return values

    def _to_ticket(self, data: dict[str, Any], *, links: bool = False) -> Ticket:
        fields = data.get("fields") or {}
        ticket_id = str(data["id"])
        self._project_of[ticket_id] = str((fields.get("project") or {}).get("key") or str(data.get("key", "")).split("-")[0])
        person = lambda who: (who or {}).get("emailAddress") or (who or {}).get("displayName") or ""  # noqa: E731
        ticket = Ticket(
            id=ticket_id, title=fields.get("summary") or "",
            status=(fields.get("status") or {}).get("name", ""),
            container=(fields.get("issuetype") or {}).get("name", ""),
            description=to_text(fields.get("description")).strip(),
            submitter=person(fields.get("reporter")), owner=person(fields.get("assignee")),
            created=jira_time(fields.get("created")), url=self.ticket_url(ticket_id), fields=self._values(data))
        pairs = self._pairs(fields.get("issuelinks") or [])
        if links:
            ticket.links = self._classify(ticket, pairs)
        else:
            depends = sorted({other for other, rel, _ in pairs if rel == relation(self._type("depends_on"), False)},
                             key=link_kinds.id_order)
            if depends:
                ticket.links = {"depends_on": depends}
        return ticket

    def in_register(self, ticket: Ticket) -> bool:
        """Whether the issue is of the register's type in the register's project."""
        return ticket.container.lower() == self.type_name.lower() and self._project_of.get(ticket.id) == self.project_key

    def container_of(self, ticket: Ticket, kind: str) -> bool:
        """Problems, projects and changes are issues of their configured issue types."""
        wanted = self.settings[{"problem": "problem_type", "project": "project_type", "change": "change_type"}[kind]]
        return ticket.container.lower() == wanted.lower()

    def ticket_url(self, ticket_id: str) -> str:
        """The issue in Jira's web app, by id."""
        return f"{self.web_base}/secure/ViewIssue.jspa?id={ticket_id}"

    # --- links --------------------------------------------------------------------------------

    def _type(self, kind: str) -> str:
        return self.link_types[kind]

    @staticmethod
    def _pairs(issuelinks: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """``(other issue id, relation, other issue)`` of each link of an issue."""
        found = []
        for link in issuelinks:
            if not isinstance(link, dict):
                continue
            name = str((link.get("type") or {}).get("name", ""))
            for side, inward in (("outwardIssue", True), ("inwardIssue", False)):
                other = link.get(side)
                if isinstance(other, dict) and other.get("id"):
                    found.append((str(other["id"]), relation(name, inward), other))
        return found

    def _role(self, other: dict[str, Any]) -> str:
        type_name = str(((other.get("fields") or {}).get("issuetype") or {}).get("name", "")).lower()
        project = str(other.get("key", "")).split("-")[0]
        if type_name == self.type_name.lower() and project == self.project_key:
            return link_kinds.ROLE_REGISTER
        roles = {self.settings["problem_type"].lower(): link_kinds.ROLE_PROBLEM,
                 self.settings["project_type"].lower(): link_kinds.ROLE_PROJECT,
                 self.settings["change_type"].lower(): link_kinds.ROLE_CHANGE}
        return roles.get(type_name, link_kinds.ROLE_OTHER)

    def _classify(self, ticket: Ticket, pairs: list[tuple[str, str, dict[str, Any]]]) -> dict[str, list[str]]:
        relations = {kind: relation(self._type(kind), kind not in IMPROVEMENT_OUTWARD)
                     for kind in ("problem", "project", "change", "follow_up", "depends_on")}
        return link_kinds.classify([(other, rel) for other, rel, _ in pairs],
                                   role_of={other: self._role(data) for other, _, data in pairs},
                                   relations=relations, sources=ticket.fields.get("source_tickets") or [],
                                   outside=not self.in_register(ticket))

    def _link_ends(self, kind: str, improvement: str, target: str) -> dict[str, Any]:
        """The body of ``POST /issueLink`` for a link of ``kind`` (singular, or ``depends_on``)."""
        ends = (target, improvement) if kind in IMPROVEMENT_OUTWARD else (improvement, target)
        return {"type": {"name": self._type(kind)}, "inwardIssue": {"id": ends[0]}, "outwardIssue": {"id": ends[1]}}

    def _new_issue_links(self, links: dict[str, list[str]]) -> list[dict[str, Any]]:
        """``update.issuelinks`` of a new improvement: every link made with the issue."""
        made = []
        for kind, targets in links.items():
            singular = link_kinds.singular(kind)
            side = "inwardIssue" if singular in IMPROVEMENT_OUTWARD else "outwardIssue"
            made += [{"add": {"type": {"name": self._type(singular)}, side: {"id": str(t)}}} for t in targets]
        return made

    def add_links(self, ticket_id: str, kind: str, targets: list[str]) -> None:
        """Link targets to the improvement, skipping links already there (Jira would "succeed" anyway)."""
        singular = link_kinds.singular(kind) if kind in link_kinds.WRITABLE else kind
        present = {(other, rel) for other, rel, _ in self._pairs(
            (self._read(ticket_id, ["issuelinks"]).get("fields") or {}).get("issuelinks") or [])}
        wanted = relation(self._type(singular), singular not in IMPROVEMENT_OUTWARD)
        for target in targets:
            if (str(target), wanted) in present:
                continue
            try:
                self.session.request("POST", "issueLink", json=self._link_ends(singular, str(ticket_id), str(target)))
            except NotFound as exc:
                raise NotFound(f"Jira refused the {kind} link {ticket_id} -> {target}: {exc.host_message or exc}",
                               status=exc.status, host_message=exc.host_message) from None

    # --- writing ------------------------------------------------------------------------------

    def _encode(self, values: dict[str, Any]) -> dict[str, Any]:
        """Register values as Jira field values; refuses before sending what Jira would refuse
        or what a field cannot hold."""
        body: dict[str, Any] = {}
        for key, raw in values.items():
            spec = register_fields.BY_KEY[key]
            field = self.field_of(key)
            if spec.kind == "ids":
                text = register_fields.encode_checked_ids(key, raw)
            else:
                text = (str(raw[0]) if raw else "") if isinstance(raw, list) else ("" if raw is None else str(raw))
            body[field["id"]] = self._jira_value(key, field, text)
        return body

    @staticmethod
    def _jira_value(key: str, field: dict[str, Any], text: str) -> Any:
        if text == "":
            return None
        custom = (field.get("schema") or {}).get("custom")
        if custom == SELECT:
            return {"value": text}
        if custom == FLOAT:
            if not _NUMBER.fullmatch(text):
                raise UsageError(f"{key}: {text!r} is not a number")
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
        if custom == AREA:
            return to_adf(text)
        if custom == TEXT and len(text) > TEXT_LIMIT:
            raise UsageError(f"{key}: {len(text)} characters do not fit Jira field {field.get('name')!r} "
                             f"(a single-line text field holds {TEXT_LIMIT})")
        return text

    def _refused(self, exc: HostRefused, what: str) -> HostRefused:
        """Jira's refusal with field ids replaced by the fields' names."""
        names = self.field_names()
        words = "; ".join(exc.messages) or str(exc)
        words = re.sub(r"customfield_\d+", lambda m: names.get(m.group(0), m.group(0)), words)
        return HostRefused(f"Jira refused {what}: {words}", status=exc.status, messages=[words])

    def _put(self, ticket_id: str, fields: dict[str, Any]) -> None:
        try:
            self.session.request("PUT", f"issue/{ticket_id}", json={"fields": fields})
        except NotFound:
            raise NotFound(f"Jira: issue {ticket_id} does not exist or you do not have permission to see it") from None
        except HostRefused as exc:
            raise self._refused(exc, f"the update of issue {ticket_id}") from None
