"""A loopback stub of the parts of RT's REST2 that prioritisation uses, for benchmarks.

It serves N improvements from memory with the shapes RT 5.0.3 answers with (search pages of at
most 100 with ``CustomFields`` and ``_hyperlinks``, ``PUT /ticket/ID`` answering a list of
messages), counts every request by method and path, and binds to 127.0.0.1 only. ``latency``
adds that many seconds to every answer (a host farther away than loopback); the server answers
requests concurrently, as RT's does. :meth:`StubRT.add_top` adds one improvement with the best
possible WSJF score (one new top idea).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CF_NAMES = {"score": "CI Score", "rank": "CI Rank", "model": "CI Scoring Model", "assessment": "CI Assessment"}


def make_register(count: int, seed: int = 7, dependency_ratio: float = 0.05) -> dict[int, dict]:
    """N improvements with WSJF assessments; a few depend on another one."""
    rng = random.Random(seed)
    tickets = {}
    for number in range(1, count + 1):
        inputs = {"business_value": rng.randint(1, 20), "time_criticality": rng.randint(1, 20),
                  "risk_reduction": rng.randint(1, 20), "job_size": rng.randint(1, 20)}
        assessment = {"model": "wsjf", "inputs": inputs, "score": 0, "breakdown": []}
        depends = [rng.randint(1, count)] if rng.random() < dependency_ratio else []
        tickets[number] = {
            "Status": rng.choice(["new", "assessing", "approved", "planned", "in-progress"]),
            "Subject": f"Improvement {number}",
            "cf": {"CI Assessment": [json.dumps(assessment)], "CI Scoring Model": ["wsjf"]},
            "depends": [d for d in depends if d != number],
        }
    return tickets


class StubRT:
    """The stub server; ``requests`` counts (method, route) pairs."""

    def __init__(self, count: int, latency: float = 0.0):
        self.tickets = make_register(count)
        self.latency = latency
        self._ids: list[int] = []
        self.requests: Counter[tuple[str, str]] = Counter()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body) -> None:
                if stub.latency:
                    time.sleep(stub.latency)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                path = url.path.removeprefix("/REST/2.0/")
                stub.requests[("GET", path.split("/")[0])] += 1
                if path == "rt":
                    return self._send(200, {"Version": "5.0.3-stub"})
                if path.startswith("queue/"):
                    return self._send(200, {"id": 3, "Name": path.split("/", 1)[1], "Lifecycle": "ci-improvement"})
                if path == "tickets":
                    query = parse_qs(url.query)
                    page, per_page = int(query.get("page", ["1"])[0]), min(100, int(query.get("per_page", ["20"])[0]))
                    ids = stub.ids()
                    chunk = ids[(page - 1) * per_page: page * per_page]
                    items = [stub.item(i) for i in chunk]
                    pages = -(-len(ids) // per_page)
                    return self._send(200, {"items": items, "page": page, "pages": pages, "per_page": per_page,
                                            "total": len(ids), "count": len(items)})
                return self._send(404, {"message": "Resource does not exist"})

            def do_PUT(self):
                path = urlparse(self.path).path.removeprefix("/REST/2.0/")
                stub.requests[("PUT", path.split("/")[0])] += 1
                number = int(path.split("/")[1])
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                messages = []
                for name, value in body.get("CustomFields", {}).items():
                    stub.tickets[number]["cf"][name] = value if isinstance(value, list) else [value]
                    messages.append(f"{name} {value} added")
                return self._send(200, messages)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def ids(self) -> list[int]:
        """Ticket numbers in order (cached between pages)."""
        if len(self._ids) != len(self.tickets):
            self._ids = sorted(self.tickets)
        return self._ids

    def add_top(self) -> int:
        """Add one improvement with the highest WSJF score there is; return its number."""
        number = max(self.tickets) + 1
        inputs = {"business_value": 20, "time_criticality": 20, "risk_reduction": 20, "job_size": 1}
        assessment = {"model": "wsjf", "inputs": inputs, "score": 0, "breakdown": []}
        self.tickets[number] = {"Status": "new", "Subject": f"Improvement {number} (new, top)", "depends": [],
                                "cf": {"CI Assessment": [json.dumps(assessment)], "CI Scoring Model": ["wsjf"]}}
        return number

    def item(self, number: int) -> dict:
        """One search result as RT serialises it with fields=...,CustomFields,_hyperlinks."""
        ticket = self.tickets[number]
        return {
            "id": str(number), "type": "ticket", "Subject": ticket["Subject"], "Status": ticket["Status"],
            "Queue": {"id": "3", "type": "queue"}, "Owner": {"id": "Nobody"}, "Creator": {"id": "root"},
            "Created": "2026-11-24T10:00:00Z",
            "CustomFields": [{"id": str(k), "name": name, "type": "customfield", "values": values}
                             for k, (name, values) in enumerate(ticket["cf"].items(), start=1)],
            "_hyperlinks": [{"ref": "depends-on", "type": "ticket", "id": str(d)} for d in ticket["depends"]],
        }

    def __enter__(self) -> "StubRT":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
