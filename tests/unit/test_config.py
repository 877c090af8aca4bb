"""Configuration: TOML parsing, schema validation with JSON paths, defaults, secrets, hook lists."""

import pytest

from ci_plugin import config
from ci_plugin.errors import ConfigError

MINIMAL = """
[host]
type = "rt"
url = "http://127.0.0.1:8080"
token_env = "RT_TOKEN"
"""


def test_minimal_config_gets_every_documented_default():
    cfg = config.parse(MINIMAL, environ={"RT_TOKEN": "abc"})
    assert cfg.host_type == "rt"
    assert cfg.section("rt")["queue"] == "Improvements"
    assert cfg.section("rt")["links"] == {"source": "RefersTo", "problem": "RefersTo", "project": "MemberOf",
                                          "change": "MemberOf", "follow_up": "ReferredToBy"}
    assert cfg.section("rt")["change_queue"] == "Changes"
    assert cfg.section("states")["in-progress"] == "in-progress"
    assert cfg.section("fields")["candidate"] == "Improvement candidate"
    assert cfg.data["host"]["retries"] == 3 and cfg.data["host"]["timeout"] == 30
    assert cfg.section("hooks") == {"enabled": [], "disabled": []}
    assert cfg.token() == "abc"


def test_overrides_are_kept_and_defaults_fill_the_rest():
    cfg = config.parse(MINIMAL + '\n[rt]\nqueue = "CIR"\n[rt.links]\nproject = "DependsOn"\n', environ={"RT_TOKEN": "x"})
    assert cfg.section("rt")["queue"] == "CIR"
    assert cfg.section("rt")["links"]["project"] == "DependsOn"
    assert cfg.section("rt")["links"]["problem"] == "RefersTo"


@pytest.mark.parametrize(
    "extra,expected",
    [
        ('\n[rt]\nqeue = "x"\n', r"\$\.rt\.qeue: unknown key 'qeue'"),
        ('\n[rt.links]\nproject = "Sibling"\n', r"\$\.rt\.links\.project: 'Sibling' is not one of"),
        ('\n[watch]\ninterval = 0\n', r"\$\.watch\.interval: 0 is less than the minimum of 1"),
        ('\n[states]\nclosed = ""\n', r"\$\.states\.closed: '' should be non-empty"),
    ],
)
def test_a_bad_config_names_the_offending_key(extra, expected):
    with pytest.raises(ConfigError, match=expected):
        config.parse(MINIMAL + extra, environ={})


def test_host_url_must_be_http():
    with pytest.raises(ConfigError, match=r"\$\.host\.url: 'ftp://x' does not match"):
        config.parse(MINIMAL.replace("http://127.0.0.1:8080", "ftp://x"), environ={})


def test_a_token_source_is_required():
    with pytest.raises(ConfigError, match=r"\$\.host"):
        config.parse('[host]\ntype = "rt"\nurl = "http://h"\n', environ={})


def test_invalid_toml_is_one_line_with_position(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[host\ntype = 1\n")
    with pytest.raises(ConfigError, match=r"c\.toml: not valid TOML: .*line 1"):
        config.load(path, environ={})


def test_missing_file_and_missing_setting_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        config.load(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="pass --config FILE or set CI_PLUGIN_CONFIG"):
        config.load(None, environ={})


def test_config_comes_from_the_environment_variable(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL)
    cfg = config.load(None, environ={"CI_PLUGIN_CONFIG": str(path), "RT_TOKEN": "t"})
    assert cfg.path == path and cfg.token() == "t"


def test_unset_token_variable_names_the_variable_not_a_value():
    cfg = config.parse(MINIMAL, environ={})
    with pytest.raises(ConfigError, match="environment variable RT_TOKEN is not set"):
        cfg.token()


def test_set_hook_list_rewrites_only_the_hooks_table(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL + '\n[hooks]\nenabled = ["audit_log"]  \n\n[hooks.audit_log]\npath = "a.log"\n')
    config.set_hook_list(path, "enabled", ["audit_log", "require_category"])
    config.set_hook_list(path, "disabled", ["thirdparty"])
    cfg = config.parse(path.read_text(), environ={})
    assert cfg.section("hooks")["enabled"] == ["audit_log", "require_category"]
    assert cfg.section("hooks")["disabled"] == ["thirdparty"]
    assert cfg.hook_settings("audit_log") == {"path": "a.log"}
    assert 'token_env = "RT_TOKEN"' in path.read_text()


def test_set_hook_list_adds_the_table_when_absent(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL)
    config.set_hook_list(path, "enabled", ["audit_log"])
    assert config.parse(path.read_text(), environ={}).section("hooks")["enabled"] == ["audit_log"]
