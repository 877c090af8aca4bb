"""Contract: ``stale`` on the host. An improvement whose stored assessment is dated 200 days back
(written through the register, as an old assessment would be) is listed; one whose sources grew
from one to three since its assessment is listed; a fresh one is not; ``prioritize --dry-run``
counts the stale ones among those it ranks. Other tests share the hosts: only this test's
improvements are checked."""

import json

import pytest

pytestmark = pytest.mark.live

RICE = ("--set", "reach=5", "--set", "impact=1", "--set", "confidence=80", "--set", "effort=2")


def assessed(host, run_cli, config, title):
    made = run_cli(*config, "convert", host.ticket(title), "--category", "technology")
    assert made.code == 0, made.err
    imp = made.out.strip()
    result = run_cli(*config, "assess", imp, "--model", "rice", *RICE)
    assert result.code == 0, result.err
    return imp


def test_stale_lists_old_and_grown_assessments(host, run_cli):
    config = ("--config", host.config_path)
    old = assessed(host, run_cli, config, "Badge reader slow")
    grown = assessed(host, run_cli, config, "Badge reader offline")
    fresh = assessed(host, run_cli, config, "Badge reader beeps")
    register = host.register
    document = register.get(old, links=False).get("assessment")
    register.write_values(old, {"assessment": {**document, "assessed_at": "2026-01-01T00:00:00+00:00"}})
    added = run_cli(*config, "convert", host.ticket("Badge reader offline 2"), host.ticket("Badge reader offline 3"),
                    "--into", grown)
    assert added.code == 0, added.err
    result = run_cli(*config, "stale", "--json")
    assert result.code == 0, result.err
    found = {e["id"]: e for e in json.loads(result.out)}
    assert found[old]["why"].startswith("assessed ") and found[old]["why"].endswith(" days ago")
    assert found[grown]["why"] == "sources grew from 1 to 3" and found[grown]["sources"] == 3
    assert fresh not in found
    ranked = run_cli(*config, "prioritize", "--dry-run", "--json")
    assert ranked.code == 0, ranked.err
    assert json.loads(ranked.out)["stale"] >= 2
    refused = run_cli(*config, "stale", "--older-than", "0")
    assert refused.code == 2 and refused.out == "" and refused.err.count("\n") == 1
