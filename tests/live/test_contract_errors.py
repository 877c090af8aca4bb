"""Contract: bad input gives one clear line on stderr, a non-zero exit, and writes nothing."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.live


def cli_process(*args, env=None):
    """Run ci-plugin in its own process, as a user does."""
    return subprocess.run([sys.executable, "-m", "ci_plugin", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "CI_PLUGIN_DISABLE_EXTERNAL": "1", **(env or {})}, timeout=60)


def assert_one_line_error(stderr: str, *words: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("ci-plugin: error: ") and "Traceback" not in stderr
    for word in words:
        assert word in lines[0], lines[0]


def secret_variable(host) -> str:
    return host.register.config.data["host"]["token_env"]


def test_unknown_ticket(host):
    result = cli_process("--config", host.config_path, "convert", "999999")
    assert result.returncode == 4 and result.stdout == ""
    assert_one_line_error(result.stderr, "999999")


def test_malformed_ticket_id(host):
    result = cli_process("--config", host.config_path, "convert", "12abc")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "ticket id '12abc' is not a positive number")


def test_wrong_token_never_shows_a_secret(host):
    name = secret_variable(host)
    result = cli_process("--config", host.config_path, "register", env={name: "wrong-secret-123"})
    assert result.returncode == 3
    assert_one_line_error(result.stderr, f"{host.register.host.label} rejected the credentials (HTTP 401)")
    assert "wrong-secret-123" not in result.stderr + result.stdout
    assert os.environ[name] not in result.stderr + result.stdout


def test_host_down(host, tmp_path):
    config = tmp_path / "down.toml"
    config.write_text(host.config_path.read_text().replace(host.url, "http://127.0.0.1:9"))
    result = cli_process("--config", config, "show", "1")
    assert result.returncode == 3
    assert_one_line_error(result.stderr, "at http://127.0.0.1:9", "is unreachable")


def test_bad_config_names_the_key(host, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(host.config_path.read_text() + '\n[states]\ndone = "x"\n')
    result = cli_process("--config", config, "register")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "$.states.done: unknown key 'done'")


def test_a_problem_link_to_a_non_problem_writes_nothing(host, run_cli):
    source = host.ticket("VPN drops")
    not_a_problem = host.ticket("Just an incident")
    result = run_cli("--config", host.config_path, "convert", source, "--problem", not_a_problem)
    assert result.code == 4
    assert f"ticket {not_a_problem} is not a problem record" in result.err
    assert host.improvements_for(source) == []
    assert not any("Converted into improvement" in c for c in host.comments(source))


def test_show_of_a_ticket_outside_the_register(host, run_cli):
    incident = host.ticket("Not an improvement")
    result = run_cli("--config", host.config_path, "show", incident)
    assert result.code == 4 and f"ticket {incident} is not an improvement" in result.err


def test_converting_an_improvement_is_refused(host, run_cli):
    improvement = run_cli("--config", host.config_path, "convert", host.ticket("Disk fills up")).out.strip()
    result = run_cli("--config", host.config_path, "convert", improvement)
    assert result.code == 2 and f"ticket {improvement} is itself an improvement" in result.err
