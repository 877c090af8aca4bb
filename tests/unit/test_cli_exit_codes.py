"""Issue 8, points 8 and 19: ``--debug`` adds a traceback and never changes the exit code; an
unknown ``hooks.enabled`` name is bad configuration (exit 2); error and warning lines are cut,
whatever the size of the value or host message they quote."""

import pytest

from ci_plugin.cli import cmd_register, cmd_workflow
from ci_plugin.cli.output import warn
from ci_plugin.errors import MAX_LINE, AuthenticationError, HostRefused
from tests.unit.cli_desk import cli_desk  # noqa: F401 (fixture)

CONFIG = '[host]\ntype = "rt"\nurl = "http://127.0.0.1:9"\ntoken_env = "CI_TEST_NO_SUCH_TOKEN"\n'


def _both(run_cli, *args):
    """The run without and with --debug."""
    return run_cli(*args), run_cli("--debug", *args)


def _same_code_and_debug_adds_a_traceback(plain, debug, code):
    assert plain.code == debug.code == code, (plain, debug)
    assert "Traceback" not in plain.err and "Traceback (most recent call last)" in debug.err
    assert plain.err.strip().splitlines()[-1] == debug.err.strip().splitlines()[-1]


def test_a_missing_config_exits_2_with_and_without_debug(run_cli, tmp_path):
    plain, debug = _both(run_cli, "--config", tmp_path / "nope.toml", "show", "1")
    _same_code_and_debug_adds_a_traceback(plain, debug, 2)
    assert "no such configuration file" in plain.err


def test_a_bad_config_exits_2_with_and_without_debug(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG + '[rt]\nqeue = "x"\n')
    plain, debug = _both(run_cli, "--config", path, "register")
    _same_code_and_debug_adds_a_traceback(plain, debug, 2)
    assert "$.rt.qeue: unknown key 'qeue'" in plain.err


def test_an_unknown_ticket_exits_4_with_and_without_debug(run_cli, cli_desk):
    plain, debug = _both(run_cli, "show", "99999")
    _same_code_and_debug_adds_a_traceback(plain, debug, 4)


def test_a_wrong_key_exits_3_with_and_without_debug(run_cli, monkeypatch):
    def refuse(*args, **kwargs):
        raise AuthenticationError("RT at http://h rejected the credentials (HTTP 401)", status=401)

    monkeypatch.setattr(cmd_register, "open_registers", refuse)
    plain, debug = _both(run_cli, "register")
    _same_code_and_debug_adds_a_traceback(plain, debug, 3)


def test_an_internal_error_exits_70_with_and_without_debug(run_cli, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cmd_register, "open_registers", bug)
    plain, debug = _both(run_cli, "register")
    _same_code_and_debug_adds_a_traceback(plain, debug, 70)
    assert "internal error: RuntimeError: a bug" in plain.err


@pytest.mark.parametrize("command", [("show", "1"), ("hooks", "list"), ("hooks", "enable", "audit_log"), ("models",)])
def test_an_unknown_enabled_hook_is_bad_configuration_exit_2(run_cli, tmp_path, command):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG + '[hooks]\nenabled = ["no_such_hook"]\n')
    before = path.read_text()
    plain, debug = _both(run_cli, "--config", path, *command)
    _same_code_and_debug_adds_a_traceback(plain, debug, 2)
    assert "no_such_hook" in plain.err
    assert path.read_text() == before


def test_an_error_line_quoting_a_100_kB_config_value_is_cut(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG.replace('type = "rt"', f'type = "rt"\nlifecycle = "{"x" * 100_000}"'))
    result = run_cli("--config", path, "show", "1")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ci-plugin: error:") and len(lines[0]) <= MAX_LINE


def test_an_error_line_quoting_a_5_MB_host_message_is_cut(run_cli, monkeypatch):
    def refuse(*args, **kwargs):
        raise HostRefused("RT refused the change: " + "y" * 5_000_000, status=422)

    monkeypatch.setattr(cmd_workflow, "transition", refuse)
    monkeypatch.setattr(cmd_workflow, "open_register", lambda *a, **k: None)
    result = run_cli("transition", "57", "assessing")
    assert result.code == 5
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= MAX_LINE


def test_a_warning_quoting_a_huge_message_is_one_cut_line(capsys):
    warn("ticket 12 left flagged: " + "z\n" * 1_000_000)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= MAX_LINE + 1
