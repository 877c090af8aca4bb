"""``serve``'s WSGI application: ``POST /hooks/<host type>``, checked in a fixed order.

1. path ``/hooks/<the configured host type>`` (else 404), method POST (else 405);
2. size: a ``Content-Length`` over :data:`MAX_BODY` is 413 before anything is read, and at most
   ``MAX_BODY + 1`` bytes are ever read (a body that turns out longer is 413 too);
3. signature, on the raw bytes, before the body is parsed (:mod:`.serve_signatures`): 401;
4. JSON: 400 when the body is not UTF-8 JSON;
5. replay: a delivery id seen before answers 200 ``{"status": "duplicate"}`` and does nothing;
6. the ticket the event names is queued for the background worker: 202 ``{"status": "queued"}``
   (200 ``{"status": "ignored"}`` for an event that names none).

Every answer is a small JSON document. Log lines name the host type, the outcome and the
delivery id, never the secret or a signature (and pass the CLI's redaction as well).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from ci_plugin.errors import WebhookRefused
from ci_plugin.ops import serve_events, serve_signatures
from ci_plugin.ops.serve_worker import Deliveries

log = logging.getLogger(__name__)

#: Largest body accepted, in bytes (1 MB).
MAX_BODY = 1024 * 1024

_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 413: "Content Too Large", 500: "Internal Server Error"}


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers by lower-case, dash-separated name."""
    found = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
             if key.startswith("HTTP_") and isinstance(value, str)}
    return found


def _read_body(environ: dict[str, Any]) -> bytes:
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        if not length_text.isdigit():
            raise WebhookRefused(400, "Content-Length is not a number")
        if int(length_text) > MAX_BODY:
            raise WebhookRefused(413, f"body over {MAX_BODY} bytes")
    stream = environ["wsgi.input"]
    want = min(int(length_text), MAX_BODY + 1) if length_text else MAX_BODY + 1
    chunks: list[bytes] = []
    got = 0
    while got < want:
        chunk = stream.read(want - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    if got > MAX_BODY:
        raise WebhookRefused(413, f"body over {MAX_BODY} bytes")
    return b"".join(chunks)


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookRefused(400, "the body is not UTF-8 JSON") from None


class WebhookApp:
    """The WSGI callable. ``submit(ticket_id)`` hands work to the worker (never waits for it)."""

    def __init__(self, host_type: str, secret: str, submit: Callable[[str], object], *,
                 deliveries: Deliveries | None = None, now: Callable[[], float] = time.time):
        self.host_type = host_type
        self.path = f"/hooks/{host_type}"
        self.scheme = serve_signatures.SCHEMES.get(host_type, "standard")
        self._secret = secret
        self._submit = submit
        self._deliveries = deliveries or Deliveries()
        self._now = now

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, document = self._handle(environ)
        except WebhookRefused as exc:
            status, document = exc.status, {"error": str(exc)}
            log.warning("webhook %s: refused %d: %s", self.path, exc.status, exc)
        except Exception:  # noqa: BLE001 - a bug answers 500, the server keeps serving
            log.exception("webhook %s: internal error", self.path)
            status, document = 500, {"error": "internal error"}
        body = (json.dumps(document) + "\n").encode("utf-8")
        start_response(f"{status} {_REASONS.get(status, 'Error')}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _handle(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if environ.get("PATH_INFO", "") != self.path:
            raise WebhookRefused(404, f"no webhook here; this server takes {self.path}")
        if environ.get("REQUEST_METHOD") != "POST":
            raise WebhookRefused(405, "POST only")
        body = _read_body(environ)
        delivery = serve_signatures.verify(self.scheme, self._secret, _headers(environ), body, self._now)
        document = _parse(body)
        if not self._deliveries.first(delivery if self.scheme == "standard" else f"{self.scheme}:{delivery}"):
            log.info("webhook %s: delivery %s seen before; nothing done", self.path, _short(delivery))
            return 200, {"status": "duplicate"}
        ticket = serve_events.ticket_of(self.host_type, document)
        if ticket is None:
            log.info("webhook %s: delivery %s names no ticket; ignored", self.path, _short(delivery))
            return 200, {"status": "ignored"}
        self._submit(ticket)
        log.info("webhook %s: delivery %s: ticket %s queued", self.path, _short(delivery), ticket)
        return 202, {"status": "queued", "ticket": ticket}


def _short(delivery: str) -> str:
    """A delivery id fit for a log line (a hub delivery without an id is named by its
    signature: never log that)."""
    if "=" in delivery or len(delivery) > 80:
        return "(unnamed)"
    return delivery
