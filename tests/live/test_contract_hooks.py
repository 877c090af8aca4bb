"""Contract: hooks around conversion and linking, on every live host."""

import json

import pytest

from ci_plugin import config as config_module
from ci_plugin import plugins
from ci_plugin.ops.convert import convert
from ci_plugin.hookspecs import hookimpl
from ci_plugin.app import open_register

pytestmark = pytest.mark.live


def test_require_category_vetoes_and_nothing_is_written(host, run_cli):
    host.configure('[hooks]\nenabled = ["require_category"]\n')
    source = host.ticket("Uncategorised idea")
    result = run_cli("--config", host.config_path, "convert", source)
    assert result.code == 5
    assert result.err.strip() == ("ci-plugin: error: conversion refused by require_category: a category is required "
                                  "(use --category service|process|practice|technology|people)")
    assert host.improvements_for(source) == []
    assert run_cli("--config", host.config_path, "convert", source, "--category", "people").code == 0


def test_default_category_runs_before_the_guard(host, run_cli):
    host.configure('[hooks]\nenabled = ["require_category", "default_category"]\n'
                   '[hooks.default_category]\ncategory = "technology"\n')
    record = json.loads(run_cli("--config", host.config_path, "convert", host.ticket("Old servers"), "--json").out)
    assert record["category"] == "technology"


def test_audit_log_records_convert_and_link(host, run_cli, tmp_path):
    log = tmp_path / "audit.jsonl"
    host.configure(f'[hooks]\nenabled = ["audit_log"]\n[hooks.audit_log]\npath = "{log}"\n')
    imp = run_cli("--config", host.config_path, "convert", host.ticket("Audit me")).out.strip()
    problem = host.ticket("Audit problem", kind="problem")
    assert run_cli("--config", host.config_path, "link", imp, "--problem", problem).code == 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["event"], e["improvement"]) for e in entries] == [("convert", imp), ("link", imp)]
    assert entries[0]["created"] is True
    assert (entries[1]["kind"], entries[1]["target"]) == ("problem", problem)


class EnrichingPluginWithBrokenNotifier:
    """Sets the size before conversion; fails on every notification."""

    def __init__(self):
        self.seen_before = []

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        self.seen_before.append([s.id for s in sources])
        draft.values["size"] = "M"

    @hookimpl
    def ci_after_convert(self, improvement, sources, created, register):
        raise ConnectionError("chat server unreachable")


def test_a_failing_notifier_does_not_break_conversion_and_hooks_can_enrich(host, caplog):
    plugin = EnrichingPluginWithBrokenNotifier()
    manager = plugins.PluginManager(load_external=False, extra_plugins=[("chatops", plugin)])
    register = open_register(config_module.load(host.config_path), plugins=manager)
    source = host.ticket("Notifier test")
    result = convert(register, [source])
    assert result.created and result.improvement.get("size") == "M"
    assert host.field(result.improvement.id, "size") == ["M"]
    assert plugin.seen_before == [[source]]
    assert "plugin chatops failed in ci_after_convert: ConnectionError: chat server unreachable" in caplog.text
