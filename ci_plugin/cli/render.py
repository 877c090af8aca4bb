"""Text output for people: the register as a table or CSV, one improvement in detail.

JSON output is not made here: commands print ``Improvement.to_record()`` documents as they are.
The ``rank`` column is the position (1 = do first) computed from the stored order keys
(:func:`ci_plugin.domain.order_keys.positions`), never the stored key itself.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ci_plugin.domain import business_case, kpi, kpi_metrics
from ci_plugin.domain.model import Improvement
from ci_plugin.domain.order_keys import positions as key_positions

CSV_COLUMNS = ("id", "rank", "score", "state", "category", "source", "model", "size", "target_date",
               "verdict", "title", "url")
TABLE_COLUMNS = (("id", "ID"), ("rank", "RANK"), ("score", "SCORE"), ("state", "STATE"),
                 ("category", "CATEGORY"), ("title", "TITLE"))


def _cell(improvement: Improvement, column: str, positions: dict[str, int] | None = None) -> str:
    if column == "rank":
        value: Any = (positions or {}).get(improvement.id)
    elif column in ("id", "title", "state", "url"):
        value = getattr(improvement, column)
    else:
        value = improvement.get(column)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def positions_of(improvements: Iterable[Improvement]) -> dict[str, int]:
    """Position (1 = do first) of each ranked improvement among ``improvements``, by order key."""
    return key_positions({i.id: i.get("rank") for i in improvements})


def table(improvements: Iterable[Improvement], *, max_title: int = 60, positions: dict[str, int] | None = None,
          extra: tuple[str, ...] = ()) -> str:
    """A fixed-width table of the register, one improvement per line; ``positions`` (default:
    computed from the order keys of ``improvements``) fill the RANK column; ``extra`` columns
    (``progress``) go before the title."""
    improvements = improvements if isinstance(improvements, Sequence) else list(improvements)  # passed over 3 times
    positions = positions_of(improvements) if positions is None else positions
    columns = TABLE_COLUMNS[:-1] + tuple((key, key.upper()) for key in extra) + TABLE_COLUMNS[-1:]

    def cells(improvement: Improvement) -> list[str]:
        row = [_cell(improvement, key, positions) for key, _ in columns]
        if len(row[-1]) > max_title:
            row[-1] = row[-1][: max_title - 1] + "…"
        return row

    header = [title for _, title in columns]
    widths = [len(title) for title in header]
    for improvement in improvements:  # two passes instead of holding every row: 100,000 fit
        widths = [max(w, len(c)) for w, c in zip(widths, cells(improvement))]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in (header, *(cells(i) for i in improvements)))
    return "\n".join(lines)


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Columns that hold numbers ci-plugin computed itself; a plain number there stays a number.
NUMERIC_COLUMNS = ("rank", "score", "progress")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?", re.ASCII)


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet shows as the text it is: a cell that begins with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading single quote (``'=HYPERLINK(...)``,
    ``'-3+4``), as OWASP advises against CSV injection; any other cell is unchanged. Every CSV
    ci-plugin writes passes its cells through here."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def csv_row(cells: Iterable[str], columns: Iterable[str] = ()) -> list[str]:
    """One CSV row with every cell neutralised, except plain numbers in :data:`NUMERIC_COLUMNS`
    (a negative score stays a number)."""
    names = list(columns)
    row = []
    for index, cell in enumerate(cells):
        column = names[index] if index < len(names) else ""
        numeric = column in NUMERIC_COLUMNS and _PLAIN_NUMBER.fullmatch(cell)
        row.append(cell if numeric else neutralise(cell))
    return row


def csv_text(improvements: Iterable[Improvement], positions: dict[str, int] | None = None,
             extra: tuple[str, ...] = ()) -> str:
    """The register as CSV (RFC 4180: CRLF line ends, so that a cell holding a carriage return
    is quoted too) with a header line (``rank``: the position, as in :func:`table`); every line
    ends with CRLF. Cells are neutralised (:func:`csv_row`). ``extra`` columns (``progress``) follow."""
    improvements = improvements if isinstance(improvements, Sequence) else list(improvements)  # passed over 3 times
    positions = positions_of(improvements) if positions is None else positions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = CSV_COLUMNS + extra
    writer.writerow(columns)
    for improvement in improvements:
        writer.writerow(csv_row([_cell(improvement, c, positions) for c in columns], columns))
    return out.getvalue()


#: Width of the label column of :func:`detail`: the longest label ("source tickets") and two spaces.
LABEL_WIDTH = 16


def _ids(ids: list[str]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def detail(improvement: Improvement, position: int | None = None) -> str:
    """One improvement for a person: identity, position in the ranking, assessment with its
    breakdown, KPIs, links."""
    get = improvement.get
    lines = [f"#{improvement.id}  {improvement.title}  [{improvement.state}]"]

    def row(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            lines.append(f"  {label:<{LABEL_WIDTH}}{value}")

    row("url", improvement.url)
    row("category", get("category"))
    source = get("source") or ""
    if get("source_tickets"):
        source = f"{source} ({_ids(get('source_tickets'))})".strip()
    row("source", source)
    row("owner", improvement.owner)
    row("submitter", improvement.submitter)
    row("created", improvement.created)
    row("size", get("size"))
    row("target date", get("target_date"))
    row("review date", get("review_date"))
    if get("score") is not None:
        row("score", f"{get('score'):g}" + (f" ({get('model')})" if get("model") else ""))
    row("rank", position)
    assessment = get("assessment") or {}
    if assessment:
        row("assessed", f"{assessment.get('assessed_by', '?')} at {assessment.get('assessed_at', '?')}"
            + (f", {assessment['label']}" if assessment.get("label") else ""))
        for part in assessment.get("breakdown", []):
            weight = f" x {part['weight']:g}" if isinstance(part.get("weight"), (int, float)) else ""
            note = f"  ({part['note']})" if part.get("note") else ""
            lines.append(f"    {str(part['input']) + ' ':<18}{part.get('value', '')!s:>8}{weight:<8} -> {part['contribution']:g}{note}")
    case = get("business_case") or {}
    if case:
        row("business case", business_case.summary(case))
    for measurement in get("measurements") or []:
        row("kpi", kpi.describe(measurement))
        if measurement.get("query"):
            row("kpi source", kpi_metrics.provenance_line(measurement))
    row("verdict", get("verdict"))
    row("outcome", get("outcome"))
    row("lessons", get("lessons"))
    row("progress", None if improvement.progress is None else f"{improvement.progress}% of the delivery items done")
    for kind, label in (("sources", "source tickets"), ("problems", "problems"), ("projects", "projects"),
                        ("changes", "changes"), ("follow_ups", "follow-ups"), ("depends_on", "depends on"), ("related", "related")):
        row(label, _ids(improvement.links.get(kind, [])))
    return "\n".join(lines)
