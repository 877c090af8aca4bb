"""Register fields as the host stores them: one custom field each, values carried as strings.

Each :class:`FieldSpec` says how a register field of ``schemas/improvement.schema.json`` is kept
in a host custom field: its kind (which decides the encoding), its allowed values (taken from the
schema, so the schema stays the single definition) and whether it holds several values. Host
custom-field names come from ``[fields]`` in the configuration.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.domain.links import id_order
from ci_plugin.errors import SchemaValidationError, UsageError


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


class MalformedValue(ValueError):
    """A host value that is not what its register field holds (an agent typed ``[1,2,3]``
    into ``CI Assessment``, or ``abc`` into ``CI Score``); the message says why, in a few words."""


#: Host values longer than this are not decoded as numbers (a 5,000-digit "integer").
MAX_NUMBER_TEXT = 40
_INTEGER_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: The schema of each JSON field's document, and its JSON type.
_JSON_SCHEMAS = {"assessment": ("assessment", dict), "business_case": ("business-case", dict),
                 "measurements": ("measurement", list)}


def _short(raw: str, limit: int = 60) -> str:
    return repr(raw if len(raw) <= limit else raw[: limit - 1] + "\u2026")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _decode_json(key: str, raw: str) -> Any:
    schema_name, kind = _JSON_SCHEMAS.get(key, ("", object))
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedValue("JSON nested too deeply") from None
    except ValueError as exc:  # not JSON, NaN/Infinity, or an integer too long to convert
        raise MalformedValue(f"not JSON ({str(exc).split(':')[0]})") from None
    if not isinstance(document, kind):
        expected = "a JSON object" if kind is dict else "a JSON array"
        raise MalformedValue(f"{_short(raw)} is not {expected}")
    if not schema_name:
        return document
    items = document if kind is list else [document]
    check = _shape_check(schema_name)
    for index, item in enumerate(items):
        if check(item):
            continue
        where = f"[{index}]" if kind is list else ""
        try:  # jsonschema decides, and words the error
            validation.validate(schema_name, item, what=key)
        except SchemaValidationError as exc:
            raise MalformedValue(f"{where}{exc.path[1:]}: {exc.message}".lstrip(": ")) from None
        except RecursionError:
            raise MalformedValue("JSON nested too deeply") from None
        if not _finite(item):  # the schemas' number types let inf (1e400) through
            raise MalformedValue(f"{where} a number is not finite".strip())
    return document


def _finite(document: Any) -> bool:
    """Whether every number in ``document`` is finite (iterative: no recursion limit)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return True


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "number": (int, float), "integer": (int,),
    "boolean": (bool,), "null": (type(None),),
}


@cache
def _shape_check(schema_name: str) -> Callable[[Any], bool]:
    """A fast check of the *shape* a stored document must have for ci-plugin to read it: the
    JSON types, required keys, enumerations and nested properties/items of the shipped schema
    ``schema_name`` (``$ref`` followed), and finite numbers. Formats, patterns and bounds are
    left to the full validation made when ci-plugin writes a value: jsonschema costs about
    100 us a document, too much for every improvement of a large register. When this check
    says no, jsonschema decides (and words the error)."""
    root = validation.schema(schema_name)

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if not ref:
            return node
        if ref.startswith("urn:ci-plugin:"):
            return validation.schema(ref.rsplit(":", 1)[1])
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return target

    def build(node: dict[str, Any]) -> Callable[[Any], bool]:
        node = resolve(node)
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        types = tuple(t for k in kinds for t in _PY_TYPES[k]) if kinds else None
        no_bool = bool(kinds) and "boolean" not in kinds
        enum = node.get("enum")
        required = tuple(node.get("required", ()))
        properties = {k: build(sub) for k, sub in node.get("properties", {}).items()}
        extra = build(node["additionalProperties"]) if isinstance(node.get("additionalProperties"), dict) else None
        items = build(node["items"]) if isinstance(node.get("items"), dict) else None
        walk_object = bool(required or properties or extra)

        def check(v: Any) -> bool:
            if types is not None and (not isinstance(v, types) or (no_bool and v.__class__ is bool)):
                return False
            if enum is not None and v not in enum:
                return False
            if v.__class__ is dict:
                if walk_object:
                    for name in required:
                        if name not in v:
                            return False
                    for name, item in v.items():
                        sub = properties.get(name, extra)
                        if sub is not None and not sub(item):
                            return False
            elif v.__class__ is list:
                if items is not None:
                    for item in v:
                        if not items(item):
                            return False
            elif v.__class__ is float and not math.isfinite(v):
                return False
            return True

        return check

    return build(root)


def decode_checked(key: str, raw: Any) -> Any:
    """Decode a host value into the typed register value; ``None`` when empty. Raises
    :class:`MalformedValue` when the value is not what the field holds: a number or integer
    that is not a plain ASCII decimal (or is not finite), JSON that does not parse or does not
    fit the field's schema (``schemas/assessment.schema.json``, ...), a value outside an
    enumerated field's choices."""
    spec = BY_KEY[key]
    if spec.multi:
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        return sorted({str(v).strip() for v in values if str(v).strip()}, key=id_order)
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    raw = "" if raw is None else str(raw).strip()
    if raw == "":
        return None
    if spec.kind == "integer":
        if len(raw) > MAX_NUMBER_TEXT or not _INTEGER_TEXT.fullmatch(raw):
            raise MalformedValue(f"{_short(raw)} is not an integer")
        return int(raw)
    if spec.kind == "number":
        if len(raw) > MAX_NUMBER_TEXT or not _NUMBER_TEXT.fullmatch(raw):
            raise MalformedValue(f"{_short(raw)} is not a number")
        number = float(raw)
        if not math.isfinite(number):
            raise MalformedValue(f"{_short(raw)} is not a finite number")
        return int(raw) if _INTEGER_TEXT.fullmatch(raw) else number
    if spec.kind == "json":
        return _decode_json(key, raw)
    if spec.kind == "enum" and raw not in spec.choices:
        raise MalformedValue(f"{_short(raw)} is not one of {', '.join(spec.choices)}")
    return raw


def decode(key: str, raw: Any) -> Any:
    """Decode a host value into the typed register value; ``None`` when empty or malformed
    (see :func:`decode_checked`)."""
    try:
        return decode_checked(key, raw)
    except MalformedValue:
        return None


class DecodedValues(dict):
    """What :func:`decode_all` returns: the typed values (a dict), and in :attr:`malformed` the
    register field key of every value that could not be read, with why. A malformed value is
    left out of the dict, never passed on half-read."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.malformed: dict[str, str] = {}


def decode_all(raw_fields: dict[str, Any]) -> DecodedValues:
    """The typed values of an improvement's raw host fields (register fields only: the
    candidate flag and keys that are not register fields are left out). A malformed value is
    left out too and recorded in ``.malformed`` (key -> reason), so that a command reading many
    improvements reports it and goes on (``Improvement.malformed``)."""
    values = DecodedValues()
    for key, raw in raw_fields.items():
        if key not in BY_KEY or BY_KEY[key].on_candidates:
            continue
        try:
            values[key] = decode_checked(key, raw)
        except MalformedValue as exc:
            values.malformed[key] = str(exc)
    return values


#: Longest ticket id accepted from a user (ids beyond 18 digits exist on no host).
MAX_ID_DIGITS = 18
_TICKET_ID = re.compile(r"#?([0-9]+)")


def parse_ticket_id(text: str, what: str = "ticket") -> str:
    """Validate a ticket id typed by a user (``42`` or ``#42``) and return it as a string.

    ASCII digits only, with at most one leading ``#`` and surrounding spaces: ``５７``
    (full-width digits), ``²``, ``##57``, ``+57``, ``0`` and ids longer than 18 digits are
    refused, never normalised into another ticket's id. Leading zeros are dropped (``007`` ->
    ``7``)."""
    match = _TICKET_ID.fullmatch(str(text).strip())
    if not match or len(match.group(1).lstrip("0")) > MAX_ID_DIGITS or int(match.group(1)) <= 0:
        raise UsageError(f"{what} id {_short(str(text))} is not a positive number (ASCII digits, optionally after one #)")
    return str(int(match.group(1)))


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
    bad = [i for i in ids if not (i.isascii() and i.isdigit())]
    if bad:
        raise UsageError(f"{key}: {bad[0]!r} is not a ticket id")
    return encode_ids(ids)
