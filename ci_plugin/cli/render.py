"""Text output for people: the register as a table or CSV, one improvement in detail.

JSON output is not made here: commands print ``Improvement.to_record()`` documents as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from ci_plugin.domain.model import Improvement

CSV_COLUMNS = ("id", "rank", "score", "state", "category", "source", "model", "size", "target_date",
               "verdict", "title", "url")
TABLE_COLUMNS = (("id", "ID"), ("rank", "RANK"), ("score", "SCORE"), ("state", "STATE"),
                 ("category", "CATEGORY"), ("title", "TITLE"))


def _cell(improvement: Improvement, column: str) -> str:
    if column in ("id", "title", "state", "url"):
        value: Any = getattr(improvement, column)
    else:
        value = improvement.get(column)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def table(improvements: Iterable[Improvement], *, max_title: int = 60) -> str:
    """A fixed-width table of the register, one improvement per line."""
    rows = [[_cell(i, key) for key, _ in TABLE_COLUMNS] for i in improvements]
    for row in rows:
        if len(row[-1]) > max_title:
            row[-1] = row[-1][: max_title - 1] + "…"
    header = [title for _, title in TABLE_COLUMNS]
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


def csv_text(improvements: Iterable[Improvement]) -> str:
    """The register as CSV with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for improvement in improvements:
        writer.writerow([_cell(improvement, c) for c in CSV_COLUMNS])
    return out.getvalue().rstrip("\n")


def _ids(ids: list[str]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def detail(improvement: Improvement) -> str:
    """One improvement for a person: identity, assessment with its breakdown, KPIs, links."""
    get = improvement.get
    lines = [f"#{improvement.id}  {improvement.title}  [{improvement.state}]"]

    def row(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            lines.append(f"  {label:<14}{value}")

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
    row("rank", get("rank"))
    assessment = get("assessment") or {}
    if assessment:
        row("assessed", f"{assessment.get('assessed_by', '?')} at {assessment.get('assessed_at', '?')}"
            + (f", {assessment['label']}" if assessment.get("label") else ""))
        for part in assessment.get("breakdown", []):
            weight = f" x {part['weight']:g}" if isinstance(part.get("weight"), (int, float)) else ""
            note = f"  ({part['note']})" if part.get("note") else ""
            lines.append(f"    {part['input']:<18}{part.get('value', '')!s:>8}{weight:<8} -> {part['contribution']:g}{note}")
    case = get("business_case") or {}
    if case:
        row("business case", json.dumps(case, sort_keys=True))
    for measurement in get("measurements") or []:
        actual = measurement.get("actual")
        unit = f" {measurement['unit']}" if measurement.get("unit") else ""
        row(
            "kpi",
            f"{measurement['kpi']}: baseline {measurement['baseline']:g}{unit}, target {measurement['target']:g}{unit}"
            + (f", actual {actual:g}{unit}" if isinstance(actual, (int, float)) else "")
            + (f" -> {measurement['verdict']}" if measurement.get("verdict") else ""),
        )
    row("verdict", get("verdict"))
    row("outcome", get("outcome"))
    row("lessons", get("lessons"))
    for kind, label in (("sources", "source tickets"), ("problems", "problems"), ("projects", "projects"),
                        ("follow_ups", "follow-ups"), ("depends_on", "depends on"), ("related", "related")):
        row(label, _ids(improvement.links.get(kind, [])))
    return "\n".join(lines)
