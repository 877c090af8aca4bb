"""The secret is redacted from every line the CLI prints or logs, whatever its origin, and error
lines are cut to a sane length (issue 8, points 15 and 19)."""

import http.server
import importlib
import json
import logging
import threading
from urllib.parse import quote_plus

import pytest

from ci_plugin import errors
from ci_plugin.cli.output import out, out_json
from ci_plugin.http import HostSession

cli_main = importlib.import_module("ci_plugin.cli.main")

SECRET = 'tok-"s3cr3t"/+value'


@pytest.fixture(autouse=True)
def clean_registry():
    errors.forget_secrets()
    yield
    errors.forget_secrets()


def run(monkeypatch, argv, func):
    """Run ``ci-plugin ARGV`` with the command's function replaced by ``func``."""
    real = cli_main.build_parser

    class Parser:
        def __init__(self):
            self.parser = real()

        def __getattr__(self, name):
            return getattr(self.parser, name)

        def parse_args(self, argv):
            args = self.parser.parse_args(argv)
            args.func = func
            return args

    monkeypatch.setattr(cli_main, "build_parser", Parser)
    return cli_main.main(argv)


def open_session():
    return HostSession("http://127.0.0.1:9", headers={"Authorization": f"token {SECRET}"}, secret=SECRET)


def test_an_rt_refusal_echoing_the_authorization_header_is_redacted(monkeypatch, capsys):
    def command(args):
        open_session()
        raise errors.HostRefused(f"RT refused: Authorization: token {SECRET} is not allowed",
                                 messages=[f"token {SECRET}"])

    assert run(monkeypatch, ["register"], command) == 5
    printed = capsys.readouterr().err
    assert SECRET not in printed and "Authorization: token ***" in printed


@pytest.mark.parametrize("toml_value", ['1234567890123', '["tok-abcdef-123"]', '{ v = "tok-abcdef-123" }',
                                        '12345.678'])
def test_a_token_of_the_wrong_type_is_not_printed_back_by_the_schema_error(tmp_path, capsys, toml_value):
    config = tmp_path / "ci.toml"
    config.write_text(f'[host]\ntype = "rt"\nurl = "http://127.0.0.1:9"\ntoken = {toml_value}\n')
    assert cli_main.main(["--config", str(config), "register"]) == 2
    printed = capsys.readouterr().err
    assert "$.host.token" in printed
    for leak in ("1234567890123", "tok-abcdef-123", "12345.678"):
        assert leak not in printed


def test_the_token_env_value_is_redacted_before_any_session_opens(tmp_path, monkeypatch, capsys):
    config = tmp_path / "ci.toml"
    config.write_text('[host]\ntype = "rt"\nurl = "http://127.0.0.1:9"\ntoken_env = "CI_TEST_TOKEN"\n')
    monkeypatch.setenv("CI_TEST_TOKEN", "env-secret-4242")

    def command(args):
        raise errors.ConfigError("bad value 'env-secret-4242'")

    assert run(monkeypatch, ["--config", str(config), "register"], command) == 2
    assert "env-secret-4242" not in capsys.readouterr().err


def test_a_host_answering_with_the_token_as_a_ticket_id_is_redacted_in_show(monkeypatch, capsys):
    def command(args):
        open_session()
        out(f"improvement #{SECRET}: title")
        out_json({"id": SECRET, "sources": [f"http://desk/?t={SECRET}"]})
        return 0

    assert run(monkeypatch, ["show", "1"], command) == 0
    printed = capsys.readouterr().out
    assert "improvement #***: title" in printed
    assert SECRET not in printed and json.dumps(SECRET)[1:-1] not in printed
    assert json.loads(printed.split("\n", 1)[1])["id"] == "***"  # still one JSON document


class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path.startswith("/start"):
            self.send_response(302)
            self.send_header("Location", f"/landing?token={quote_plus(SECRET, safe='')}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_redirect_url_carrying_the_token_is_redacted_in_debug_logs(monkeypatch, capsys):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen = []

    def command(args):
        s = HostSession(f"http://127.0.0.1:{server.server_address[1]}", secret=SECRET)
        s.request("GET", "start")
        seen.extend(h for h in logging.getLogger().handlers)
        return 0

    try:
        logging.getLogger().handlers.clear()
        assert run(monkeypatch, ["--debug", "register"], command) == 0
    finally:
        server.shutdown()
        server.server_close()
        for handler in seen:
            logging.getLogger().removeHandler(handler)
    printed = capsys.readouterr().err
    assert "/landing?token=***" in printed
    assert SECRET not in printed and quote_plus(SECRET, safe="") not in printed


def test_the_logging_filter_redacts_arguments_of_any_logger():
    errors.register_secret(SECRET)
    record = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, "GET %s", (f"/x?t={SECRET}",), None)
    assert cli_main.RedactingFilter().filter(record) is True
    assert record.getMessage() == "GET /x?t=***"


def test_an_internal_error_message_is_redacted(monkeypatch, capsys):
    def command(args):
        open_session()
        raise KeyError(SECRET)

    assert run(monkeypatch, ["register"], command) == 70
    assert SECRET not in capsys.readouterr().err


def test_a_100_kb_config_value_is_cut_in_the_error_line(tmp_path, capsys):
    config = tmp_path / "ci.toml"
    config.write_text(f'[host]\ntype = "rt"\nurl = "{"x" * 100_000}"\ntoken = "tok-1234"\n')
    assert cli_main.main(["--config", str(config), "register"]) == 2
    line = capsys.readouterr().err
    assert line.count("\n") == 1 and len(line) <= errors.MAX_LINE + 1 and line.rstrip().endswith("\u2026")


def test_a_5_mb_host_message_is_cut_in_the_error_line(monkeypatch, capsys):
    def command(args):
        raise errors.ServerError("RT failed on GET /rt (HTTP 500): " + "boom " * 1_000_000)

    assert run(monkeypatch, ["register"], command) == 1
    line = capsys.readouterr().err
    assert line.startswith("ci-plugin: error: RT failed on GET /rt (HTTP 500): boom")
    assert len(line) <= errors.MAX_LINE + 1


def test_a_secret_straddling_the_cut_is_redacted_before_cutting():
    errors.register_secret(SECRET)
    text = "x" * (errors.MAX_LINE - 5) + SECRET
    cut = errors.one_line(text)
    assert len(cut) <= errors.MAX_LINE and cut.endswith("***") and SECRET[:5] not in cut


def test_short_values_are_not_registered_so_output_stays_readable():
    errors.register_secret(1)
    errors.register_secret("ab")
    errors.register_secret(None)
    assert errors.redact("ticket 1 ab") == "ticket 1 ab"
