"""`ci-plugin hooks list|enable|disable` edit and read the configuration file."""

import json

from ci_plugin import config as config_module

CONFIG = '[host]\ntype = "rt"\nurl = "http://127.0.0.1:18080"\ntoken_env = "X"\n\n[hooks]\nenabled = []\n'


def test_enable_disable_and_list(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    result = run_cli("--config", path, "hooks", "enable", "audit_log")
    assert result.code == 0 and result.out.strip() == f"audit_log: enabled in {path}"
    assert config_module.load(path).section("hooks")["enabled"] == ["audit_log"]
    listing = {p["name"]: p for p in json.loads(run_cli("--config", path, "hooks", "list", "--json").out)}
    assert listing["audit_log"]["enabled"] is True and listing["audit_log"]["origin"] == "builtin"
    assert listing["hosts"]["origin"] == "core"
    assert run_cli("--config", path, "plugins", "disable", "audit_log").code == 0
    assert config_module.load(path).section("hooks")["enabled"] == []
    text = run_cli("--config", path, "hooks", "list").out
    assert any(line.startswith("audit_log") and "disabled" in line for line in text.splitlines())


def test_enabling_an_unknown_plugin_is_refused_and_the_file_kept(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    result = run_cli("--config", path, "hooks", "enable", "nosuch")
    assert result.code == 2 and "no plugin named 'nosuch'" in result.err
    assert path.read_text() == CONFIG
