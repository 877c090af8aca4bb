"""report against the in-memory host: the document (ranked register, matrix points in their
quadrants, KPI progress, pipeline), the HTML page (self-contained, escaped), the CLI (atomic
write, bad --html target refused in one line with nothing written)."""

import json
import re

import pytest

from ci_plugin.cli import cmd_report, main
from ci_plugin.domain import matrix
from ci_plugin.ops.assess import assess
from ci_plugin.ops.convert import convert
from ci_plugin.ops.measure import measure
from ci_plugin.ops.report import report
from ci_plugin.cli.report_html import render
from tests.unit.memory_desk import desk  # noqa: F401 (fixture)


def improvement(desk, title, value=None, effort=None):
    imp = convert(desk.register, [desk.ticket(title)], category="process").improvement.id
    if value is not None:
        assess(desk.register, imp, "quadrant", {"value": value, "effort": effort})
    return imp


@pytest.fixture
def filled(desk):
    ids = {"quick": improvement(desk, "quick <b>win</b>", 9, 2), "major": improvement(desk, "major", 8, 9),
           "fill": improvement(desk, "fill", 2, 2), "thankless": improvement(desk, "thankless", 2, 9),
           "none": improvement(desk, "unassessed")}
    measure(desk.register, ids["quick"], "MTTR", baseline=8, target=4, actual=5, unit="h")
    return desk, ids


def test_document_ranks_points_and_kpis(filled):
    desk, ids = filled
    doc = report(desk.register)
    assert [row["id"] for row in doc["register"]][0] == ids["quick"]  # best value/effort first
    assert len(doc["register"]) == 5 and doc["register"][-1]["score"] is None
    quadrants = {p["id"]: p["quadrant"] for p in doc["matrix"]["points"]}
    assert quadrants == {ids["quick"]: "quick win", ids["major"]: "major project", ids["fill"]: "fill-in",
                         ids["thankless"]: "thankless task"}
    (entry,) = doc["kpis"]
    assert entry["id"] == ids["quick"] and entry["kpis"][0]["verdict"] == "partly"
    assert entry["kpis"][0]["progress"] == pytest.approx(0.75)
    assert doc["pipeline"]["new"] == 5 and sum(doc["pipeline"].values()) == 5
    assert doc["engagement"]["improvements"] == 5


@pytest.mark.parametrize("model,inputs,expected", [
    ("weighted", {"value": 9, "urgency": 9, "risk_reduction": 9, "effort": 2}, (9.0, 2.0)),
    ("wsjf", {"business_value": 20, "time_criticality": 20, "risk_reduction": 20, "job_size": 20}, (10.0, 10.0)),
    ("rice", {"reach": 100, "impact": 3, "confidence": 100, "effort": 1}, (10.0, 1.0)),
    ("ice", {"impact": 10, "confidence": 5, "ease": 10}, (5.0, 1.0)),
    ("quadrant", {"value": 3, "effort": 7}, (3.0, 7.0)),
    ("unknown", {"value": 3}, None), ("quadrant", {"value": 3}, None),
])
def test_every_builtin_model_maps_onto_value_and_effort(model, inputs, expected):
    assert matrix.value_effort(model, inputs) == expected


def test_page_is_self_contained_and_escapes_host_strings(filled):
    desk, ids = filled
    page = render(report(desk.register))
    assert "quick &lt;b&gt;win&lt;/b&gt;" in page and "<b>win</b>" not in page
    assert "Content-Security-Policy" in page
    assert not re.search(r'(src|href)="(?!https?://[^"]*/)[^"#]', page.replace('href="#', ""))
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=', page)
    assert page.count('class="point"') == 4
    assert page.count("<tr data-state=") == 5


def test_cli_writes_the_page_atomically_and_prints_json(filled, tmp_path, monkeypatch, capsys):
    desk, ids = filled
    monkeypatch.setattr(cmd_report, "open_registers", lambda *a, **k: [desk.register])
    target = tmp_path / "r.html"
    assert main(["report", "--html", str(target), "--json"]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(capsys.readouterr().out)["matrix"]["threshold"] == matrix.THRESHOLD
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left


@pytest.mark.parametrize("argv", [["report", "--html", "/no/such/dir/r.html"], ["report"]])
def test_bad_target_is_refused_in_one_line_and_nothing_written(argv, tmp_path, monkeypatch, capsys):
    opened = []
    monkeypatch.setattr(cmd_report, "open_registers", lambda *a, **k: opened.append(1))
    assert main(["--config", str(tmp_path / "missing.toml")] + argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    assert not opened and list(tmp_path.iterdir()) == []


def test_a_directory_as_target_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cmd_report, "open_registers", lambda *a, **k: None)
    assert main(["report", "--html", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_capacity_bars_show_committed_and_mark_over_commitment():
    from ci_plugin.cli.report_html import capacity_svg
    svg = capacity_svg({"periods": [
        {"period": "2027-Q1", "effort_days": {"committed": 70, "capacity": 60, "free": -10},
         "money": {}, "over_committed": True, "improvements": ["1"]},
        {"period": "2027-Q2", "effort_days": {"committed": 15, "capacity": 40, "free": 25},
         "money": {}, "over_committed": False, "improvements": ["2"]}]})
    assert 'data-period="2027-Q1" data-committed="70" data-capacity="60" data-over="true"' in svg
    assert "70 / 60 days over" in svg and "15 / 40 days<" in svg and svg.count("#c62828") == 1


def test_document_carries_the_capacity_document(filled):
    desk, ids = filled
    doc = report(desk.register)
    assert set(doc["capacity"]) >= {"period_kind", "periods", "unscheduled"}


def test_the_register_is_read_once_for_every_part(filled, monkeypatch):
    desk, ids = filled
    host = desk.register.host
    calls = []
    original = host.list_improvements

    def counted(statuses=None):
        calls.append(statuses)
        return original(statuses)

    monkeypatch.setattr(host, "list_improvements", counted)
    doc = report(desk.register)
    assert calls == [None]  # one paged read of every improvement, no state filter
    assert len(doc["register"]) == 5 and sum(doc["pipeline"].values()) == 5
    assert doc["engagement"]["improvements"] == 5  # stats saw the same read
