"""out_json_streamed prints the same bytes as out_json while writing a list item by item
(prioritize --json over 100,000 improvements never builds the document as one string)."""

import io
import sys

import pytest

from ci_plugin.cli.output import out_json, out_json_streamed


def printed(monkeypatch, call):
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    call()
    return buffer.getvalue()


@pytest.mark.parametrize("items", [
    [],
    [{"id": "1", "title": "Printing \"works\"\nafter 5pm", "score": 1.5, "changed": True}],
    [{"rank": n, "nested": {"b": [1, {"c": None}], "a": "é"}} for n in range(5)],
    ["plain", 3, None],
])
def test_streamed_document_is_byte_identical_to_the_whole_one(monkeypatch, items):
    head = {"writes": 2, "dry_run": False, "warnings": ["#5: a warning"], "zz_after": {"k": 1}}
    whole = printed(monkeypatch, lambda: out_json({**head, "ranking": items}))
    streamed = printed(monkeypatch, lambda: out_json_streamed(head, "ranking", iter(items)))
    assert streamed == whole


def test_each_item_is_written_before_the_next_is_made(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    written_before = []

    def items():
        for n in range(3):
            written_before.append(buffer.getvalue().count('"n":'))
            yield {"n": n}

    out_json_streamed({"a": 1}, "list", items())
    assert written_before == [0, 1, 2] and buffer.getvalue().count('"n":') == 3
