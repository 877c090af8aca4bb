"""Register fields as the host stores them: one custom field each, values carried as strings.

Each :class:`FieldSpec` says how a register field of ``schemas/improvement.schema.json`` is kept
in a host custom field: its kind (which decides the encoding), its allowed values (taken from the
schema, so the schema stays the single definition) and whether it holds several values. Host
custom-field names come from ``[fields]`` in the configuration.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.domain.links import id_order
from ci_plugin.errors import UsageError


@dataclass(frozen=True)
class FieldSpec:
    """How one register field is stored in a host custom field."""

    key: str
    kind: str  # text | enum | integer | number | date | json | ids | flag
    description: str
    multi: bool = False
    on_candidates: bool = False  # lives on the tickets agents flag, not on improvements

    @property
    def choices(self) -> tuple[str, ...]:
        """Allowed values of an ``enum`` field, read from the improvement schema."""
        if self.kind != "enum":
            return ()
        node = validation.schema("improvement")["properties"][self.key]
        if "$ref" in node:
            node = validation.schema("improvement")["$defs"][node["$ref"].rsplit("/", 1)[1]]
        return tuple(node["enum"])

    def pattern(self) -> str:
        """A validation regex the host can enforce (RT ``Pattern``), ``""`` for none."""
        if self.kind == "enum":
            return "^(" + "|".join(re.escape(c) for c in self.choices) + ")?$"
        if self.kind == "integer":
            return r"(?#Integer)^-?\d*$"
        if self.kind == "ids":
            return r"(?#Ticket id)^\d+$"
        if self.kind == "number":
            return r"(?#Number)^(-?\d+(\.\d+)?)?$"
        if self.kind == "date":
            return r"(?#Date YYYY-MM-DD)^(\d{4}-\d{2}-\d{2})?$"
        return ""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("category", "enum", "Improvement category (service, process, practice, technology, people)"),
    FieldSpec("source", "enum", "Where the opportunity came from (incident, problem, request, ...)"),
    FieldSpec("source_tickets", "ids", "Ids of the tickets converted into this improvement", multi=True),
    FieldSpec("size", "enum", "T-shirt size of the work (S, M, L, XL)"),
    FieldSpec("target_date", "date", "Date the improvement should be achieved by"),
    FieldSpec("review_date", "date", "Date of the next review"),
    FieldSpec("score", "number", "Priority score from the scoring model"),
    FieldSpec("rank", "integer", "Rank in the register (1 = do first)"),
    FieldSpec("model", "text", "Scoring model of the last assessment"),
    FieldSpec("assessment", "json", "Last assessment: inputs, breakdown, assessor, time (JSON)"),
    FieldSpec("business_case", "json", "Business case: benefit, cost, cost of inaction, ROI, payback (JSON)"),
    FieldSpec("measurements", "json", "KPIs: baseline, target, actual, verdict (JSON)"),
    FieldSpec("verdict", "enum", "Did we get there? met, partly or missed"),
    FieldSpec("outcome", "text", "Closure outcome: successful, unsuccessful or withdrawn"),
    FieldSpec("lessons", "text", "Lessons learned at closure"),
    FieldSpec("candidate", "flag", "Set by an agent to ask for conversion into an improvement", on_candidates=True),
)
BY_KEY = {spec.key: spec for spec in FIELDS}
IMPROVEMENT_FIELDS = tuple(spec for spec in FIELDS if not spec.on_candidates)


def encode(key: str, value: Any) -> str | list[str]:
    """Encode a typed register value as the host string(s) for field ``key``."""
    spec = BY_KEY[key]
    if value is None:
        return [] if spec.multi else ""
    if spec.multi:
        return [str(v) for v in value]
    if spec.kind == "json":
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if spec.kind == "number":
        return format(float(value), ".6g") if not isinstance(value, int) else str(value)
    return str(value)


def decode(key: str, raw: Any) -> Any:
    """Decode a host value into the typed register value; ``None`` when empty or unreadable."""
    spec = BY_KEY[key]
    if spec.multi:
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        return sorted({str(v).strip() for v in values if str(v).strip()}, key=id_order)
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    raw = "" if raw is None else str(raw).strip()
    if raw == "":
        return None
    try:
        if spec.kind == "integer":
            return int(raw)
        if spec.kind == "number":
            number = float(raw)
            return int(number) if number.is_integer() and "." not in raw else number
        if spec.kind == "json":
            return json.loads(raw)
    except ValueError:
        return None
    return raw


def decode_all(raw_fields: dict[str, Any]) -> dict[str, Any]:
    """The typed values of an improvement's raw host fields (register fields only: the
    candidate flag and keys that are not register fields are left out)."""
    return {key: decode(key, raw) for key, raw in raw_fields.items()
            if key in BY_KEY and not BY_KEY[key].on_candidates}


def parse_ticket_id(text: str, what: str = "ticket") -> str:
    """Validate a ticket id typed by a user (``42`` or ``#42``) and return it as a string."""
    cleaned = str(text).strip().lstrip("#")
    if not cleaned.isdigit() or int(cleaned) <= 0:
        raise UsageError(f"{what} id {text!r} is not a positive number")
    return str(int(cleaned))


def encode_ids(values: Any) -> str:
    """Several ticket ids in one string field, for hosts without multi-valued fields:
    ``["11", "12"] -> ",11,12,"`` (commas on both ends, so a contains-search for ``,11,``
    matches whole ids only)."""
    items = values if isinstance(values, (list, tuple)) else [values]
    ids = [str(v).strip() for v in items if str(v).strip()]
    return "," + ",".join(ids) + "," if ids else ""


def decode_ids(raw: Any) -> list[str]:
    """The ids of a field written by :func:`encode_ids`: ``",11,12," -> ["11", "12"]`` (a list
    is joined first)."""
    if isinstance(raw, list):
        raw = ",".join(str(v) for v in raw)
    return [part.strip() for part in str(raw or "").split(",") if part.strip()]


def encode_checked_ids(key: str, raw: Any) -> str:
    """The ids of register field ``key`` (a list, or a string kept by :func:`encode_ids`),
    checked and encoded with :func:`encode_ids`; UsageError names the first item that is not a
    ticket id, before anything is sent."""
    ids = decode_ids(raw) if isinstance(raw, str) else [str(v).strip() for v in raw or []]
    bad = [i for i in ids if not i.isdigit()]
    if bad:
        raise UsageError(f"{key}: {bad[0]!r} is not a ticket id")
    return encode_ids(ids)
