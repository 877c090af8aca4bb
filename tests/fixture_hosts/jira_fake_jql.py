"""The subset of JQL the fake Jira answers, with Jira's own refusals.

Clauses joined by ``AND``, parenthesised groups of them (``OR`` is refused as unsupported by the fake, loudly:
a test that needs them must extend this module), then ``ORDER BY``. A clause is ``field op
value``: ``=``, ``!=``, ``~`` (Jira's text search: every word of the value is a word of the
field, a trailing ``*`` matches a word's beginning: *not* a substring search), ``!~``, ``>``,
``>=``, ``<``, ``<=``, ``IN (...)``, ``NOT IN (...)``, ``IS EMPTY``, ``IS NOT EMPTY``. Fields:
``project``, ``issuetype``/``type``, ``status``, ``summary``, ``text``, ``key``/``id``/``issue``,
``created``, ``resolved``/``resolutiondate``, ``updated``, ``reporter``, ``assignee``,
``cf[NNNNN]`` and a custom field's name in quotes. A query Jira would refuse is a
:class:`JqlError` carrying Jira's words (the fake answers 400 with them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|!~|=|~|>|<|\(|\)|,)'
                    r'|(?P<word>[^\s=!~<>(),"\']+))')


class JqlError(ValueError):
    """A query Jira refuses; ``str()`` is Jira's message."""


def tokens(query: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens of a query; strings unquoted."""
    found, pos = [], 0
    while pos < len(query):
        if not query[pos:].strip():
            break
        match = _TOKEN.match(query, pos)
        if not match or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: The character '{query[pos:].strip()[0]}' is a reserved JQL "
                           f"character. You must enclose it in a string or use the escape '\\u0022' instead. "
                           f"(line 1, character {pos + 1})")
        pos = match.end()
        if match.group("str"):
            found.append(("str", re.sub(r"\\(.)", r"\1", match.group("str")[1:-1])))
        elif match.group("op"):
            found.append(("op", match.group("op")))
        else:
            found.append(("word", match.group("word")))
    return found


def words(text: Any) -> list[str]:
    """Jira's text-search words of a value (lowercase, split on anything not a letter or digit)."""
    return [w for w in re.split(r"[^0-9a-z]+", str(text or "").lower()) if w]


def text_match(value: Any, query: str) -> bool:
    """Jira's ``~``: every word of ``query`` is a word of ``value`` (``abc*``: a word beginning so)."""
    have = words(value)
    wanted = re.split(r"[^0-9a-z*]+", query.lower())
    for word in (w for w in wanted if w.strip("*")):
        if word.endswith("*"):
            if not any(h.startswith(word.rstrip("*")) for h in have):
                return False
        elif word not in have:
            return False
    return True


def parse_time(text: str) -> datetime:
    """A JQL date (``2026-01-31``, ``2026-01-31 10:15``, ``2026/01/31``), in the user's zone (UTC here)."""
    for pattern in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise JqlError(f"Date value '{text}' for field 'created' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
                   "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")


class Query:
    """A parsed query: ``matches(issue)`` and ``order`` (``[(field, descending)]``)."""

    def __init__(self, text: str, resolve: Callable[[str], Callable[[dict[str, Any]], Any] | None]):
        self.clauses: list[Callable[[dict[str, Any]], bool]] = []
        self.order: list[tuple[str, bool]] = []
        self._resolve = resolve
        self._parse(tokens(text))

    def matches(self, issue: dict[str, Any]) -> bool:
        """Whether the issue satisfies every clause."""
        return all(clause(issue) for clause in self.clauses)

    def _field(self, name: str) -> Callable[[dict[str, Any]], Any]:
        getter = self._resolve(name)
        if getter is None:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        return getter

    def _parse(self, toks: list[tuple[str, str]]) -> None:
        i = 0
        while i < len(toks):
            kind, text = toks[i]
            if kind == "word" and text.lower() == "order":
                self._order(toks[i + 1:])
                return
            if kind == "op" and text == "(":
                depth, j = 1, i + 1
                while j < len(toks) and depth:
                    depth += {"(": 1, ")": -1}.get(toks[j][1], 0) if toks[j][0] == "op" else 0
                    j += 1
                if depth:
                    raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
                inner = Query.__new__(Query)
                inner.clauses, inner.order, inner._resolve = [], [], self._resolve
                inner._parse(toks[i + 1:j - 1])
                if inner.order or not inner.clauses:
                    raise JqlError("Error in the JQL Query: Expecting a field name but got ')'.")
                self.clauses.append(inner.matches)
                i = j
                if i < len(toks):
                    nxt = toks[i][1].lower()
                    if nxt == "and":
                        i += 1
                    elif nxt != "order":
                        raise JqlError(f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{toks[i][1]}'.")
                continue
            if kind not in ("word", "str"):
                raise JqlError(f"Error in the JQL Query: Expecting a field name but got '{text}'.")
            get = self._field(text)
            i, clause = self._clause(get, text, toks, i + 1)
            self.clauses.append(clause)
            if i < len(toks):
                nxt = toks[i][1].lower()
                if nxt == "and":
                    i += 1
                    if i >= len(toks):
                        raise JqlError("Error in the JQL Query: Expecting a field name but reached the end of the query.")
                elif nxt == "or":
                    raise JqlError("the fake Jira does not parse OR: extend tests/fixture_hosts/jira_fake_jql.py")
                elif nxt != "order":
                    raise JqlError(f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{toks[i][1]}'.")

    def _clause(self, get, name: str, toks, i):
        if i >= len(toks):
            raise JqlError("Error in the JQL Query: Expecting operator but reached the end of the query.")
        op = toks[i][1].upper()
        if op == "NOT" and i + 1 < len(toks) and toks[i + 1][1].upper() == "IN":
            values, i = self._list(toks, i + 2)
            return i, lambda issue: _norm(get(issue)) not in {v.lower() for v in values}
        if op == "IN":
            values, i = self._list(toks, i + 1)
            return i, lambda issue: _norm(get(issue)) in {v.lower() for v in values}
        if op == "IS":
            negate = i + 1 < len(toks) and toks[i + 1][1].upper() == "NOT"
            i += 2 if negate else 1
            if i >= len(toks) or toks[i][1].upper() not in ("EMPTY", "NULL"):
                raise JqlError("Error in the JQL Query: Expecting 'EMPTY' or 'NULL'.")
            return i + 1, (lambda issue: _norm(get(issue)) != "") if negate else (lambda issue: _norm(get(issue)) == "")
        if i + 1 >= len(toks) or toks[i + 1][0] not in ("word", "str"):
            raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got "
                           f"'{toks[i + 1][1] if i + 1 < len(toks) else 'the end'}'.")
        value = toks[i + 1][1]
        if op == "=":
            return i + 2, lambda issue: _norm(get(issue)) == value.lower()
        if op == "!=":
            return i + 2, lambda issue: _norm(get(issue)) != value.lower()
        if op == "~":
            return i + 2, lambda issue: text_match(get(issue), value)
        if op == "!~":
            return i + 2, lambda issue: not text_match(get(issue), value)
        if op in (">", ">=", "<", "<="):
            when = parse_time(value)
            compare = {">": lambda a: a > when, ">=": lambda a: a >= when, "<": lambda a: a < when,
                       "<=": lambda a: a <= when}[op]
            return i + 2, lambda issue: (lambda t: t is not None and compare(t))(get(issue))
        raise JqlError(f"Error in the JQL Query: The operator '{op}' is not supported by the '{name}' field.")

    @staticmethod
    def _list(toks, i):
        if i >= len(toks) or toks[i][1] != "(":
            raise JqlError("Error in the JQL Query: Expecting '(' after 'in'.")
        values, i = [], i + 1
        while i < len(toks) and toks[i][1] != ")":
            if toks[i][1] != ",":
                values.append(toks[i][1])
            i += 1
        if i >= len(toks):
            raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
        return values, i + 1

    def _order(self, toks) -> None:
        if not toks or toks[0][1].lower() != "by":
            raise JqlError("Error in the JQL Query: Expecting 'by' after 'order'.")
        i = 1
        while i < len(toks):
            name = toks[i][1]
            self._field(name)
            descending = i + 1 < len(toks) and toks[i + 1][1].upper() == "DESC"
            if i + 1 < len(toks) and toks[i + 1][1].upper() in ("ASC", "DESC"):
                i += 1
            self.order.append((name, descending))
            i += 1
            if i < len(toks) and toks[i][1] == ",":
                i += 1


def _norm(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).lower()
