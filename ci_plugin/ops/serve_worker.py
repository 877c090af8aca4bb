"""``serve``'s memory and hands: delivery ids seen (replays), and one background worker thread.

The receiver answers at once and leaves the work here. One worker thread takes ticket ids off
a queue and converts each with :func:`ci_plugin.ops.sync.convert_flagged`, so every conversion
is the one ``sync`` makes, with its never-twice guarantee (a ``watch`` running beside ``serve``
included). A ticket already waiting in the queue is not queued again (a burst of duplicates
costs one host read). A failure is logged and the ticket stays flagged for the next event or
``sync`` pass, as in ``sync``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ci_plugin.errors import CIPluginError
from ci_plugin.ops.serve_signatures import TOLERANCE
from ci_plugin.ops.sync import convert_flagged
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)

#: Seconds a delivery id is remembered: twice the timestamp tolerance, so a replay of a
#: Standard Webhooks delivery is either remembered or refused for its stale timestamp.
REMEMBER = 2 * TOLERANCE
#: Most delivery ids remembered at once (the oldest are forgotten first).
MAX_REMEMBERED = 100_000


class Deliveries:
    """Delivery ids seen in the last :data:`REMEMBER` seconds; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int = MAX_REMEMBERED):
        self._clock = clock
        self._limit = limit
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, delivery_id: str) -> bool:
        """True the first time ``delivery_id`` is seen within the window, False for a replay."""
        now = self._clock()
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - REMEMBER or len(self._seen) >= self._limit):
                self._seen.popitem(last=False)
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = now
            return True


@dataclass
class WorkCounts:
    """What the worker did since it started."""

    queued: int = 0
    converted: int = 0
    not_flagged: int = 0
    failed: int = 0


class Worker:
    """One background thread converting the tickets events name, one at a time."""

    def __init__(self, register: ImprovementRegister,
                 work: Callable[[ImprovementRegister, str], object] = convert_flagged):
        self.register = register
        self._work = work
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._waiting: set[str] = set()
        self._lock = threading.Lock()
        self.counts = WorkCounts()
        self._thread = threading.Thread(target=self._run, name="ci-serve-worker", daemon=True)

    def start(self) -> "Worker":
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def submit(self, ticket_id: str) -> bool:
        """Queue ``ticket_id`` unless it is waiting already; True when queued."""
        with self._lock:
            if ticket_id in self._waiting:
                return False
            self._waiting.add(ticket_id)
            self.counts.queued += 1
        self._queue.put(ticket_id)
        return True

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every queued ticket is done (tests, the benchmark, shutdown)."""
        if timeout is None:
            self._queue.join()
            return
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the queued work, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            ticket_id = self._queue.get()
            try:
                if ticket_id is None:
                    return
                with self._lock:
                    self._waiting.discard(ticket_id)
                self._one(ticket_id)
            finally:
                self._queue.task_done()

    def _one(self, ticket_id: str) -> None:
        try:
            result = self._work(self.register, ticket_id)
        except CIPluginError as exc:
            self.counts.failed += 1
            log.warning("ticket %s: %s (left flagged for the next event or sync)", ticket_id, exc)
            return
        except Exception:  # noqa: BLE001 - a bug must not kill the only worker
            self.counts.failed += 1
            log.exception("ticket %s: internal error (left flagged)", ticket_id)
            return
        if result is None:
            self.counts.not_flagged += 1
            log.info("ticket %s: not flagged (converted already, or never flagged); nothing to do", ticket_id)
        else:
            self.counts.converted += 1
            improvement = getattr(result, "improvement", None)
            log.info("ticket %s -> improvement %s", ticket_id, getattr(improvement, "id", "?"))
