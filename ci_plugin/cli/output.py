"""Where the CLI writes: data to stdout (one JSON document with ``--json``), messages to stderr."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ci_plugin.domain.model import Improvement
from ci_plugin.errors import one_line


def out(text: str) -> None:
    """Print a line to stdout."""
    sys.stdout.write(text + "\n")


def out_text(text: str) -> None:
    """Write ``text`` to stdout as it is (it carries its own line ends, e.g. CSV's CRLF)."""
    sys.stdout.write(text)


def out_json(document: Any) -> None:
    """Print one JSON document to stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


_STREAMED = "\u0000ci-plugin-streamed\u0000"


def out_json_streamed(document: dict[str, Any], key: str, items: Iterable[Any]) -> None:
    """Print ``document`` with ``document[key]`` = the list of ``items``, exactly as
    :func:`out_json` would, but writing the list item by item: 100,000 ranked entries are
    never held as one string or one list of dicts."""
    text = json.dumps({**document, key: [_STREAMED]}, indent=2, sort_keys=True, default=str)
    marker = json.dumps(_STREAMED)
    head, tail = text.split(marker)
    indent = head[head.rindex("\n") + 1:]  # the list's items are indented like the marker
    opening, closing = head[:head.rindex("\n")], tail[tail.index("\n"):]  # "...: [" and "\n  ]..."
    write = sys.stdout.write
    first = True
    for item in items:
        write(opening + "\n" + indent if first else ",\n" + indent)
        write(json.dumps(item, indent=2, sort_keys=True, default=str).replace("\n", "\n" + indent))
        first = False
    if first:  # no items: the empty list, as json.dumps writes it
        write(opening + "]" + closing[closing.index("]") + 1:] + "\n")
    else:
        write(closing + "\n")


def err(text: str) -> None:
    """Print a line to stderr."""
    sys.stderr.write(text + "\n")


def warn(text: str) -> None:
    """Print a warning line to stderr: one line, redacted, cut like an error line (a host
    message of megabytes is not echoed whole)."""
    err(one_line(f"ci-plugin: warning: {text}"))


def report_malformed(improvements: Iterable[Improvement]) -> None:
    """Warn once per field of these improvements whose host value could not be read (an agent
    typed ``[1,2,3]`` into ``CI Assessment``): the field was left out, the command went on."""
    for improvement in improvements:
        for key, reason in sorted(improvement.malformed.items()):
            warn(f"improvement {improvement.id}: field {key} ignored: {reason}")


def document_or_text(args: argparse.Namespace, document: Any, text: Callable[[Any], str]) -> None:
    """With ``--json`` the document as JSON, else ``text(document)``: how the commands that
    compute one document (``stats``, ``capacity``, ``evidence``, ``propose``) print it."""
    if args.json:
        out_json(document)
    else:
        out(text(document))


def improvement_or_id(args: argparse.Namespace, improvement: Improvement, extra: dict[str, Any] | None = None) -> None:
    """With ``--json`` the improvement's record (plus ``extra``), else just its id."""
    if args.json:
        out_json({**improvement.to_record(), **(extra or {})})
    else:
        out(improvement.id)
