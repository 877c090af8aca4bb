"""HostSession against bad answers and slow hosts: safe JSON, a total deadline per request, a
back-off budget per command, bounded paging (issue 8, points 16 and 18)."""

import http.server
import threading
import time

import pytest
import responses

from ci_plugin import errors
from ci_plugin.http import HostSession, Pager, host_message

BASE = "http://desk.example/REST/2.0"


def session(**kw):
    sleeps = []
    s = HostSession(BASE, host_name="RT", sleep=sleeps.append, **kw)
    return s, sleeps


@pytest.mark.parametrize(
    "body,words",
    [
        ("<!DOCTYPE html><html><body>Login</body></html>", "an HTML page, not JSON"),
        ("", "an empty answer"),
        ('{"items": [{"id": 1}, {"id"', "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[" * 100 + "]" * 100, "nested deeper than 64"),
        ('{"id": ' + "9" * 5000 + "}", "a number of 5000 digits"),
        ('{"score": NaN}', "NaN, which JSON does not allow"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
@responses.activate
def test_an_answer_that_is_not_json_is_one_host_error(body, words):
    responses.get(f"{BASE}/tickets", body=body, status=200)
    s, _ = session()
    response = s.request("GET", "tickets")
    with pytest.raises(errors.HostBadAnswer) as caught:
        s.json(response)
    assert words in str(caught.value) and "GET /REST/2.0/tickets" in str(caught.value)
    assert isinstance(caught.value, errors.HostError) and caught.value.exit_code == 1
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


@responses.activate
def test_json_of_the_wrong_shape_is_a_host_error():
    responses.get(f"{BASE}/ticket/3", json=["not", "a", "ticket"])
    s, _ = session()
    with pytest.raises(errors.HostBadAnswer, match=r"wrong shape \(list, expected dict\)"):
        s.json(s.request("GET", "ticket/3"), expect=dict)
    responses.get(f"{BASE}/ticket/4", json={"id": 4})
    assert s.json(s.request("GET", "ticket/4"), expect=dict) == {"id": 4}


@responses.activate
def test_request_json_is_request_then_safe_json():
    responses.get(f"{BASE}/rt", json={"Version": "5"})
    responses.get(f"{BASE}/queue/1", body="<html>Login</html>")
    s, _ = session()
    assert s.request_json("GET", "rt", expect=dict) == {"Version": "5"}
    with pytest.raises(errors.HostBadAnswer, match="HTML page"):
        s.request_json("GET", "queue/1")


@responses.activate
def test_a_deeply_nested_error_body_still_gives_the_status_error():
    responses.get(f"{BASE}/rt", status=500, body="[" * 100_000)
    s, _ = session(retries=0)
    with pytest.raises(errors.ServerError, match="HTTP 500"):
        s.request("GET", "rt")
    assert host_message(s.session.get(f"{BASE}/rt")) == "[" * 200


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickling_host():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_host_trickling_its_body_is_cut_off_at_the_deadline(trickling_host):
    s = HostSession(trickling_host, host_name="RT", read_timeout=5, deadline=1.0, sleep=lambda _: None)
    started = time.monotonic()
    with pytest.raises(errors.HostUnavailable, match=r"did not answer GET slow within the 1 s deadline"):
        s.request("GET", "slow")
    assert time.monotonic() - started < 3
    assert s.request_count == 1  # a trickling host is not asked again


@responses.activate
def test_retry_after_60_three_times_is_refused_by_the_back_off_budget():
    responses.get(f"{BASE}/rt", status=429, headers={"Retry-After": "60"}, json={"message": "quota"})
    s, sleeps = session(max_backoff=30)
    with pytest.raises(errors.RateLimited, match="quota"):
        s.request("GET", "rt")
    assert sleeps == [] and s.request_count == 1


@responses.activate
def test_the_back_off_budget_spans_every_request_of_the_session():
    responses.get(f"{BASE}/rt", status=429, headers={"Retry-After": "4"})
    s, sleeps = session(max_backoff=10, retries=10)
    with pytest.raises(errors.RateLimited):
        s.request("GET", "rt")
    with pytest.raises(errors.RateLimited):
        s.request("GET", "rt")
    assert sleeps == [4.0, 4.0] and s.backoff_spent == 8.0


def test_from_config_reads_the_deadline_and_the_back_off_budget():
    class Conf:
        data = {"host": {"url": "http://x", "connect_timeout": 1, "timeout": 2, "retries": 1,
                         "verify_tls": True, "deadline": 7, "max_backoff": 3}}

        def token(self):
            return "tok-123456"

    s = HostSession.from_config(Conf(), auth=lambda t: {"Authorization": t}, host_name="RT")
    assert (s.deadline, s.max_backoff) == (7, 3)


def test_paging_stops_on_an_empty_page_whatever_the_claimed_total():
    pager = Pager(100)
    assert pager.more(1, [{"id": 1}] * 100, pages=10**9) is True
    assert pager.more(2, [], pages=10**9) is False


def test_paging_never_goes_past_the_total_of_the_first_page():
    pager = Pager(100)
    assert pager.more(1, [{"id": 1}] * 100, total=250) is True
    assert pager.more(2, [{"id": 1}] * 100, total=10**9) is True
    assert pager.more(3, [{"id": 1}] * 50, total=10**9) is False


def test_paging_is_bounded_when_the_host_reports_no_total():
    pager = Pager(100, max_pages=3)
    assert [pager.more(n, [1]) for n in (1, 2, 3)] == [True, True, False]


@pytest.mark.parametrize("pages", ["many", 1.5, "²", True, {"n": 1}])
def test_a_total_that_is_not_a_number_is_a_host_error(pages):
    with pytest.raises(errors.HostBadAnswer, match="total that is not a number"):
        Pager(100).more(1, [1], pages=pages)


def test_a_page_without_a_list_of_items_is_a_host_error():
    with pytest.raises(errors.HostBadAnswer, match="no list of items"):
        Pager(100).more(1, "items")


@pytest.mark.parametrize("pages, expected", [(0.0, [False]), (2.0, [True, False]), ("2", [True, False])])
def test_an_integral_float_total_is_a_number_as_rt_reports_it(pages, expected):
    pager = Pager(100)
    assert [pager.more(n, [1], pages=pages) for n in range(1, len(expected) + 1)] == expected
