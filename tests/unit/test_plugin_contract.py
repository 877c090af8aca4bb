"""The plugin contract: misspelt hooks and hook wrappers are refused, plugins may own a config
table, ``hookimpl`` comes from the package root, and the typed facade calls each hook with
exactly its arguments."""

from __future__ import annotations

import pytest

import ci_plugin
from ci_plugin import app, config as config_module
from ci_plugin.cli import main
from ci_plugin.errors import ConfigError, PluginContractError, PluginError
from ci_plugin.plugins import PluginManager

BASE = '[host]\ntype = "rt"\nurl = "http://desk.example"\ntoken = "t"\n'


class Misspelt:
    """A plugin with a typo in a hook name."""

    @ci_plugin.hookimpl
    def ci_after_convrt(self, improvement, sources, created, register):
        raise AssertionError("never called")


class Wrapper:
    """A plugin that wraps a guard."""

    @ci_plugin.hookimpl(wrapper=True)
    def ci_guard_transition(self, improvement, from_state, to_state, register):
        return (yield)


class Sections:
    """A plugin that owns the [chatops] table."""

    SCHEMA = {"type": "object", "additionalProperties": False,
              "properties": {"channel": {"type": "string", "pattern": "^#", "default": "#improvements"},
                             "mention": {"type": "boolean", "default": False}}}

    @ci_plugin.hookimpl
    def ci_register_config_sections(self, add_section):
        add_section("chatops", self.SCHEMA)


def test_hookimpl_is_importable_from_the_package_root():
    from ci_plugin.hookspecs import hookimpl

    assert ci_plugin.hookimpl is hookimpl


def test_a_misspelt_hook_is_refused_naming_the_plugin_and_the_hook():
    with pytest.raises(PluginContractError) as caught:
        PluginManager(load_external=False, extra_plugins=[("typo", Misspelt())])
    assert "plugin typo implements ci_after_convrt" in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_hook_wrapper_is_refused():
    with pytest.raises(PluginContractError, match="plugin wrap: ci_guard_transition is a hook wrapper"):
        PluginManager(load_external=False, extra_plugins=[("wrap", Wrapper())])


def test_a_misspelt_hook_in_an_installed_plugin_exits_2_with_one_line(monkeypatch, capsys, tmp_path):
    from importlib import metadata

    from ci_plugin.plugins import loading

    point = metadata.EntryPoint("typo", f"{__name__}:TYPO_PLUGIN", loading.ENTRY_POINT_GROUP)
    monkeypatch.setattr(loading.metadata, "entry_points", lambda **kw: [point] if kw.get("group") else [])
    monkeypatch.delenv("CI_PLUGIN_DISABLE_EXTERNAL", raising=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(BASE)
    assert main(["--config", str(cfg), "hooks", "list"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "plugin typo implements ci_after_convrt" in err[0]


TYPO_PLUGIN = Misspelt()


def test_a_plugin_owned_section_is_validated_and_gets_its_defaults():
    cfg = config_module.parse(BASE + '[chatops]\nmention = true\n')
    manager = app.load_plugins(cfg, load_external=False, extra_plugins=[("chatops", Sections())])
    assert "chatops" in manager.config_sections()
    assert cfg.section("chatops") == {"channel": "#improvements", "mention": True}


def test_a_bad_value_in_a_plugin_section_names_its_json_path():
    cfg = config_module.parse(BASE + '[chatops]\nchannel = "general"\n')
    with pytest.raises(ConfigError, match=r"\$\.chatops\.channel: 'general' does not match"):
        app.load_plugins(cfg, load_external=False, extra_plugins=[("chatops", Sections())])


def test_an_unknown_key_in_a_plugin_section_is_named():
    cfg = config_module.parse(BASE + '[chatops]\nchanel = "#x"\n')
    with pytest.raises(ConfigError, match=r"\$\.chatops\.chanel: unknown key 'chanel'"):
        app.load_plugins(cfg, load_external=False, extra_plugins=[("chatops", Sections())])


def test_a_table_no_plugin_declares_is_an_unknown_key():
    cfg = config_module.parse(BASE + '[chatops]\nchannel = "#x"\n')
    with pytest.raises(ConfigError, match=r"config: \$\.chatops: unknown key 'chatops'"):
        app.load_plugins(cfg, load_external=False)


def test_a_plugin_may_not_claim_a_core_table():
    class Greedy:
        @ci_plugin.hookimpl
        def ci_register_config_sections(self, add_section):
            add_section("rt", {"type": "object"})

    cfg = config_module.parse(BASE)
    with pytest.raises(PluginContractError, match="rt, which ci-plugin itself uses"):
        app.load_plugins(cfg, load_external=False, extra_plugins=[("greedy", Greedy())])


def test_two_plugins_declaring_one_table_is_an_error():
    cfg = config_module.parse(BASE)
    with pytest.raises(PluginError, match="configuration section 'chatops' is registered twice"):
        app.load_plugins(cfg, load_external=False, extra_plugins=[("a", Sections()), ("b", Sections())])


def test_the_facade_passes_every_documented_argument():
    seen = {}

    class Spy:
        @ci_plugin.hookimpl
        def ci_after_link(self, improvement, kind, target, register):
            seen.update(improvement=improvement, kind=kind, target=target, register=register)

    manager = PluginManager(load_external=False, extra_plugins=[("spy", Spy())])
    assert manager.after_link(improvement="I", kind="problem", target="T", register="R") == []
    assert seen == {"improvement": "I", "kind": "problem", "target": "T", "register": "R"}
    with pytest.raises(TypeError):
        manager.after_link(improvement="I", kind="problem", register="R")  # a missing argument is the caller's bug
