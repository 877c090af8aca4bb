"""Reading a host's answers safely: JSON within size, depth and number-length limits, and the
bound of a paged read (:class:`Pager`). Used by :class:`ci_plugin.http.HostSession` and by the
adapters' page loops."""

from __future__ import annotations

import json as jsonlib
from typing import Any

from ci_plugin.errors import HostBadAnswer

#: Largest answer body read (bytes); a larger one is a HostBadAnswer.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Deepest nesting of a JSON answer, and the most digits of a number in it.
MAX_JSON_DEPTH = 64
MAX_NUMBER_DIGITS = 64
#: Most pages one paged read follows, whatever the host claims.
MAX_PAGES = 100_000


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of {len(text)} characters")
    return float(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name}, which JSON does not allow")


def _depth(document: Any) -> int:
    """Nesting depth of a parsed JSON document, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def parse_json(body: bytes | str) -> Any:
    """Parse a host's JSON answer within the limits above; ``ValueError`` names what is wrong."""
    if isinstance(body, bytes):
        if len(body) > MAX_BODY_BYTES:
            raise ValueError(f"an answer of {len(body)} bytes")
        try:
            body = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("an answer that is not UTF-8") from None
    stripped = body.strip()
    if not stripped:
        raise ValueError("an empty answer")
    if stripped.startswith("<"):
        raise ValueError("an HTML page, not JSON")
    try:
        document = jsonlib.loads(stripped, parse_int=_bounded_int, parse_float=_bounded_float,
                                 parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except jsonlib.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at character {exc.pos}; truncated?)") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return document


class Pager:
    """The bound of one paged read, which every page loop of an adapter asks before the next page.

    The total the *first* page reports (a count of pages, or of items) fixes how many pages may
    be read; an empty page ends the read; :data:`MAX_PAGES` bounds a host that reports nothing
    usable. A total that is not a number is a :class:`~ci_plugin.errors.HostBadAnswer`."""

    def __init__(self, per_page: int, *, what: str = "search", max_pages: int = MAX_PAGES):
        self.per_page, self.what, self.max_pages = per_page, what, max_pages
        self.limit: int | None = None

    def more(self, page: int, items: Any, *, pages: Any = None, total: Any = None) -> bool:
        """After reading page number ``page`` (1-based) holding ``items``: is there a next one?
        ``pages`` is the reported number of pages, ``total`` the reported number of items."""
        if not isinstance(items, list):
            raise HostBadAnswer(f"{self.what}: page {page} holds no list of items")
        if self.limit is None:
            self.limit = min(self._reported(page, pages, total), self.max_pages)
        return bool(items) and page < self.limit

    def _reported(self, page: int, pages: Any, total: Any) -> int:
        for value, per in ((pages, 1), (total, self.per_page)):
            if value is None or value == "":
                continue
            if isinstance(value, float) and value.is_integer() and value >= 0:
                value = int(value)  # RT 5 reports "pages": 0.0 for an empty collection
            if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isascii() \
                    or not str(value).isdigit():
                raise HostBadAnswer(f"{self.what}: page {page} reports a total that is not a number")
            return -(-int(value) // per)
        return 1 if pages is not None or total is not None else self.max_pages
