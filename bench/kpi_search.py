"""Requests a KPI computed from tickets costs, for N matching tickets (RT, Redmine, memory).

A loopback stub answers RT REST2 ``GET /REST/2.0/tickets`` (``page``/``per_page``, at most
100 per page, ``pages``/``total`` as RT 5.0.3 sends them) and Redmine ``GET /issues.json``
(``offset``/``limit``, ``total_count``) with N tickets created and resolved in the window, and
counts every request. The real adapters (``RTAdapter``, ``RedmineAdapter`` over their one
``HostSession``) and the memory host then compute a count and a p90 resolution time over the
window. The shapes of the answers are the live hosts' (the contract suite,
``tests/live/test_contract_measure.py``, runs the same code against them). Run on demand:

    .venv/bin/python bench/kpi_search.py [N ...]     # default: 1000
"""

from __future__ import annotations

import json
import math
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ci_plugin import config as config_module  # noqa: E402
from ci_plugin.domain import kpi_metrics  # noqa: E402
from ci_plugin.hosts.memory import MemoryAdapter, MemoryStore  # noqa: E402
from ci_plugin.hosts.redmine.adapter import RedmineAdapter  # noqa: E402
from ci_plugin.hosts.rt.adapter import RTAdapter  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 29, tzinfo=timezone.utc)


def tickets(count: int) -> list[tuple[datetime, datetime]]:
    """N tickets spread over the window, each resolved 1 to 48 hours after it was made."""
    span = (END - START).total_seconds() - 49 * 3600
    return [(START + timedelta(seconds=span * i / count), START + timedelta(seconds=span * i / count + 3600 * (1 + i % 48)))
            for i in range(count)]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Stub:
    """RT's ticket search and Redmine's issue list over the same N tickets, on 127.0.0.1."""

    def __init__(self, rows: list[tuple[datetime, datetime]]):
        self.rows, self.counts = rows, Counter()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                stub.counts[url.path] += 1
                if url.path == "/REST/2.0/tickets":
                    per, page = int(query.get("per_page", 20)), int(query.get("page", 1))
                    items = [{"id": str(i + 1), "type": "ticket", "Created": stamp(c), "Resolved": stamp(r)}
                             for i, (c, r) in enumerate(stub.rows)][(page - 1) * per:page * per]
                    body = {"page": page, "per_page": per, "count": len(items), "total": len(stub.rows),
                            "pages": float(math.ceil(len(stub.rows) / per)), "items": items}
                elif url.path == "/issues.json":
                    limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
                    items = [{"id": i + 1, "subject": "password reset", "created_on": stamp(c), "closed_on": stamp(r)}
                             for i, (c, r) in enumerate(stub.rows)][offset:offset + limit]
                    body = {"issues": items, "total_count": len(stub.rows), "offset": offset, "limit": limit}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def measure(adapter, query: str, metric: str) -> tuple[float | None, int]:
    span = kpi_metrics.Window(START, END)
    found = adapter.search_tickets(query, START, END, kpi_metrics.basis(metric))
    return kpi_metrics.compute(metric, None, span, found)


def run(count: int) -> None:
    rows = tickets(count)
    stub = Stub(rows)
    print(f"N = {count} matching tickets, window {stamp(START)}..{stamp(END)}")
    for name, adapter_class, query, path in (
            ("RT", RTAdapter, "Queue = 'General' AND Subject LIKE 'password'", "/REST/2.0/tickets"),
            ("Redmine", RedmineAdapter, "tracker_id=1&subject=~password", "/issues.json")):
        kind = name.lower()
        config = config_module.parse(f'[host]\ntype = "{kind}"\nurl = "{stub.url}"\ntoken = "bench"\n', environ={})
        for metric in ("count", "p90_resolution_hours"):
            stub.counts.clear()
            value, counted = measure(adapter_class(config), query, metric)
            print(f"  {name:8} {metric:22} value {value:10.4g} over {counted} tickets: "
                  f"{sum(stub.counts.values())} search request(s) (ceil(N/100) = {math.ceil(count / 100)})")
    store = MemoryStore("http://memory.localhost/bench", "bench")
    for created, resolved in rows:
        ticket = store.create_ticket("General", "password reset")
        store.tickets[ticket].created, store.tickets[ticket].resolved = created.isoformat(), resolved.isoformat()
    config = config_module.parse('[host]\ntype = "memory"\nurl = "http://memory.localhost/bench"\ntoken = "bench"\n', environ={})
    adapter = MemoryAdapter(config, store=store)
    for metric in ("count", "p90_resolution_hours"):
        before = adapter.session.request_count
        value, counted = measure(adapter, "Queue = 'General' AND Subject LIKE 'password'", metric)
        print(f"  {'memory':8} {metric:22} value {value:10.4g} over {counted} tickets: "
              f"{adapter.session.request_count - before} page call(s)")
    stub.server.shutdown()


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1000]:
        run(n)
