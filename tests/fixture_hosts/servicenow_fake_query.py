"""Encoded queries as the fake ServiceNow evaluates them (``sysparm_query``).

Written from ServiceNow's documentation, independently of the adapter's checker: ``^`` joins
parts (and), ``^OR`` makes the part an alternative of the previous one, ``^NQ`` starts a new
query whose matches are added; ``ORDERBY``/``ORDERBYDESC`` sort. A part ServiceNow cannot use (an
unknown column, an unknown operator, no operator) is *dropped without a word*, so the query
matches more; with ``glide.invalid_query.returns_no_rows`` set, the query matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

_OPERATORS = ("NOT LIKE", "NOT IN", "ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "LIKE", "IN",
              "!=", ">=", "<=", "=", ">", "<")
_COLUMN = re.compile(r"[a-z0-9_]+")

Matcher = Callable[[dict[str, Any]], bool]


def _value(record: dict[str, Any], column: str) -> str:
    value = record.get(column)
    return "" if value is None else str(value)


def _compare(left: str, right: str) -> tuple[Any, Any]:
    try:
        return float(left), float(right)
    except ValueError:
        return left, right


def _test(operator: str, have: str, want: str) -> bool:
    if operator == "=":
        return have == want
    if operator == "!=":
        return have != want
    if operator == "LIKE":
        return want.lower() in have.lower()
    if operator == "NOT LIKE":
        return want.lower() not in have.lower()
    if operator == "STARTSWITH":
        return have.lower().startswith(want.lower())
    if operator == "ENDSWITH":
        return have.lower().endswith(want.lower())
    if operator == "IN":
        return have in want.split(",")
    if operator == "NOT IN":
        return have not in want.split(",")
    if operator == "ISEMPTY":
        return have == ""
    if operator == "ISNOTEMPTY":
        return have != ""
    if have == "":
        return False
    a, b = _compare(have, want)
    if type(a) is not type(b):
        a, b = have, want
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[operator]


def _part(part: str, columns: Collection[str]) -> Matcher | None:
    """The matcher of one part, or ``None`` when ServiceNow would drop it."""
    found = _COLUMN.match(part)
    if not found or found.group(0) not in columns:
        return None
    column, rest = found.group(0), part[found.end():]
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        return None
    want = rest[len(operator):]
    return lambda record: _test(operator, _value(record, column), want)


def compile_query(query: str, columns: Collection[str], *, strict: bool = False) -> tuple[Matcher, list[tuple[str, bool]]]:
    """``(matcher, order)`` of an encoded query against a table with ``columns``; ``order`` is
    ``[(column, descending)]``. ``strict``: an invalid part makes the query match nothing."""
    order: list[tuple[str, bool]] = []
    queries: list[list[list[Matcher]]] = []
    invalid = False
    for block in query.split("^NQ") if query else []:
        groups: list[list[Matcher]] = []
        for index, chunk in enumerate(block.split("^")):
            alternative = chunk.startswith("OR") and not chunk.startswith("ORDERBY") and index > 0 and bool(groups)
            part = chunk[2:] if alternative else chunk
            if part.startswith("ORDERBYDESC") or part.startswith("ORDERBY"):
                desc = part.startswith("ORDERBYDESC")
                column = part[len("ORDERBYDESC" if desc else "ORDERBY"):]
                if column in columns:
                    order.append((column, desc))
                continue
            matcher = _part(part, columns)
            if matcher is None:
                invalid = True
                continue  # silently ignored, as ServiceNow does
            if alternative:
                groups[-1].append(matcher)
            else:
                groups.append([matcher])
        queries.append(groups)
    if strict and invalid:
        return (lambda record: False), order
    if not queries:
        return (lambda record: True), order

    def matches(record: dict[str, Any]) -> bool:
        return any(all(any(m(record) for m in group) for group in groups) for groups in queries)

    return matches, order
