"""A host from a third-party package is loaded because the configuration names it, even when
external plugins are switched off (``CI_PLUGIN_DISABLE_EXTERNAL=1`` or ``load_external=False``)."""

from importlib import metadata

import pytest

from ci_plugin import config as config_module
from ci_plugin import plugins
from ci_plugin.plugins import loading as plugin_loading
from ci_plugin.errors import ConfigError
from ci_plugin.hookspecs import hookimpl
from ci_plugin.app import open_register


class FakeHost:
    """Stands in for an adapter class: the register only instantiates it."""

    def __init__(self, config):
        self.config = config


class FakeHostPlugin:
    """What a host package's module looks like to the plugin manager."""

    @staticmethod
    @hookimpl
    def ci_register_hosts(add_host):
        add_host("fakehost", FakeHost)


class OtherPlugin:
    """Another third-party plugin, which must stay off."""

    @staticmethod
    @hookimpl
    def ci_register_scoring_models(add_model):
        raise AssertionError("an unrelated external plugin was loaded")


@pytest.fixture(autouse=True)
def entry_points(monkeypatch):
    """Two installed plugins: the host package (named after its host type) and another one."""
    here = __name__
    points = [metadata.EntryPoint("fakehost", f"{here}:FakeHostPlugin", plugins.ENTRY_POINT_GROUP),
              metadata.EntryPoint("other", f"{here}:OtherPlugin", plugins.ENTRY_POINT_GROUP)]

    def select(**kwargs):
        return [p for p in points if p.group == kwargs.get("group")]

    monkeypatch.setattr(plugin_loading.metadata, "entry_points", select)


def config(extra=""):
    return config_module.parse(f'[host]\ntype = "fakehost"\nurl = "http://desk.example"\ntoken = "t"\n{extra}')


def test_the_configured_host_plugin_loads_although_external_plugins_are_off(monkeypatch):
    monkeypatch.setenv(plugins.DISABLE_EXTERNAL_ENV, "1")
    register = open_register(config())
    assert isinstance(register.host, FakeHost)
    info = next(i for i in register.plugins.infos if i.name == "fakehost")
    assert (info.origin, info.enabled) == ("external", True)
    assert not any(i.name == "other" for i in register.plugins.infos)
    register.plugins.scoring_models()  # the unrelated plugin stayed off


def test_a_manager_built_without_external_plugins_still_finds_the_host():
    manager = plugins.PluginManager(load_external=False)
    register = open_register(config(), plugins=manager)
    assert isinstance(register.host, FakeHost)
    assert manager.load_host_plugin("fakehost") is False  # once is enough


def test_hooks_disabled_still_switches_the_host_plugin_off(monkeypatch):
    monkeypatch.setenv(plugins.DISABLE_EXTERNAL_ENV, "1")
    with pytest.raises(ConfigError, match="unknown host type 'fakehost'; known: jira, memory, redmine, rt, servicenow"):
        open_register(config('[hooks]\ndisabled = ["fakehost"]\n'))


def test_only_an_entry_point_named_after_the_host_type_is_loaded():
    manager = plugins.PluginManager(load_external=False)
    assert manager.load_host_plugin("nosuchhost") is False
    with pytest.raises(ConfigError, match="unknown host type 'nosuchhost'"):
        open_register(config_module.parse('[host]\ntype = "nosuchhost"\nurl = "http://d.example"\ntoken = "t"\n'),
                            plugins=manager)
