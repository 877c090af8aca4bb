"""Encoded queries (``sysparm_query``), built and checked before they are sent.

ServiceNow ignores an encoded-query part it cannot use, without a word, unless the instance sets
``glide.invalid_query.returns_no_rows``: ``u_ci_source_tiket LIKE,12,`` (a misspelt column)
matches *every* record, and so do an unknown operator or a term with no operator. An adapter
query gone wrong would then read, update or count the whole table. :func:`check_query` refuses,
before anything is sent, every part ServiceNow would drop: an empty part (``^^``), a column the
table does not have (per ``sys_dictionary``), an operator ServiceNow does not know, an operator
that needs a value and has none, a value holding a newline, and an ``ORDERBY`` of an unknown
column. :func:`term` quotes nothing (the encoded query has no quoting): a value holding ``^``
would split the query, so it is refused too.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ci_plugin.errors import UsageError

#: Operators of the encoded query, longest first (so ``!=`` is not read as ``=``).
OPERATORS = ("NOT LIKE", "NOT IN", "ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "BETWEEN", "ANYTHING",
             "NSAMEAS", "SAMEAS", "LIKE", "IN", "!=", ">=", "<=", "=", ">", "<")
#: Operators that take no value.
NO_VALUE = frozenset({"ISNOTEMPTY", "ISEMPTY", "ANYTHING"})
#: Joins between parts: ``^`` (and), ``^OR`` (or), ``^NQ`` (new query, or of whole queries).
_SPLIT = re.compile(r"\^(?:NQ|OR(?!DERBY))?")
_FIELD = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


class QueryRefused(UsageError):
    """An encoded query ServiceNow would partly ignore (it would match more than asked)."""


def term(column: str, operator: str, value: str = "") -> str:
    """One part ``column`` ``operator`` ``value``; a value that would split the query is refused."""
    if "^" in value or "\n" in value:
        raise QueryRefused(f"ServiceNow: the value {value[:40]!r} for {column} holds '^' or a newline, "
                           "which an encoded query cannot carry")
    return f"{column}{operator}{value}"


def check_query(query: str, columns: Collection[str], *, table: str = "the table") -> str:
    """``query`` if ServiceNow would use every part of it against a table with ``columns``;
    :class:`QueryRefused` naming the first part it would silently ignore otherwise."""
    if "\n" in query or "\r" in query:
        raise QueryRefused("ServiceNow: an encoded query cannot hold a newline")
    known = set(columns)
    for part in _SPLIT.split(query):
        problem = _part_problem(part, known, table)
        if problem:
            raise QueryRefused(f"ServiceNow would ignore the query part {part!r} ({problem}) and match more "
                               "records than asked; fix the query")
    return query


def _part_problem(part: str, known: set[str], table: str) -> str:
    """Why ServiceNow would ignore one part, or ``""``."""
    if part == "":
        return "empty part"
    for order in ("ORDERBYDESC", "ORDERBY"):
        if part.startswith(order):
            column = part[len(order):]
            return "" if column in known else f"{table} has no column {column!r}"
    field = _FIELD.match(part)
    if not field:
        return "no column name"
    column, rest = field.group(0), part[field.end():]
    if column.split(".")[0] not in known:
        return f"{table} has no column {column.split('.')[0]!r}"
    operator = next((op for op in OPERATORS if rest.startswith(op)), None)
    if operator is None:
        return f"unknown operator {rest[:12]!r}" if rest else "no operator"
    value = rest[len(operator):]
    if operator in NO_VALUE and value:
        return f"{operator} takes no value"
    if operator not in NO_VALUE and operator not in ("=", "!=") and value == "":
        return f"{operator} needs a value"
    return ""
