"""A loopback HTTP proxy in front of a live host that injects the failures a real network and a
busy host produce: 429 with ``Retry-After``, 5xx, and connection resets before or after the
host processed the request.

The live hosts never answer 429 or reset a connection on demand, so the contract suite puts this
proxy between ci-plugin and the host: every request that is not armed to fail reaches the real
host unchanged, and the answer comes back unchanged. Faults are armed per HTTP method, so a test
says "the next POST is refused with 429" without knowing the host's URLs.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length"}


@dataclass
class Fault:
    """What the proxy does instead of (or after) forwarding a request.

    ``kind`` is ``status`` (answer ``status`` with ``headers`` and ``body`` without forwarding),
    ``reset`` (drop the connection without forwarding) or ``reset_after`` (forward, let the host
    process the request, then drop the connection instead of answering).
    """

    kind: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Seen:
    """One request the proxy received, and what became of it."""

    method: str
    path: str
    outcome: str  # "forwarded", "status 429", "reset", "reset after forwarding"


class FaultProxy:
    """The proxy; use as a context manager. ``url`` is its base URL (same path as the host's)."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self.seen: list[Seen] = []
        self._armed: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{self.base_path}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- arming ---------------------------------------------------------------------------------

    def arm(self, method: str, fault: Fault, times: int = 1) -> None:
        """The next ``times`` requests with ``method`` meet ``fault``."""
        with self._lock:
            self._armed.setdefault(method.upper(), []).extend([fault] * times)

    def answer(self, method: str, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        """Arm a plain HTTP error answer (``Retry-After`` when given)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.arm(method, Fault("status", status, headers, f"HTTP {status} injected by the test proxy".encode()), times)

    def outcomes(self, method: str) -> list[str]:
        """What happened to each request with ``method``, in order."""
        return [s.outcome for s in self.seen if s.method == method.upper()]

    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._armed.get(method)
            return queue.pop(0) if queue else None

    # --- serving --------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence stderr
                pass

            def _reset(self) -> None:
                # SO_LINGER with a zero timeout: close() sends RST, the client sees a reset.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def _forward(self, body: bytes) -> http.client.HTTPResponse:
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                response.payload = response.read()  # type: ignore[attr-defined]
                upstream.close()
                return response

            def _record(self, outcome: str) -> None:
                with proxy._lock:
                    proxy.seen.append(Seen(self.command, self.path, outcome))

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._next_fault(self.command)
                if fault is not None and fault.kind == "reset":
                    self._record("reset")
                    self._reset()
                    return
                if fault is not None and fault.kind == "status":
                    self._record(f"status {fault.status}")
                    self.send_response(fault.status)
                    for name, value in fault.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(fault.body)))
                    self.end_headers()
                    self.wfile.write(fault.body)
                    return
                response = self._forward(body)
                if fault is not None and fault.kind == "reset_after":
                    self._record("reset after forwarding")
                    self._reset()
                    return
                self._record("forwarded")
                self.send_response(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.payload)))  # type: ignore[attr-defined]
                self.end_headers()
                self.wfile.write(response.payload)  # type: ignore[attr-defined]

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        return Handler
