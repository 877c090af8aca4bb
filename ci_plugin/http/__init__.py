"""One HTTP session per host: timeouts, retries, error mapping and request counting in one place.

Adapters never call ``requests`` directly; they call :meth:`HostSession.request`, which

* puts a ``(connect, read)`` timeout on every call;
* retries with exponential backoff only where it is safe: idempotent methods on connection
  errors and 502/503/504, and any method on 429 or 503 that carries ``Retry-After`` (the host
  did not process the request), honouring ``Retry-After`` up to a cap;
* maps failures to :mod:`ci_plugin.errors` with the host's own message;
* keeps the secret out of every message it produces (it lives only in the session headers, and
  is registered with :func:`ci_plugin.errors.register_secret`, so the CLI redacts it everywhere);
* bounds every request by a total deadline (the body is streamed, so a host trickling one byte
  at a time is cut off) and the back-off of the whole session (one command) by ``max_backoff``;
* parses answers safely (:meth:`HostSession.json`: size, depth and number-length limits; an
  answer that is not the JSON expected is a :class:`~ci_plugin.errors.HostBadAnswer`);
* bounds paged reads (:class:`Pager`: stop on an empty page, never past the reported total);
* counts requests per method, so benchmarks and tests can assert the number of calls.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from urllib.parse import urlsplit

import requests

from ci_plugin.version import __version__
from ci_plugin.errors import (
    AuthenticationError,
    HostBadAnswer,
    HostError,
    HostRefused,
    HostUnavailable,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    register_secret,
    redact,
)
from ci_plugin.http.answers import MAX_BODY_BYTES, MAX_PAGES, Pager, parse_json

__all__ = ["HostSession", "Pager", "parse_json", "host_message", "MAX_BODY_BYTES", "MAX_PAGES"]

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUS = frozenset({502, 503, 504})
class _DeadlineExceeded(Exception):
    """The total deadline of a request passed while its body was still arriving."""


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header (seconds or an HTTP date) into seconds, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def host_message(response: requests.Response) -> str:
    """Extract the host's own error words from a response: JSON ``message``/``errors``/
    ``error``, else the first line of the body."""
    try:
        body = parse_json(response.content or b"")
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "errors", "error", "errorMessages"):
            value = body.get(key)
            if isinstance(value, list) and value:
                return "; ".join(str(v) for v in value)
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])
            if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
                return "; ".join(f"{k}: {v}" for k, v in value.items())  # Jira: field -> message
            if value:
                return str(value)
    text = (response.text or "").strip()
    if text.startswith("<"):
        return ""
    return text.splitlines()[0][:200] if text else ""


class HostSession:
    """A ``requests.Session`` bound to one host's base URL, with the policy described above."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        secret: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        deadline: float = 120.0,
        max_backoff: float = 30.0,
        verify: bool = True,
        host_name: str = "host",
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.host_name = host_name
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.deadline = deadline
        self.max_backoff = max_backoff
        #: Seconds this session (one command) has spent backing off so far.
        self.backoff_spent = 0.0
        self._secret = secret
        register_secret(secret)
        self._sleep = sleep
        self.counts: Counter[str] = Counter()
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers.update(
            {"Accept": "application/json", "User-Agent": f"ci-plugin/{__version__}"}
        )
        if headers:
            self.session.headers.update(headers)

    @classmethod
    def from_config(
        cls, config: Any, *, auth: Callable[[str], dict[str, str]], host_name: str, api_path: str = ""
    ) -> HostSession:
        """The session of the host in ``config``'s ``[host]`` section: its URL (plus ``api_path``),
        timeouts, retries and TLS setting, JSON bodies, and the auth headers ``auth`` builds from
        the secret (read from ``token_env`` only now; the session redacts it from every message)."""
        host = config.data["host"]
        secret = config.token()
        return cls(
            host["url"].rstrip("/") + api_path,
            headers={**auth(secret), "Content-Type": "application/json"},
            secret=secret,
            connect_timeout=host["connect_timeout"],
            read_timeout=host["timeout"],
            retries=host["retries"],
            deadline=host.get("deadline", 120),
            max_backoff=host.get("max_backoff", 30),
            verify=host["verify_tls"],
            host_name=host_name,
        )

    @property
    def request_count(self) -> int:
        """How many HTTP requests went out (retries included)."""
        return sum(self.counts.values())

    def redact(self, text: str) -> str:
        """Return ``text`` with the secret (and every other registered one) replaced."""
        if self._secret and self._secret in text:
            text = text.replace(self._secret, "***")
        return redact(text)

    def json(self, response: requests.Response, expect: type | tuple[type, ...] = (dict, list),
             what: str | None = None) -> Any:
        """The JSON document of ``response``, parsed within size, depth and number-length limits,
        its top level of type ``expect``; anything else is one clear
        :class:`~ci_plugin.errors.HostBadAnswer` naming the request."""
        request = response.request
        where = what or (f"{request.method} {urlsplit(request.url or '').path}" if request else "request")
        try:
            document = parse_json(response.content or b"")
        except ValueError as exc:
            raise HostBadAnswer(f"{self.host_name} answered {where} with {exc}", status=response.status_code) from None
        if not isinstance(document, expect):
            names = " or ".join(t.__name__ for t in (expect if isinstance(expect, tuple) else (expect,)))
            raise HostBadAnswer(f"{self.host_name} answered {where} with JSON of the wrong shape "
                                f"({type(document).__name__}, expected {names})", status=response.status_code)
        return document

    def request_json(self, method: str, path: str, *, expect: type | tuple[type, ...] = (dict, list),
                     **kwargs: Any) -> Any:
        """:meth:`request`, then :meth:`json` of its answer (top level of type ``expect``)."""
        return self.json(self.request(method, path, **kwargs), expect)

    def url(self, path: str) -> str:
        """Absolute URL for ``path`` (which may already be absolute)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
        headers: dict[str, str | None] | None = None,
    ) -> requests.Response:
        """Send one logical request (with retries) and return the response.

        ``headers`` add to or, with ``None`` values, remove from the session's headers for this
        request only. Raises a :class:`~ci_plugin.errors.HostError` subclass for any status not
        in ``ok``.
        """
        method = method.upper()
        url = self.url(path)
        attempt = 0
        while True:
            attempt += 1
            self.counts[method] += 1
            try:
                response = self._send(method, url, params=params, json=json, headers=headers)
            except _DeadlineExceeded:
                raise HostUnavailable(
                    f"{self.host_name} at {self.base_url} did not answer {method} {path.split('?')[0]} "
                    f"within the {self.deadline:g} s deadline"
                ) from None
            except requests.exceptions.RequestException as exc:
                wait = self.backoff * 2 ** (attempt - 1)
                if method in IDEMPOTENT and attempt <= self.retries and self._may_wait(wait):
                    self._sleep(wait)
                    continue
                raise HostUnavailable(
                    f"{self.host_name} at {self.base_url} is unreachable: {self._describe(exc)}"
                ) from None
            if response.status_code in ok:
                # every adapter's response.json() is the safe parse: an HTML page, an empty or
                # truncated body, deep nesting or a 5,000-digit number is a HostBadAnswer
                response.json = functools.partial(self.json, response)  # type: ignore[method-assign]
                return response
            wait = self._retry_wait(method, response, attempt)
            if wait is not None and self._may_wait(wait):
                log.info("%s %s answered %s; retrying in %.1fs", method, path, response.status_code, wait)
                self._sleep(wait)
                continue
            raise self._error(method, path, response)

    def _retry_wait(self, method: str, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        if attempt > self.retries:
            return None
        status = response.status_code
        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        if status == 429 or (status == 503 and retry_after is not None):
            if retry_after is not None and retry_after > self.max_retry_after:
                return None
            return retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
        if status in RETRYABLE_STATUS and method in IDEMPOTENT:
            return self.backoff * 2 ** (attempt - 1)
        return None

    def _may_wait(self, seconds: float) -> bool:
        """Whether the session's back-off budget allows waiting ``seconds`` more (then counted)."""
        if self.backoff_spent + seconds > self.max_backoff:
            log.info("back-off budget of %gs spent; not waiting %.1fs more", self.max_backoff, seconds)
            return False
        self.backoff_spent += seconds
        return True

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One attempt: the headers within the timeouts, the body streamed within the deadline."""
        started = time.monotonic()
        response = self.session.request(method, url, timeout=self.timeout, stream=True, **kwargs)
        try:
            chunks, size = [], 0
            while True:
                if time.monotonic() - started > self.deadline:
                    raise _DeadlineExceeded
                chunk = response.raw.read1(65536, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise HostBadAnswer(f"{self.host_name} answered {method} {urlsplit(url).path} with "
                                        f"more than {MAX_BODY_BYTES} bytes", status=response.status_code)
                chunks.append(chunk)
        except (_DeadlineExceeded, HostBadAnswer):
            response.close()
            raise
        except Exception as exc:  # urllib3 errors while reading the body
            response.close()
            raise requests.exceptions.ConnectionError(str(exc)) from None
        response._content = b"".join(chunks)
        response._content_consumed = True
        response.close()
        return response

    @staticmethod
    def _describe(exc: Exception) -> str:
        if isinstance(exc, requests.exceptions.Timeout):
            return "timed out"
        if isinstance(exc, requests.exceptions.ConnectionError):
            return "connection failed"
        return exc.__class__.__name__

    def _error(self, method: str, path: str, response: requests.Response) -> HostError:
        status = response.status_code
        words = self.redact(host_message(response))
        where = f"{method} {path.split('?')[0]}"
        detail = f": {words}" if words else ""
        if status == 401:
            return AuthenticationError(
                f"{self.host_name} rejected the credentials (HTTP 401){detail}", status=status, host_message=words
            )
        if status == 403:
            return PermissionDenied(
                f"{self.host_name} denied {where} (HTTP 403){detail}", status=status, host_message=words
            )
        if status == 404:
            return NotFound(f"{self.host_name}: not found: {where}{detail}", status=status, host_message=words)
        if status in (400, 409, 422):
            return HostRefused(
                f"{self.host_name} refused {where} (HTTP {status}){detail}",
                status=status,
                messages=[words] if words else [],
            )
        if status == 429:
            reason = self.redact(response.headers.get("RateLimit-Reason", ""))[:80]
            detail += f" (reason: {reason})" if reason else ""
            return RateLimited(f"{self.host_name} is rate limiting (HTTP 429){detail}", status=status, host_message=words)
        if status >= 500:
            return ServerError(f"{self.host_name} failed on {where} (HTTP {status}){detail}", status=status, host_message=words)
        return HostError(f"{self.host_name}: unexpected HTTP {status} on {where}{detail}", status=status, host_message=words)
