"""The plugin manager: origins, enable/disable, entry points, and the guard/notifier policies."""

import logging
import sys
import textwrap

import pytest

from ci_plugin import plugins
from ci_plugin.errors import PluginError, VetoError
from ci_plugin.hookspecs import hookimpl


def by_name(manager):
    return {info.name: info for info in manager.infos}


def test_core_plugins_are_always_on_and_builtins_are_off_until_enabled():
    infos = by_name(plugins.PluginManager(load_external=False))
    assert infos["hosts"].origin == "core" and infos["hosts"].enabled
    assert infos["hosts"].hooks == ["ci_register_config_sections", "ci_register_hosts"]  # [servicenow] is its table
    assert infos["scoring"].origin == "core" and infos["scoring"].enabled
    assert infos["audit_log"].origin == "builtin" and not infos["audit_log"].enabled
    assert infos["audit_log"].summary.startswith("Append every conversion")


def test_enabling_a_builtin_registers_its_hooks():
    manager = plugins.PluginManager(enabled=["audit_log"], load_external=False)
    info = by_name(manager)["audit_log"]
    assert info.enabled and "ci_after_convert" in info.hooks
    assert manager.pm.get_plugin("audit_log") is not None


def test_disabled_wins_over_enabled():
    manager = plugins.PluginManager(enabled=["audit_log"], disabled=["audit_log"], load_external=False)
    assert not by_name(manager)["audit_log"].enabled
    assert manager.pm.get_plugin("audit_log") is None


def test_unknown_builtin_is_a_clear_error():
    with pytest.raises(PluginError, match="unknown built-in hook.*nosuch.*available: .*audit_log"):
        plugins.PluginManager(enabled=["nosuch"], load_external=False)


def test_hosts_are_registered_through_the_hook():
    hosts = plugins.PluginManager(load_external=False).hosts()
    assert hosts["rt"].__name__ == "RTAdapter"


class Refuser:
    """refuses"""

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        return "no budget left this quarter"


class Crasher:
    """crashes"""

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        raise RuntimeError("database gone")

    @hookimpl
    def ci_after_convert(self, improvement, sources, created, register):
        raise RuntimeError("mail server down")


class Recorder:
    """records"""

    def __init__(self):
        self.calls = []

    @hookimpl
    def ci_before_convert(self, draft, sources, register):
        self.calls.append("before")

    @hookimpl
    def ci_after_convert(self, improvement, sources, created, register):
        self.calls.append(("after", created))


def test_a_guard_refusal_names_the_plugin_and_its_reason():
    recorder = Recorder()
    manager = plugins.PluginManager(load_external=False,
                                    extra_plugins=[("recorder", recorder), ("budget", Refuser())])
    with pytest.raises(VetoError) as caught:
        manager.before_convert(draft=None, sources=[], register=None)
    assert str(caught.value) == "conversion refused by budget: no budget left this quarter"
    assert caught.value.plugin == "budget" and caught.value.exit_code == 5


def test_every_refusing_guard_is_named_in_one_error():
    manager = plugins.PluginManager(load_external=False,
                                    extra_plugins=[("budget", Refuser()), ("recorder", Recorder())])
    second = Refuser()
    manager.pm.register(second, name="freeze")
    with pytest.raises(VetoError) as caught:
        manager.before_convert(draft=None, sources=[], register=None)
    assert caught.value.plugin == "freeze"  # pluggy order: the last registered is asked first
    assert str(caught.value) == ("conversion refused by freeze: no budget left this quarter; "
                                 "also by budget: no budget left this quarter")


def test_a_crashing_guard_fails_closed_and_is_named():
    manager = plugins.PluginManager(load_external=False, extra_plugins=[("crasher", Crasher())])
    with pytest.raises(VetoError, match="refused by crasher: guard failed: RuntimeError: database gone"):
        manager.before_convert(draft=None, sources=[], register=None)


def test_a_failing_notifier_is_logged_and_isolated(caplog):
    recorder = Recorder()
    manager = plugins.PluginManager(load_external=False,
                                    extra_plugins=[("recorder", recorder), ("crasher", Crasher())])
    with caplog.at_level(logging.WARNING):
        failures = manager.after_convert(improvement=None, sources=[], created=True, register=None)
    assert failures == ["plugin crasher failed in ci_after_convert: RuntimeError: mail server down"]
    assert recorder.calls == [("after", True)]
    assert "mail server down" in caplog.text


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A real distribution on sys.path exposing entry points in the ci_plugin group."""

    def install(module_source, entry="myplugin = myplugin_mod"):
        (tmp_path / "myplugin_mod.py").write_text(textwrap.dedent(module_source))
        dist = tmp_path / "myplugin-1.2.3.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 1.2.3\n")
        (dist / "entry_points.txt").write_text(f"[ci_plugin]\n{entry}\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "myplugin_mod", raising=False)

    return install


GOOD_PLUGIN = '''
    """Tags every new improvement as a people improvement."""
    from ci_plugin.hookspecs import hookimpl

    @hookimpl
    def ci_before_convert(draft, sources, register):
        draft.values["category"] = "people"
'''


def test_entry_point_plugins_are_loaded_with_their_version(installed_plugin, monkeypatch):
    monkeypatch.delenv(plugins.DISABLE_EXTERNAL_ENV, raising=False)
    installed_plugin(GOOD_PLUGIN)
    info = by_name(plugins.PluginManager())["myplugin"]
    assert (info.origin, info.enabled, info.version, info.hooks) == ("external", True, "1.2.3", ["ci_before_convert"])
    assert info.summary == "Tags every new improvement as a people improvement."


def test_environment_variable_disables_external_plugins(installed_plugin, monkeypatch):
    installed_plugin(GOOD_PLUGIN)
    monkeypatch.setenv(plugins.DISABLE_EXTERNAL_ENV, "1")
    manager = plugins.PluginManager()
    assert "myplugin" not in by_name(manager)
    assert manager.pm.get_plugin("myplugin") is None


def test_config_can_disable_one_external_plugin(installed_plugin, monkeypatch):
    monkeypatch.delenv(plugins.DISABLE_EXTERNAL_ENV, raising=False)
    installed_plugin(GOOD_PLUGIN)
    manager = plugins.PluginManager(disabled=["myplugin"])
    assert not by_name(manager)["myplugin"].enabled
    assert manager.pm.get_plugin("myplugin") is None


def test_a_broken_external_plugin_stops_with_a_hint(installed_plugin, monkeypatch):
    monkeypatch.delenv(plugins.DISABLE_EXTERNAL_ENV, raising=False)
    installed_plugin("import no_such_module_anywhere\n")
    with pytest.raises(PluginError, match=r"plugin myplugin \(myplugin_mod\) failed to load: ModuleNotFoundError.*"
                                          r"CI_PLUGIN_DISABLE_EXTERNAL=1"):
        plugins.PluginManager()


def test_a_plugin_with_a_misspelt_hook_is_refused(installed_plugin, monkeypatch):
    monkeypatch.delenv(plugins.DISABLE_EXTERNAL_ENV, raising=False)
    installed_plugin('''
        from ci_plugin.hookspecs import hookimpl
        @hookimpl
        def ci_before_convert(draft, sources, register, extra):
            pass
    ''')
    with pytest.raises(PluginError, match="plugin myplugin cannot be registered"):
        plugins.PluginManager()


def test_registering_a_host_name_twice_is_an_error():
    class Dup:
        @hookimpl
        def ci_register_hosts(self, add_host):
            add_host("rt", object)

    manager = plugins.PluginManager(load_external=False, extra_plugins=[("dup", Dup())])
    with pytest.raises(PluginError, match="host type 'rt' is registered twice"):
        manager.hosts()
