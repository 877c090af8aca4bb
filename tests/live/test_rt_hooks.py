"""Hooks around conversion and linking, on the live RT."""

import json

import pytest

from ci_plugin import config as config_module
from ci_plugin import plugins
from ci_plugin.convert import convert
from ci_plugin.hookspecs import hookimpl
from ci_plugin.register import ImprovementRegister

pytestmark = pytest.mark.live


def test_require_category_vetoes_and_nothing_is_written(rt, run_cli):
    rt.configure('[hooks]\nenabled = ["require_category"]\n')
    source = rt.ticket("Uncategorised idea")
    result = run_cli("--config", rt.config_path, "convert", source)
    assert result.code == 5
    assert result.err.strip() == ("ci-plugin: error: conversion refused by require_category: a category is required "
                                  "(use --category service|process|practice|technology|people)")
    assert rt.improvements_for(source) == []
    assert run_cli("--config", rt.config_path, "convert", source, "--category", "people").code == 0


def test_default_category_runs_before_the_guard(rt, run_cli):
    rt.configure('[hooks]\nenabled = ["require_category", "default_category"]\n'
                 '[hooks.default_category]\ncategory = "technology"\n')
    record = json.loads(run_cli("--config", rt.config_path, "convert", rt.ticket("Old servers"), "--json").out)
    assert record["category"] == "technology"


def test_audit_log_records_convert_and_link(rt, run_cli, tmp_path):
    log = tmp_path / "audit.jsonl"
    rt.configure(f'[hooks]\nenabled = ["audit_log"]\n[hooks.audit_log]\npath = "{log}"\n')
    imp = run_cli("--config", rt.config_path, "convert", rt.ticket("Audit me")).out.strip()
    problem = rt.ticket("Audit problem", queue="Problems")
    assert run_cli("--config", rt.config_path, "link", imp, "--problem", problem).code == 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["event"], e["improvement"]) for e in entries] == [("convert", imp), ("link", imp)]
    assert entries[0]["created"] is True and entries[1] == {**entries[1], "kind": "problem", "target": problem}


class BrokenNotifier:
    """Fails on every notification."""

    def __init__(self):
        self.seen_before = []

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        self.seen_before.append([s.id for s in sources])
        draft.values["size"] = "M"

    @hookimpl
    def ci_after_convert(self, improvement, sources, created, register):
        raise ConnectionError("chat server unreachable")


def test_a_failing_notifier_does_not_break_conversion_and_hooks_can_enrich(rt, caplog):
    plugin = BrokenNotifier()
    manager = plugins.PluginManager(load_external=False, extra_plugins=[("chatops", plugin)])
    register = ImprovementRegister(config_module.load(rt.config_path), plugin_manager=manager)
    source = rt.ticket("Notifier test")
    result = convert(register, [source])
    assert result.created and result.improvement.get("size") == "M"
    assert rt.cf(result.improvement.id, "CI Size") == ["M"]
    assert plugin.seen_before == [[source]]
    assert "plugin chatops failed in ci_after_convert: ConnectionError: chat server unreachable" in caplog.text


def test_hooks_enable_and_disable_edit_the_config(rt, run_cli):
    assert run_cli("--config", rt.config_path, "hooks", "enable", "audit_log").code == 0
    assert config_module.load(rt.config_path).section("hooks")["enabled"] == ["audit_log"]
    listing = json.loads(run_cli("--config", rt.config_path, "hooks", "list", "--json").out)
    assert {p["name"]: p["enabled"] for p in listing}["audit_log"] is True
    assert run_cli("--config", rt.config_path, "hooks", "disable", "audit_log").code == 0
    assert config_module.load(rt.config_path).section("hooks")["enabled"] == []
    unknown = run_cli("--config", rt.config_path, "hooks", "enable", "nosuch")
    assert unknown.code == 2 and "no plugin named 'nosuch'" in unknown.err
