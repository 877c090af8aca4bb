"""Atlassian Document Format (ADF) and plain text, both ways.

Jira Cloud's REST v3 takes and returns descriptions, comments and multi-line text fields as ADF
documents. ci-plugin writes and reads plain text, so:

* :func:`to_adf` makes one ``paragraph`` per line (an empty line is an empty paragraph; ADF
  forbids empty ``text`` nodes), with the text in one ``text`` node per line;
* :func:`to_text` reads any document back: the text of its inline nodes (``hardBreak`` is a line
  break; a mention, emoji, date or card gives its text or address), one line per block, list
  items and table cells included, so what an agent typed in Jira reads sensibly too.

For the text ci-plugin writes the round trip is lossless: ``to_text(to_adf(s)) == s`` for every
string ``s`` whose line breaks are ``\\n`` (``\\r\\n`` and ``\\r`` are read as ``\\n``).
"""

from __future__ import annotations

from typing import Any

#: Block nodes whose children are blocks: each child is one or more lines of its own.
_CONTAINERS = {"doc", "bulletList", "orderedList", "listItem", "blockquote", "panel", "table", "tableRow",
               "tableHeader", "tableCell", "expand", "nestedExpand", "layoutSection", "layoutColumn",
               "taskList", "decisionList", "extensionFrame", "multiBodiedExtension", "bodiedExtension"}


def to_adf(text: str) -> dict[str, Any]:
    """The ADF document of plain ``text``: one paragraph per line."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines == [""]:
        return {"type": "doc", "version": 1, "content": []}
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
                        for line in lines]}


def _inline(node: Any) -> str:
    """The text of one inline node."""
    if not isinstance(node, dict):
        return ""
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status"):
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url") or "")
    if kind == "date":
        return str(attrs.get("timestamp") or "")
    return "".join(_inline(child) for child in node.get("content") or [])


def _lines(node: Any) -> list[str]:
    """The lines of one block node (a container gives the lines of its children)."""
    if not isinstance(node, dict):
        return []
    if node.get("type") in _CONTAINERS:
        return [line for child in node.get("content") or [] for line in _lines(child)]
    if node.get("type") == "rule":
        return ["---"]
    return ["".join(_inline(child) for child in node.get("content") or [])]


def to_text(document: Any) -> str:
    """Plain text of an ADF document (a string, as Jira's v2 API gives, is returned as it is;
    ``None`` is ``""``)."""
    if document is None:
        return ""
    if isinstance(document, str):
        return document.replace("\r\n", "\n")
    return "\n".join(_lines(document))
