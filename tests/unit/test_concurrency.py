"""The bounded write pool: never more in flight than allowed; a 429 with Retry-After pauses all."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ci_plugin.errors import HostUnavailable
from ci_plugin.http import HostSession
from ci_plugin.ops.concurrency import Gate, bounded, limit, parallel_session


class InFlight:
    """Counts jobs running at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1


@pytest.mark.parametrize("workers", [1, 2, 4, 7])
def test_never_more_jobs_in_flight_than_max_workers(workers):
    flight = InFlight()

    def work(n):
        with flight:
            time.sleep(0.002)
        return n * 2

    outcomes = list(bounded(range(40), work, max_workers=workers))
    assert sorted(r for _, r, _ in outcomes) == [n * 2 for n in range(40)]
    assert flight.most == workers  # the pool fills up to the limit, never beyond


def test_items_are_drawn_lazily_and_an_early_stop_starts_nothing_new():
    drawn = []

    def items():
        for n in range(1000):
            drawn.append(n)
            yield n

    results = bounded(items(), lambda n: n, max_workers=4)
    next(results)
    results.close()
    assert len(drawn) <= 8


def test_after_a_failure_one_job_at_a_time_until_one_succeeds():
    flight, at_start = InFlight(), {}

    def work(n):
        with flight:
            at_start[n] = flight.now
            time.sleep(0.002)
            if n < 10:
                raise HostUnavailable("down")
        return n

    outcomes = list(bounded(range(20), work, max_workers=4))
    assert sorted(n for n, _, exc in outcomes if exc is not None) == list(range(10))
    assert max(at_start[n] for n in range(4)) > 1  # the pool started full
    assert all(at_start[n] == 1 for n in range(4, 11))  # after a failure: alone, until one succeeded
    assert flight.most <= 4


def test_limit_reads_max_concurrency_and_a_bare_config_runs_sequentially():
    class Cfg:
        def __init__(self, host):
            self.data = {"host": host}

    assert limit(Cfg({"max_concurrency": 6})) == 6
    assert limit(Cfg({})) == 1


def test_gate_holds_every_waiter_until_the_pause_ends():
    clock = [100.0]
    slept = []
    gate = Gate(clock=lambda: clock[0], sleep=lambda s: (slept.append(s), clock.__setitem__(0, clock[0] + s)))
    gate.pause(3)
    gate.pause(1)  # a shorter pause does not shorten the one already set
    assert gate.wait() == 3 and slept == [3]
    assert gate.wait() == 0


class Stub:
    """A loopback host: the ``throttle_at``-th PUT is answered 429 with Retry-After: 1, every
    other PUT 200 after ``delay`` seconds; records arrival times and concurrency."""

    def __init__(self, delay: float = 0.15, throttle_at: int = 5):
        self.arrivals: list[float] = []
        self.throttled_at: float | None = None
        self.flight = InFlight()
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_PUT(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stub.lock:
                    stub.arrivals.append(time.monotonic())
                    number = len(stub.arrivals)
                with stub.flight:
                    if number == throttle_at:
                        body = json.dumps({"message": "slow down"}).encode()
                        self.send_response(429)
                        self.send_header("Retry-After", "1")
                        stub.throttled_at = time.monotonic()
                    else:
                        time.sleep(delay)
                        body = b"[]"
                        self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


def test_host_writes_in_parallel_stay_within_the_limit_and_are_all_counted(stub):
    session = HostSession(stub.url, host_name="stub")
    with parallel_session(session):
        outcomes = list(bounded(range(16), lambda n: session.request("PUT", f"ticket/{n}", json={}), max_workers=4))
    assert all(exc is None for _, _, exc in outcomes)
    assert stub.flight.most == 4
    assert session.counts["PUT"] == len(stub.arrivals) == 17  # 16 writes, one of them retried after the 429
    assert not isinstance(session.session, type(None)) and hasattr(session.session, "mount")  # restored


def test_a_429_with_retry_after_pauses_every_worker(stub):
    session = HostSession(stub.url, host_name="stub")
    with parallel_session(session) as gate:
        outcomes = list(bounded(range(12), lambda n: session.request("PUT", f"ticket/{n}", json={}), max_workers=4))
    assert all(exc is None for _, _, exc in outcomes) and gate.pauses == 1
    # Requests already on their way when the 429 went out may land just after it; after that,
    # none arrives before Retry-After has passed, although three workers got their answers.
    during_pause = [t for t in stub.arrivals if stub.throttled_at + 0.05 < t < stub.throttled_at + 0.9]
    assert during_pause == []
    assert len(stub.arrivals) == 13


def test_other_sessions_are_left_alone():
    with parallel_session(object()) as gate:
        assert gate is None
