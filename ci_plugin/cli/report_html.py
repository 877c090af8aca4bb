"""The report as one self-contained HTML page: inline CSS, inline script, SVG drawn here.

No outside resource is referenced (a strict Content-Security-Policy forbids any); the only outside
URLs are the links to the host's tickets. Every host-supplied string is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px auto;max-width:1240px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:24px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:left}
th{cursor:pointer;background:#f4f4f4}.num{text-align:right}.filters select{margin-right:12px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.overdue{background:#fde8e8;padding:6px}
.met{color:#1a7f37}.partly{color:#b58100}.missed{color:#c62828}
@media print{@page{size:A4;margin:12mm}body{max-width:none;font-size:10px}.filters{display:none}
 .grid{display:block}svg{max-width:100%}tr{break-inside:avoid}}
"""

SCRIPT = """
(function(){
var t=document.getElementById('register'),b=t.tBodies[0];
function apply(){var f={};document.querySelectorAll('.filters select').forEach(function(s){f[s.name]=s.value});
 Array.prototype.forEach.call(b.rows,function(r){var ok=true;for(var k in f){if(f[k]&&r.dataset[k]!==f[k])ok=false}
 r.style.display=ok?'':'none'})}
document.querySelectorAll('.filters select').forEach(function(s){s.addEventListener('change',apply)});
t.tHead.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
 var dir=th.dataset.dir==='asc'?'desc':'asc';th.dataset.dir=dir;var num=th.classList.contains('num');
 var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=x.cells[i].dataset.v,c=y.cells[i].dataset.v;
 var r=num?(parseFloat(a)||0)-(parseFloat(c)||0):a.localeCompare(c);return dir==='asc'?r:-r});
 rows.forEach(function(r){b.appendChild(r)})})});
})();
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _link(url: str, text: str) -> str:
    return f'<a href="{_e(url)}">{_e(text)}</a>' if url and url.startswith(("http://", "https://")) else _e(text)


def _select(name: str, values: set[str]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in sorted(values))
    return f'<label>{name} <select name="{name}"><option value="">all</option>{options}</select></label>'


def register_table(rows: list[dict[str, Any]]) -> str:
    """The ranked register, sortable by any column and filtered by state, category and owner."""
    filters = "".join(_select(key, {row[key] for row in rows}) for key in ("state", "category", "owner"))
    body = []
    for row in rows:
        score = "" if row["score"] is None else f"{row['score']:g}"
        body.append(
            f'<tr data-state="{_e(row["state"])}" data-category="{_e(row["category"])}" data-owner="{_e(row["owner"])}">'
            f'<td class="num" data-v="{row["rank"]}">{row["rank"]}</td>'
            f'<td data-v="{_e(row["id"])}">{_link(row["url"], "#" + row["id"])}</td>'
            f'<td data-v="{_e(row["title"])}">{_e(row["title"])}</td><td data-v="{_e(row["state"])}">{_e(row["state"])}</td>'
            f'<td data-v="{_e(row["category"])}">{_e(row["category"])}</td><td data-v="{_e(row["owner"])}">{_e(row["owner"])}</td>'
            f'<td class="num" data-v="{score}">{score}</td></tr>')
    head = ('<tr><th class="num">rank</th><th>id</th><th>title</th><th>state</th><th>category</th><th>owner</th>'
            '<th class="num">score</th></tr>')
    return (f'<div class="filters">{filters}</div><table id="register"><thead>{head}</thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def matrix_svg(matrix: dict[str, Any], size: int = 420) -> str:
    """The value/effort matrix: four labelled quadrants, one point per assessed open improvement."""
    pad, span, inset = 40, size - 60, 10  # points on 0 or 10 stay inside the frame

    def x(effort: float) -> float:
        return round(pad + inset + (span - 2 * inset) * effort / 10, 1)

    def y(value: float) -> float:
        return round(pad - 20 + inset + (span - 2 * inset) * (1 - value / 10), 1)

    top, bottom = pad - 20, pad - 20 + span
    cut, mid = x(matrix["threshold"]), y(matrix["threshold"])
    parts = [f'<svg id="matrix" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
             f'viewBox="0 0 {size} {size}" role="img" aria-label="value effort matrix">',
             f'<rect x="{pad}" y="{top}" width="{span}" height="{bottom - top}" fill="#fafafa" stroke="#999"/>',
             f'<line x1="{cut}" y1="{top}" x2="{cut}" y2="{bottom}" stroke="#999" stroke-dasharray="4"/>',
             f'<line x1="{pad}" y1="{mid}" x2="{pad + span}" y2="{mid}" stroke="#999" stroke-dasharray="4"/>']
    for label, lx, ly in (("quick wins", pad + 4, top + 14), ("major projects", cut + 4, top + 14),
                          ("fill-ins", pad + 4, bottom - 6), ("thankless tasks", cut + 4, bottom - 6)):
        parts.append(f'<text x="{lx}" y="{ly}" font-size="12" fill="#777">{label}</text>')
    parts.append(f'<text x="{pad + span / 2}" y="{bottom + 30}" font-size="12" text-anchor="middle">effort</text>'
                 f'<text x="12" y="{(top + bottom) / 2}" font-size="12" transform="rotate(-90 12 {(top + bottom) / 2})"'
                 f' text-anchor="middle">value</text>')
    colours = {"quick win": "#1a7f37", "major project": "#1f5fbf", "fill-in": "#888", "thankless task": "#c62828"}
    for p in matrix["points"]:
        px, py = x(p["effort"]), y(p["value"])
        parts.append(f'<g class="point" data-id="{_e(p["id"])}" data-quadrant="{_e(p["quadrant"])}">'
                     f'<title>#{_e(p["id"])} {_e(p["title"])}</title>'
                     f'<circle cx="{px}" cy="{py}" r="5" fill="{colours[p["quadrant"]]}"/>'
                     f'<text x="{px + 7}" y="{py + 4}" font-size="10">{_e(p["id"])}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def pipeline_svg(pipeline: dict[str, int]) -> str:
    """How many improvements sit in each state, as horizontal bars."""
    most = max(pipeline.values(), default=0) or 1
    rows = len(pipeline)
    parts = [f'<svg id="pipeline" xmlns="http://www.w3.org/2000/svg" width="420" height="{rows * 22 + 10}">']
    for i, (state, count) in enumerate(pipeline.items()):
        width = round(260 * count / most, 1)
        parts.append(f'<text x="0" y="{i * 22 + 15}" font-size="12">{_e(state)}</text>'
                     f'<rect x="100" y="{i * 22 + 4}" width="{width}" height="14" fill="#1f5fbf"/>'
                     f'<text x="{106 + width}" y="{i * 22 + 15}" font-size="12">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def capacity_svg(document: dict[str, Any]) -> str:
    """Committed effort (person-days) against capacity per period; an over-committed period in red."""
    periods = document.get("periods", [])
    if not periods:
        return '<p id="capacity">No period with committed improvements or a budget.</p>'
    most = max(max(p["effort_days"]["committed"], p["effort_days"]["capacity"]) for p in periods) or 1
    parts = [f'<svg id="capacity" xmlns="http://www.w3.org/2000/svg" width="620" height="{len(periods) * 26 + 10}">']
    for i, p in enumerate(periods):
        committed, cap = p["effort_days"]["committed"], p["effort_days"]["capacity"]
        colour = "#c62828" if p["over_committed"] else "#1a7f37"
        y = i * 26
        parts.append(f'<g class="period" data-period="{_e(p["period"])}" data-committed="{committed:g}" '
                     f'data-capacity="{cap:g}" data-over="{str(p["over_committed"]).lower()}">'
                     f'<text x="0" y="{y + 16}" font-size="12">{_e(p["period"])}</text>'
                     f'<rect x="80" y="{y + 4}" width="{round(380 * committed / most, 1)}" height="16" fill="{colour}"/>'
                     f'<line x1="{round(80 + 380 * cap / most, 1)}" y1="{y + 1}" x2="{round(80 + 380 * cap / most, 1)}" '
                     f'y2="{y + 23}" stroke="#222" stroke-width="2"/>'
                     f'<text x="470" y="{y + 16}" font-size="12">{committed:g} / {cap:g} days'
                     f'{" over" if p["over_committed"] else ""}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def kpi_table(kpis: list[dict[str, Any]]) -> str:
    """KPI progress per improvement: baseline -> target -> actual on one bar, verdict coloured."""
    if not kpis:
        return "<p>No KPI measured yet.</p>"
    rows = []
    for entry in kpis:
        for m in entry["kpis"]:
            share = m["progress"]
            width = 0 if share is None else round(max(0.0, min(1.2, share)) / 1.2 * 200, 1)
            verdict = m["verdict"] or "not measured"
            bar = (f'<svg width="210" height="14"><rect x="0" y="3" width="200" height="8" fill="#eee"/>'
                   f'<rect x="0" y="3" width="{width}" height="8" class="{_e(verdict)}" fill="currentColor"/>'
                   f'<line x1="{round(200 / 1.2, 1)}" y1="0" x2="{round(200 / 1.2, 1)}" y2="14" stroke="#333"/></svg>')
            rows.append(f'<tr><td>{_link(entry["url"], "#" + entry["id"])}</td><td>{_e(m["kpi"])}</td>'
                        f'<td class="num">{_e(m["baseline"])}</td><td class="num">{_e(m["target"])}</td>'
                        f'<td class="num">{_e(m["actual"])}</td><td>{bar}</td>'
                        f'<td class="{_e(verdict)}">{_e(verdict)}</td></tr>')
    return ('<table id="kpis"><tr><th>id</th><th>KPI</th><th>baseline</th><th>target</th><th>actual</th>'
            f'<th>progress</th><th>verdict</th></tr>{"".join(rows)}</table>')


def engagement_block(figures: dict[str, Any]) -> str:
    """The engagement figures of ``stats`` as short lists."""
    def counts(title: str, table: dict[str, int]) -> str:
        items = "".join(f"<li>{_e(k)}: {v}</li>" for k, v in table.items()) or "<li>none</li>"
        return f"<h3>{title}</h3><ul>{items}</ul>"
    lead = figures["conversion_lead_time"]
    return (f'<p>{figures["raised"]} improvement(s) raised; conversion lead time median '
            f'{_e(lead["median_hours"])} h over {lead["count"]} conversion(s).</p>'
            + counts("raised per month", figures["raised_per_month"])
            + counts("top submitters", {e["name"]: e["count"] for e in figures["top_submitters"]})
            + counts("per source kind", figures["by_source_kind"]))


def overdue_block(overdue: list[dict[str, Any]]) -> str:
    """The overdue reviews and targets, for the top of the page."""
    if not overdue:
        return '<p id="overdue">No review or target date overdue.</p>'
    items = "".join(f'<li>{_link(o.get("url", ""), "#" + o["id"])} {_e(o["title"])}: {_e(o["due_field"])} '
                    f'{_e(o["due_date"])} ({-o["days"]} day(s) overdue)</li>' for o in overdue)
    return f'<div id="overdue" class="overdue"><strong>Overdue</strong><ul>{items}</ul></div>'


def _per_host(document: dict[str, Any], title: str, key: str, block: Any) -> str:
    """A section of the page; of a report of several hosts (``hosts``), one per host."""
    if not document.get("hosts"):
        return f'<h2>{title}</h2>{block(document.get(key))}'
    return "".join(f'<h2>{title}: {_e(name)}</h2>{block(figures.get(key))}'
                   for name, figures in document["hosts"].items())


def render(document: dict[str, Any]) -> str:
    """The whole page of a report document."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>Continual improvement register</title><style>{CSS}</style></head><body>'
        f'<h1>Continual improvement register</h1><p>Generated {_e(document["generated"])}</p>'
        f'{overdue_block(document["overdue"])}'
        f'<div class="grid"><section><h2>Value / effort</h2>{matrix_svg(document["matrix"])}</section>'
        f'<section><h2>Pipeline</h2>{pipeline_svg(document["pipeline"])}</section></div>'
        + _per_host(document, "Capacity (person-days committed / capacity)", "capacity",
                    lambda figures: capacity_svg(figures or {})) +
        f'<h2>Ranked register</h2>{register_table(document["register"])}'
        f'<h2>KPI progress</h2>{kpi_table(document["kpis"])}'
        + _per_host(document, "Engagement", "engagement", engagement_block) +
        f'<script>{SCRIPT}</script></body></html>')
