"""Issue 8, point 16 (what the CLI reads locally): a configuration file that is not UTF-8 or is
nested very deeply, a ``--file`` that is binary, UTF-16, deeply nested or holds NaN, ticket ids
that ``isdigit()`` accepts but ``int()`` refuses (``²``), and a token that is not Latin-1. Each
is one line on stderr with its documented exit code, never an internal error (70)."""

import codecs
import json

import pytest

from ci_plugin import config
from ci_plugin.errors import ConfigError
from tests.unit.cli_desk import cli_desk, improvement, writes  # noqa: F401 (fixture)

MINIMAL = '[host]\ntype = "rt"\nurl = "http://127.0.0.1:9"\ntoken_env = "CI_TEST_TOKEN"\n'


def one_error_line(result, code):
    assert result.code == code, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ci-plugin: error:"), result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    return lines[0]


@pytest.mark.parametrize("data,needle", [
    (b"\xff\xfe[\x00h\x00o\x00s\x00t\x00]\x00", "not UTF-8 text (it looks like UTF-16)"),
    (codecs.BOM_UTF16_LE + MINIMAL.encode("utf-16-le"), "not UTF-8 text (it looks like UTF-16)"),
    (MINIMAL.encode("latin-1") + '# caf\xe9\n'.encode("latin-1"), "not UTF-8 text"),
    (bytes(range(256)), "not UTF-8 text"),
])
def test_a_config_file_that_is_not_utf8_is_refused_in_one_line(run_cli, tmp_path, data, needle):
    path = tmp_path / "c.toml"
    path.write_bytes(data)
    line = one_error_line(run_cli("--config", path, "show", "1"), 2)
    assert needle in line


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000 + "]" * 5000 + "\n",
    "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n",
    MINIMAL + "[scoring.weighted]\ncriteria = " + "[" * 40 + "1" + "]" * 40 + "\n",
])
def test_a_deeply_nested_config_file_is_refused_in_one_line(run_cli, tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    line = one_error_line(run_cli("--config", path, "register"), 2)
    assert "nested" in line


def test_a_config_nesting_limit_names_the_path():
    with pytest.raises(ConfigError, match=r"\$\.hooks\.audit_log\.x(\[0\])+: nested more than"):
        config.parse(MINIMAL + "[hooks.audit_log]\nx = " + "[" * 30 + "]" * 30 + "\n", environ={})


@pytest.mark.parametrize("data,needle", [
    (bytes(range(256)) * 4, "binary data"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    (codecs.BOM_UTF16_LE + '{"value": 8, "effort": 2}'.encode("utf-16-le"), "UTF-16; save it as UTF-8"),
    (codecs.BOM_UTF16_BE + '{"value": 8, "effort": 2}'.encode("utf-16-be"), "UTF-16; save it as UTF-8"),
    (codecs.BOM_UTF32_LE + '{"value": 8}'.encode("utf-32-le"), "UTF-32; save it as UTF-8"),
    (b'{"value": "\xe9"}', "not UTF-8 text"),
    (("[" * 100_000 + "]" * 100_000).encode(), "nested too deeply"),
    (('{"value": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}").encode(), "nested too deeply"),
    (b'{"value": {"a": 1}, "effort": 2}', "$.value: expected a number or text, not an object"),
    (b'{"value": [8], "effort": 2}', "$.value: expected a number or text, not an array"),
    (b'{"value": NaN, "effort": 2}', "NaN is not a number JSON allows"),
    (b'{"value": Infinity, "effort": 2}', "Infinity is not a number JSON allows"),
    (b'{"value": ' + b"9" * 5000 + b', "effort": 2}', "--file"),
    (b'{"value": "\xef\xbc\x95", "effort": 2}', "ASCII digits"),
    (b"[1, 2, 3]", "expected a JSON object of inputs"),
    (b"", "not valid JSON"),
])
def test_a_bad_inputs_file_is_refused_in_one_line_before_writing(run_cli, cli_desk, tmp_path, data, needle):
    imp = improvement(cli_desk)
    path = tmp_path / "inputs.json"
    path.write_bytes(data)
    before = writes(cli_desk)
    line = one_error_line(run_cli("assess", imp, "--model", "quadrant", "--file", path), 2)
    assert needle in line
    assert writes(cli_desk) == before


def test_an_inputs_file_in_utf8_with_a_byte_order_mark_is_read(run_cli, cli_desk, tmp_path):
    imp = improvement(cli_desk)
    path = tmp_path / "inputs.json"
    path.write_bytes(codecs.BOM_UTF8 + json.dumps({"value": 8, "effort": 2}).encode())
    result = run_cli("assess", imp, "--model", "quadrant", "--file", path, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["assessment"]["inputs"] == {"value": 8, "effort": 2}


def test_set_wins_over_the_file(run_cli, cli_desk, tmp_path):
    imp = improvement(cli_desk)
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({"value": 8, "effort": 2}))
    result = run_cli("assess", imp, "--model", "quadrant", "--file", path, "--set", "effort=5", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["assessment"]["inputs"] == {"value": 8, "effort": 5}


def test_a_missing_or_unreadable_inputs_file_is_one_line(run_cli, cli_desk, tmp_path):
    imp = improvement(cli_desk)
    one_error_line(run_cli("assess", imp, "--file", tmp_path / "nope.json"), 2)
    one_error_line(run_cli("assess", imp, "--file", tmp_path), 2)


@pytest.mark.parametrize("command", [["show", "{id}"], ["transition", "{id}", "assessing"], ["convert", "{id}"],
                                     ["link", "{imp}", "--problem", "{id}"], ["convert", "{ticket}", "--into", "{id}"],
                                     ["case", "{id}", "--benefit", "1"]])
@pytest.mark.parametrize("bad_id", ["²", "³", "¹²", "①", "߀"])
def test_ids_that_isdigit_accepts_but_int_refuses_are_usage_errors(run_cli, cli_desk, command, bad_id):
    assert bad_id.isdigit() or bad_id.isnumeric()
    imp, ticket = improvement(cli_desk), cli_desk.ticket("Another")
    before = writes(cli_desk)
    line = one_error_line(run_cli(*[part.format(id=bad_id, imp=imp, ticket=ticket) for part in command]), 2)
    assert "is not a positive number" in line or "is not a ticket id" in line
    assert writes(cli_desk) == before


@pytest.mark.parametrize("token,needle", [
    ("s3cr\u00f6t-\u20ac-\u4e2d", "outside Latin-1"),
    ("s3cr3t-tok\nInjected: header", "control character"),
    ("s3cr3t-tok\r", "control character"),
    (" s3cr3t-tok", "begins or ends with a space"),
])
def test_a_token_that_cannot_be_sent_is_refused_naming_its_source_not_its_value(run_cli, tmp_path, monkeypatch,
                                                                                token, needle):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL)
    monkeypatch.setenv("CI_TEST_TOKEN", token)
    line = one_error_line(run_cli("--config", path, "show", "1"), 2)
    assert needle in line and "CI_TEST_TOKEN" in line
    assert token.strip()[:10] not in line


def test_a_token_in_the_file_that_is_not_latin1_is_refused_too(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL.replace('token_env = "CI_TEST_TOKEN"', 'token = "s\u00e9cr\u20act-token"'),
                    encoding="utf-8")
    line = one_error_line(run_cli("--config", path, "show", "1"), 2)
    assert "host.token" in line and "outside Latin-1" in line and "cr\u20act" not in line
