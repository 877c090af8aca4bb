"""Benchmark: 200 signed deliveries in 10 seconds through ``ci-plugin serve``, half of them duplicates.

Builds a memory host kept in a JSON file (``CI_PLUGIN_MEMORY_STORE``) with N flagged tickets,
starts ``ci-plugin serve`` on it as its own process (waitress, 127.0.0.1:19211), and sends
2 x N Standard Webhooks deliveries from 8 client threads, paced over 10 seconds: each ticket's
delivery, and the same delivery again (a host retrying). Then it stops serve (SIGTERM: the
queued work is finished first) and reads the store back: exactly one improvement per ticket is
the pass condition. Prints the answers by status, latency of the answers (p50, p95, max), the
time until the last improvement existed, and serve's own counts. Run on demand:

    .venv/bin/python bench/serve_load.py [N] [SECONDS]     # default N = 100, 10 seconds
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tests.checkout  # noqa: E402,F401 (this checkout's schemas)
from ci_plugin import config as config_module  # noqa: E402
from ci_plugin.hosts.memory import MemoryAdapter, MemoryStore  # noqa: E402
from ci_plugin.ops.serve_signatures import sign_standard  # noqa: E402

PORT = 19211
URL = "http://memory.localhost/bench"
TOKEN = "bench-token"
SECRET = "whsec_YmVuY2gtc2VydmUtbG9hZC1zaGFyZWQta2V5"


def build(directory: Path, count: int) -> tuple[Path, Path, list[str]]:
    """The store file with ``count`` flagged tickets, and a config for it."""
    store_path = directory / "store.json"
    config_path = directory / "ci-plugin.toml"
    config_path.write_text(f'[host]\ntype = "memory"\nurl = "{URL}"\ntoken = "{TOKEN}"\n'
                           f'[webhooks]\nlisten = "127.0.0.1:{PORT}"\n')
    store = MemoryStore(URL, TOKEN, path=str(store_path))
    adapter = MemoryAdapter(config_module.parse(config_path.read_text(), environ={}), store=store)
    adapter.provision()
    store.install_workflow(json.loads(adapter.manual_steps()[0].content))
    flag = adapter.cf_names["candidate"]
    tickets = [store.create_ticket("General", f"Load ticket {n}", "pushed", {flag: "yes"}) for n in range(count)]
    return store_path, config_path, tickets


def start_serve(config: Path, store: Path) -> subprocess.Popen:
    """``ci-plugin serve`` as its own process; returns once it listens."""
    code = "import sys, tests.checkout; from ci_plugin.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI_PLUGIN_DISABLE_EXTERNAL": "1",
           "CI_PLUGIN_MEMORY_STORE": str(store), "CI_PLUGIN_WEBHOOK_SECRET": SECRET}
    process = subprocess.Popen([sys.executable, "-c", code, "--config", str(config), "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/", timeout=1)
            return process
        except requests.ConnectionError:
            if process.poll() is not None:
                raise SystemExit(f"serve exited: {process.stderr.read()}")
            time.sleep(0.1)
    raise SystemExit("serve did not listen")


def main() -> int:
    """Run the load; exit 1 unless every ticket has exactly one improvement."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    with tempfile.TemporaryDirectory(prefix="ci-serve-bench-") as tmp:
        store_path, config, tickets = build(Path(tmp), count)
        process = start_serve(config, store_path)
        deliveries = []
        for n, ticket in enumerate(tickets):
            body = json.dumps({"type": "ticket.flagged", "data": {"ticket": ticket}}).encode()
            deliveries.append((f"bench-{n}", body))
        plan = [d for pair in zip(deliveries, deliveries) for d in pair]  # each one, then its duplicate
        gap = seconds / len(plan)
        started = time.perf_counter()
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        http = threading.local()

        def send(index: int) -> None:
            delay = started + index * gap - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            delivery, body = plan[index]
            session = getattr(http, "session", None) or requests.Session()
            http.session = session
            sent = time.perf_counter()
            answer = session.post(f"http://127.0.0.1:{PORT}/hooks/memory", data=body, timeout=10,
                                  headers={"Content-Type": "application/json", **sign_standard(SECRET, delivery, body)})
            with lock:
                latencies.append(time.perf_counter() - sent)
                statuses[answer.status_code] += 1

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(send, range(len(plan))))
        sent_in = time.perf_counter() - started
        store = MemoryStore.load(str(store_path))
        while True:  # until the worker has converted the last ticket (it writes the store file)
            store.refresh()
            done = [r for r in store.select(lambda r: r.queue == "Improvements")]
            if len(done) >= count or time.perf_counter() - started > seconds + 120:
                break
            time.sleep(0.1)
        all_done = time.perf_counter() - started
        process.terminate()
        _, log = process.communicate(timeout=120)
        store.refresh()
        improvements = store.select(lambda r: r.queue == "Improvements")
        flag_name = "Improvement candidate"
        per_ticket = Counter(t for r in improvements for t in (r.fields.get("CI Source Ticket") or []))
        still_flagged = [t for t in tickets if store.tickets[t].fields.get(flag_name) == "yes"]
    latencies.sort()
    ok = sorted(per_ticket) == sorted(tickets) and set(per_ticket.values()) == {1} and len(improvements) == count
    print(f"deliveries: {len(plan)} ({count} distinct, {len(plan) - count} duplicates) sent in {sent_in:.2f} s "
          f"from 8 threads")
    print("answers: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    print(f"answer latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    print(f"last improvement existed {all_done:.2f} s after the first delivery")
    print(f"improvements: {len(improvements)} for {count} tickets; per ticket: {sorted(set(per_ticket.values()))}; "
          f"still flagged: {len(still_flagged)}")
    print("serve: " + (log.strip().splitlines() or ["(no output)"])[-1])
    print("PASS: exactly one improvement per distinct ticket" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
