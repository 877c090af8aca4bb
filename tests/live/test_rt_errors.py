"""Bad input against the live RT: one clear line on stderr, a non-zero exit, nothing written."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.live


def cli_process(*args, env=None):
    """Run the installed ci-plugin in its own process (to see what a user sees)."""
    return subprocess.run([sys.executable, "-m", "ci_plugin", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def assert_one_line_error(stderr: str, *words: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("ci-plugin: error: ")
    assert "Traceback" not in stderr
    for word in words:
        assert word in lines[0]


def test_unknown_ticket(rt):
    result = cli_process("--config", rt.config_path, "convert", "999999")
    assert result.returncode == 4
    assert_one_line_error(result.stderr, "ticket 999999 does not exist")
    assert result.stdout == ""


def test_malformed_ticket_id(rt):
    result = cli_process("--config", rt.config_path, "convert", "12abc")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "ticket id '12abc' is not a positive number")


def test_wrong_token_never_shows_the_token(rt):
    result = cli_process("--config", rt.config_path, "register", env={"CI_PLUGIN_RT_TOKEN": "wrong-secret-123"})
    assert result.returncode == 3
    assert_one_line_error(result.stderr, "RT rejected the credentials (HTTP 401)")
    assert "wrong-secret-123" not in result.stderr + result.stdout
    assert os.environ["CI_PLUGIN_RT_TOKEN"] not in result.stderr


def test_rt_down(rt, tmp_path):
    config = tmp_path / "down.toml"
    config.write_text(rt.config_path.read_text().replace(rt.url, "http://127.0.0.1:9"))
    result = cli_process("--config", config, "show", "1")
    assert result.returncode == 3
    assert_one_line_error(result.stderr, "RT at http://127.0.0.1:9/REST/2.0 is unreachable")


def test_bad_config_names_the_key(rt, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(rt.config_path.read_text() + '\n[rt]\nqueues = "x"\n')
    result = cli_process("--config", config, "register")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "$.rt.queues: unknown key 'queues'")


def test_ticket_in_the_wrong_queue_as_problem_writes_nothing(rt, run_cli):
    source = rt.ticket("VPN drops")
    not_a_problem = rt.ticket("Just an incident")
    result = run_cli("--config", rt.config_path, "convert", source, "--problem", not_a_problem)
    assert result.code == 4
    assert f"ticket {not_a_problem} is not a problem record" in result.err
    assert rt.improvements_for(source) == []
    assert rt.comments(source) == ["Users cannot print after 5pm."]


def test_show_of_a_ticket_outside_the_register(rt, run_cli):
    incident = rt.ticket("Not an improvement")
    result = run_cli("--config", rt.config_path, "show", incident)
    assert result.code == 4
    assert f"ticket {incident} is not an improvement" in result.err


def test_converting_an_improvement_is_refused(rt, run_cli):
    source = rt.ticket("Disk fills up")
    improvement = run_cli("--config", rt.config_path, "convert", source).out.strip()
    result = run_cli("--config", rt.config_path, "convert", improvement)
    assert result.code == 2
    assert f"ticket {improvement} is itself an improvement" in result.err
