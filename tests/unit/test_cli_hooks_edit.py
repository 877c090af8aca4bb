"""Issue 8, point 19: ``hooks enable|disable`` rewrites exactly ``[hooks] enabled/disabled``,
whatever else the file holds (multi-line strings that look like TOML, multi-line arrays,
comments), refuses a layout it cannot rewrite safely instead of rewriting the wrong value, and
reports a file it cannot write in one line (exit 2), never as an internal error."""

import os
import stat
import tomllib

import pytest

from ci_plugin import config as config_module
from ci_plugin.errors import ConfigError

HOST = '[host]\ntype = "rt"\nurl = "http://127.0.0.1:18080"\ntoken_env = "X"\n'


def enable(run_cli, path, name="audit_log"):
    return run_cli("--config", path, "hooks", "enable", name)


def others(raw):
    return {k: v for k, v in raw.items() if k != "hooks"}, {k: v for k, v in raw.get("hooks", {}).items()
                                                          if k not in ("enabled", "disabled")}


@pytest.mark.parametrize("text", [
    # a multi-line string that holds a [hooks] table and an enabled line
    HOST + '[hooks.audit_log]\npath = "a.jsonl"\n[hooks.notes]\ntext = """\n[hooks]\nenabled = ["x"]\n"""\n'
    '[hooks]\nenabled = []\n',
    # the same with a literal multi-line string, before the real table
    HOST + "[hooks.notes]\ntext = '''\nenabled = [\"nope\"]\n[hooks]\n'''\n[hooks]\nenabled = []\n",
    # the real [hooks] table first, then a string that mimics its key
    HOST + '[hooks]\nenabled = []\n[hooks.notes]\ntext = """\nenabled = ["x"]\n"""\n',
    # enabled spanning several lines, with a comment and an array of strings holding brackets
    HOST + '[hooks]\nenabled = [\n  "require_category",  # keep\n  "default_category",\n]  # the list\n'
    'disabled = []\n[hooks.audit_log]\npath = "[x].jsonl"\n',
    # a multi-line string with an escaped quote sequence inside
    HOST + '[hooks.notes]\ntext = """say \\""" [hooks] \\"""\nenabled = [1]\n"""\n',
    # no [hooks] table at all
    HOST,
    # a CRLF file
    (HOST + '[hooks]\nenabled = []\n').replace("\n", "\r\n"),
])
def test_enable_rewrites_only_the_hooks_lists(run_cli, tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_bytes(text.encode())
    before = tomllib.loads(text)
    result = enable(run_cli, path)
    assert result.code == 0, result.err
    after = tomllib.loads(path.read_text())
    assert after["hooks"]["enabled"][-1] == "audit_log"
    assert after["hooks"]["enabled"][:-1] == before.get("hooks", {}).get("enabled", [])
    assert others(after) == others(before)  # every other value, the multi-line strings too
    if "\r\n" in text:
        assert "\r\n" in path.read_bytes().decode() and "\n" not in path.read_bytes().decode().replace("\r\n", "")


def test_a_trailing_comment_of_the_list_is_kept(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(HOST + '[hooks]\nenabled = []  # switched on by ops\n')
    assert enable(run_cli, path).code == 0
    assert 'enabled = ["audit_log"]  # switched on by ops' in path.read_text()


@pytest.mark.parametrize("text", [
    'hooks.enabled = []\n' + HOST,
    'hooks = {enabled = []}\n' + HOST,
])
def test_a_layout_it_cannot_rewrite_safely_is_refused_and_the_file_kept(run_cli, tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    result = enable(run_cli, path)
    assert result.code == 2 and "edit hooks.enabled" in result.err and "by hand" in result.err
    assert path.read_text() == text


def test_the_file_keeps_its_permissions(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(HOST)
    os.chmod(path, 0o600)
    assert enable(run_cli, path).code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_directory_it_cannot_write_is_worked_around_in_place(run_cli, tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text(HOST)
    real_open = os.open

    def no_new_files(name, flags, *args):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args)

    monkeypatch.setattr(os, "open", no_new_files)
    result = enable(run_cli, path)
    assert result.code == 0, result.err
    assert config_module.load(path, environ={}).section("hooks")["enabled"] == ["audit_log"]
    assert [p.name for p in tmp_path.iterdir()] == ["c.toml"]


def test_a_file_it_cannot_write_at_all_is_one_line_exit_2(run_cli, tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text(HOST)
    monkeypatch.setattr(os, "open", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    real_builtin_open = open

    def read_only(file, mode="r", *args, **kwargs):
        if "+" in mode or "w" in mode or "a" in mode:
            raise PermissionError(13, "Permission denied", str(file))
        return real_builtin_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", read_only)
    result = enable(run_cli, path)
    monkeypatch.undo()
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert lines == [f"ci-plugin: error: {path}: cannot write the configuration file: Permission denied"]
    assert path.read_text() == HOST


def test_a_quoted_key_is_the_same_key(tmp_path):
    path = tmp_path / "c.toml"
    text = HOST + '[hooks]\n"enabled" = []\n[hooks.enabled2]\nx = 1\n'
    path.write_text(text)
    config_module.set_hook_list(path, "enabled", ["audit_log"])
    raw = tomllib.loads(path.read_text())
    assert raw["hooks"]["enabled"] == ["audit_log"] and raw["hooks"]["enabled2"] == {"x": 1}


def test_set_hook_lists_checks_before_writing(tmp_path):
    path = tmp_path / "c.toml"
    text = 'hooks.enabled = ["audit_log"]\n' + HOST
    path.write_text(text)
    with pytest.raises(ConfigError, match="by hand"):
        config_module.set_hook_list(path, "enabled", [])
    assert path.read_text() == text
