"""Score history and assess --from-evidence against the in-memory host: predecessors kept newest
first and bounded, show --history, the inputs evidence fills (RICE reach, a configured mapping),
and the refusals (no mapping, no sources) that write nothing."""

import json

import pytest

from ci_plugin.cli import main
from ci_plugin.errors import UsageError
from ci_plugin.ops import assess as assess_op
from ci_plugin.ops.assess import HISTORY_LIMIT, assess
from ci_plugin.ops.convert import convert
from tests.unit.cli_desk import cli_desk, writes  # noqa: F401 (fixture)
from tests.unit.memory_desk import Desk, desk  # noqa: F401 (fixture)

RICE = {"reach": 100, "impact": 1, "confidence": 80, "effort": 2}


def sourced(desk, count=3):
    tickets = [desk.ticket(f"VPN drops {n}") for n in range(count)]
    for n, ticket in enumerate(tickets):
        desk.store.tickets[ticket].creator = f"user{n}"
    return convert(desk.register, tickets, category="technology").improvement.id


def test_three_assessments_keep_two_predecessors_newest_first(desk):
    imp = sourced(desk)
    assess(desk.register, imp, "rice", {**RICE, "reach": 10})
    assess(desk.register, imp, "rice", {**RICE, "reach": 20})
    after = assess(desk.register, imp, "ice", {"impact": 5, "confidence": 5, "ease": 5})
    document = after.get("assessment")
    assert document["model"] == "ice" and document["sources"] == 3
    history = document["history"]
    assert [h["model"] for h in history] == ["rice", "rice"]
    assert [h["inputs"]["reach"] for h in history] == [20, 10]
    assert history[0]["score"] == 20 * 1 * 0.8 / 2 and history[1]["score"] == 10 * 1 * 0.8 / 2
    assert all(h["assessed_by"] and h["assessed_at"] for h in history)
    assert "history" not in history[0]  # entries are flat, never nested


def test_history_is_bounded(desk):
    imp = sourced(desk, 1)
    for n in range(HISTORY_LIMIT + 3):
        assess(desk.register, imp, "rice", {**RICE, "reach": n})
    history = desk.register.get(imp).get("assessment")["history"]
    assert len(history) == HISTORY_LIMIT
    assert history[0]["inputs"]["reach"] == HISTORY_LIMIT + 1 and history[-1]["inputs"]["reach"] == 2


def test_history_of_ignores_what_is_not_an_assessment():
    assert assess_op.history_of(None) == [] and assess_op.history_of({"inputs": {}}) == []


def test_from_evidence_fills_rice_reach_and_says_so(desk):
    imp = sourced(desk)
    after = assess(desk.register, imp, "rice", {"impact": 2, "confidence": 50, "effort": 1}, from_evidence=True)
    document = after.get("assessment")
    assert document["inputs"]["reach"] == 3  # three requestors within one quarter
    assert document["from_evidence"] == ["reach"]
    assert document["evidence"]["requestors"] == 3 and document["evidence"]["count"] == 3
    assert "ticket_ids" not in document["evidence"]
    assert document["score"] == 3 * 2 * 0.5 / 1


def test_a_given_input_wins_over_evidence(desk):
    imp = sourced(desk)
    document = assess(desk.register, imp, "rice", RICE, from_evidence=True).get("assessment")
    assert document["inputs"]["reach"] == 100 and document["from_evidence"] == []


def test_a_configured_mapping_fills_another_model():
    desk = Desk('\n[scoring.ice.evidence]\nimpact = "count"\n')
    imp = sourced(desk, 4)
    document = assess(desk.register, imp, "ice", {"confidence": 5, "ease": 5}, from_evidence=True).get("assessment")
    assert document["inputs"]["impact"] == 4 and document["from_evidence"] == ["impact"]


def test_refusals_write_nothing(cli_desk, capsys):  # noqa: F811
    imp = sourced(cli_desk)
    bare = cli_desk.store.create_ticket("Improvements", "an idea", "", {cli_desk.cf("source"): "idea"})
    before = writes(cli_desk)
    with pytest.raises(UsageError, match="no evidence mapping"):
        assess(cli_desk.register, imp, "wsjf", {}, from_evidence=True)
    for argv, words in ((["assess", imp, "--model", "wsjf", "--from-evidence"], "no evidence mapping"),
                        (["assess", bare, "--model", "rice", "--from-evidence", "--set", "impact=1"], "no source tickets")):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1 and words in captured.err
    assert writes(cli_desk) == before


def test_show_history_text_and_json(cli_desk, capsys):  # noqa: F811
    imp = sourced(cli_desk)
    assert main(["show", imp, "--history"]) == 0
    assert "has not been assessed" in capsys.readouterr().out
    for reach in (10, 20, 30):
        assert main(["assess", imp, "--model", "rice", *[f"--set={k}={v}" for k, v in {**RICE, "reach": reach}.items()]]) == 0
    capsys.readouterr()
    assert main(["show", imp, "--history", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [e["inputs"]["reach"] for e in document["assessments"]] == [30, 20, 10]
    assert main(["show", imp, "--history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "reach=30" in lines[0] and "reach=10" in lines[2]
    assert main(["assess", imp, "--model", "rice", "--from-evidence", "--set", "impact=1", "--set", "confidence=50",
                 "--set", "effort=1"]) == 0
    assert "from evidence: reach; given: confidence, effort, impact" in capsys.readouterr().out
