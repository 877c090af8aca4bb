"""A compiled check for the flat, numeric input schemas scoring models use.

``jsonschema`` costs about 80 us per document, more than scoring itself; prioritising a large
register validates every improvement's inputs. :func:`compile_check` turns a schema made only of
``type: object``, ``properties`` with ``type: number|integer``, ``minimum``, ``maximum``,
``exclusiveMinimum``, ``exclusiveMaximum``, numeric ``enum``, ``required`` and
``additionalProperties: false`` (plus annotations) into a plain function. It answers only
"valid or not": when it says not, or when a schema uses anything else, the caller asks
jsonschema, which stays the authority and words the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_INF = float("inf")
_ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "examples", "$comment"}
_ROOT_KEYS = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}
_PROPERTY_KEYS = _ANNOTATIONS | {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _property_check(spec: dict[str, Any]) -> Callable[[Any], bool] | None:
    if not isinstance(spec, dict) or set(spec) - _PROPERTY_KEYS:
        return None
    kind = spec.get("type", "number" if "enum" in spec else None)
    if kind not in ("number", "integer"):
        return None
    enum = spec.get("enum")
    if enum is not None and not all(_is_number(v) for v in enum):
        return None
    bounds = [(spec.get(k), op) for k, op in (("minimum", "ge"), ("maximum", "le"),
                                               ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt"))]
    if any(b is not None and not _is_number(b) for b, _ in bounds):
        return None
    low, high = spec.get("minimum"), spec.get("maximum")
    xlow, xhigh = spec.get("exclusiveMinimum"), spec.get("exclusiveMaximum")
    integer = kind == "integer"

    def check(value: Any) -> bool:
        if not _is_number(value):
            return False
        if integer and not (isinstance(value, int) or value.is_integer()):
            return False
        if value != value or value in (_INF, -_INF):  # NaN and infinities go to the slow path
            return False
        if enum is not None and value not in enum:
            return False
        return ((low is None or value >= low) and (high is None or value <= high)
                and (xlow is None or value > xlow) and (xhigh is None or value < xhigh))

    return check


def compile_check(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A function telling whether a document is valid, or None if the schema is outside the subset."""
    if not isinstance(schema, dict) or set(schema) - _ROOT_KEYS or schema.get("type") != "object":
        return None
    if schema.get("additionalProperties", True) not in (False, True):
        return None
    checks = {}
    for name, spec in (schema.get("properties") or {}).items():
        check = _property_check(spec)
        if check is None:
            return None
        checks[name] = check
    required = tuple(schema.get("required") or ())
    closed = schema.get("additionalProperties", True) is False

    def valid(document: Any) -> bool:
        if not isinstance(document, dict):
            return False
        for name in required:
            if name not in document:
                return False
        for name, value in document.items():
            check = checks.get(name)
            if check is None:
                if closed:
                    return False
            elif not check(value):
                return False
        return True

    return valid
