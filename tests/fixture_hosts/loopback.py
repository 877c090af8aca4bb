"""The loopback HTTP server the fake hosts run on (Zammad, ServiceNow): a threaded server on
127.0.0.1 in a daemon thread, one answer per request from the fake's :meth:`LoopbackFake.answer`
(written in one piece, HTTP/1.1 keep-alive), its base URL, stopping it, and use as a context
manager."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackFake:
    """Base of a fake host served on loopback; subclasses define ``start()``."""

    server: ThreadingHTTPServer | None = None

    def answer(self, method: str, target: str, authorization: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """One request's answer: ``(status, body bytes, headers)``."""
        raise NotImplementedError

    def listen(self, port: int, name: str, methods: tuple[str, ...]) -> None:
        """Serve :meth:`answer` for ``methods`` on 127.0.0.1:``port`` (0: any free port) in a daemon
        thread named ``name``."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # one write per answer (headers and body), flushed by http.server
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, data, headers = fake.answer(self.command, self.path, self.headers.get("Authorization", ""), body)
                self.send_response(status)
                for header, value in headers.items():
                    self.send_header(header, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        for method in methods:
            setattr(Handler, f"do_{method}", Handler._serve)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name=name, daemon=True).start()

    @property
    def url(self) -> str:
        """Base URL of the running fake."""
        assert self.server is not None, "the fake is not started"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> LoopbackFake:
        """Start serving; return the fake."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
