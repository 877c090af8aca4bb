"""Bulk work through a small bounded pool, with one back-off shared by every worker.

:func:`bounded` runs independent jobs (one host write each, say) on at most ``max_workers``
threads and yields each outcome as it completes; never more than ``max_workers`` jobs are in
flight. After a job fails the pool sends one job at a time until one succeeds again, so a host
that went away is not hammered (and a caller counting consecutive failures sees them one by one).

:func:`parallel_session` makes a :class:`~ci_plugin.http.HostSession` safe to share between those
threads for the duration of a batch, without changing its policy (timeouts, retries, error
mapping stay in ``HostSession.request``): every thread sends through its own
``requests.Session`` (a ``requests.Session`` is not guaranteed thread-safe) carrying the same
headers and TLS setting, request counts are kept per thread and added up at the end, and a
:class:`Gate` holds every worker back while the host has asked to wait: an answer 429, or 503
with ``Retry-After``, pauses all workers (not only the one that got it) for that long.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import requests

from ci_plugin.http import HostSession, _retry_after_seconds

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 4


def limit(config: Any) -> int:
    """``[host] max_concurrency`` of ``config`` (schema default 4); 1 when the configuration has
    no such setting at all (a hand-built configuration runs sequentially)."""
    host = getattr(config, "data", {}).get("host", {})
    return max(1, int(host.get("max_concurrency") or 1))


class Gate:
    """A shared pause: :meth:`pause` closes it for some seconds, :meth:`wait` blocks while closed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until = 0.0
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        """Hold every worker back for ``seconds`` from now (a longer pause already set wins)."""
        with self._lock:
            self._until = max(self._until, self._clock() + max(0.0, seconds))
            self.pauses += 1

    def wait(self) -> float:
        """Block while the gate is closed; return how long this call waited."""
        waited = 0.0
        while True:
            with self._lock:
                left = self._until - self._clock()
            if left <= 0:
                return waited
            self._sleep(left)
            waited += left


def bounded(items: Iterable[T], work: Callable[[T], R], *, max_workers: int) -> Iterator[tuple[T, R | None, Exception | None]]:
    """Run ``work(item)`` for every item on at most ``max_workers`` threads; yield
    ``(item, result, None)`` or ``(item, None, exception)`` as each completes.

    Items are drawn lazily (a generator of 100,000 writes is never materialised). With
    ``max_workers`` 1 everything runs in the calling thread, in order. If the consumer stops
    early (an exception, ``close()``), nothing new starts and the jobs in flight are waited for.
    """
    if max_workers <= 1:
        for item in items:
            try:
                yield item, work(item), None
            except Exception as exc:  # noqa: BLE001 - handed to the caller, who decides
                yield item, None, exc
        return
    source = iter(items)
    pending: dict[Future, T] = {}
    window = max_workers
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ci-write") as pool:
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < window:
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[pool.submit(work, item)] = item
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    item = pending.pop(future)
                    exc = future.exception()
                    window = 1 if exc is not None else max_workers
                    if exc is None:
                        yield item, future.result(), None
                    elif isinstance(exc, Exception):
                        yield item, None, exc
                    else:  # KeyboardInterrupt and the like are not the caller's to skip
                        raise exc
        finally:
            for future in pending:
                future.cancel()


class _PerThreadSessions:
    """Stands in for ``HostSession.session`` during a batch: each thread gets its own
    ``requests.Session`` copied from the original, and waits at the gate before sending."""

    def __init__(self, original: requests.Session, gate: Gate, max_pause: float):
        self._original = original
        self._gate = gate
        self._max_pause = max_pause
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[requests.Session] = []
        self.headers = original.headers
        self.verify = original.verify

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.clear()
            session.headers.update(self._original.headers)
            session.verify = self._original.verify
            session.auth = self._original.auth
            session.cert = self._original.cert
            session.proxies.update(self._original.proxies)
            session.trust_env = self._original.trust_env
            self._local.session = session
            with self._lock:
                self._opened.append(session)
        return session

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Wait while the host asked every worker to wait, send, and close the gate on 429/503
        with ``Retry-After`` (the retry itself stays ``HostSession``'s)."""
        self._gate.wait()
        response = self._session().request(method, url, **kwargs)
        if response.status_code in (429, 503):
            seconds = _retry_after_seconds(response.headers.get("Retry-After"))
            if seconds is not None:
                self._gate.pause(min(seconds, self._max_pause))
        return response

    def close(self) -> None:
        """Close every per-thread session."""
        for session in self._opened:
            session.close()


class _PerThreadCounts:
    """Stands in for ``HostSession.counts``: ``counts[m] += 1`` from many threads loses nothing."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Counter[str]] = []

    def _mine(self) -> Counter[str]:
        counts = getattr(self._local, "counts", None)
        if counts is None:
            counts = self._local.counts = Counter()
            with self._lock:
                self._all.append(counts)
        return counts

    def __getitem__(self, key: str) -> int:
        return self._mine()[key]

    def __setitem__(self, key: str, value: int) -> None:
        self._mine()[key] = value

    def total(self) -> Counter[str]:
        """Every thread's counts added up."""
        result: Counter[str] = Counter()
        for counts in self._all:
            result.update(counts)
        return result


@contextmanager
def parallel_session(session: Any, gate: Gate | None = None) -> Iterator[Gate | None]:
    """Make ``session`` (a :class:`HostSession`) safe to share between worker threads inside the
    block; yield the shared gate, or None (and change nothing) for any other kind of session."""
    if not isinstance(session, HostSession):
        yield None
        return
    gate = gate or Gate()
    original_session, original_counts = session.session, session.counts
    sessions = _PerThreadSessions(original_session, gate, session.max_retry_after)
    counts = _PerThreadCounts()
    session.session, session.counts = sessions, counts  # type: ignore[assignment]
    try:
        yield gate
    finally:
        session.session, session.counts = original_session, original_counts
        original_counts.update(counts.total())
        sessions.close()


def workers_for(config: Any, session: Any) -> int:
    """How many workers a batch on this host may use: ``max_concurrency`` for a host reached
    through a :class:`HostSession` (made thread-safe by :func:`parallel_session`), else 1."""
    return limit(config) if isinstance(session, HostSession) else 1
