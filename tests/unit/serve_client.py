"""A WSGI test client for ``serve``'s application (no network): build the environ, call the app."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    """One response: status code, headers and the JSON body."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]


class _Stream(io.BytesIO):
    """``wsgi.input`` that counts what the application read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.taken = 0

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def call(app, body: bytes = b"", *, path: str = "/hooks/memory", method: str = "POST",
         headers: dict[str, str] | None = None, content_length: str | None = None) -> tuple[Answer, _Stream]:
    """POST ``body`` to ``app`` as waitress would hand it over; return the answer and the input stream."""
    stream = _Stream(body)
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": stream,
                               "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length,
                               "CONTENT_TYPE": "application/json"}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(response_headers)

    raw = b"".join(app(environ, start_response))
    return Answer(seen["status"], seen["headers"], json.loads(raw)), stream
