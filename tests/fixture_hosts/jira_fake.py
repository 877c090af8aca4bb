"""A stateful fake of Jira Service Management Cloud's REST API v3, on a loopback port.

Built from ``/work/shared/hosts/jira.md`` and Atlassian's OpenAPI description (every answer of
the contract suite is checked against its schemas by ``openapi_check.py``, which this fake
calls on each exchange when given a checker). What it does as Jira does:

* Basic auth ``email:api_token``; a bad or missing one is 401. Two accounts: an administrator
  (*Administer Jira*) and an agent; admin-only endpoints answer the agent 403, and the issues of
  a project the agent may not browse (``HR``) are 404 to it, as if they did not exist.
* Errors are ``{"errorMessages": [...], "errors": {field: message}}``; a missing issue (or one
  the caller may not see) is 404 "Issue does not exist or you do not have permission to see it.".
* Issue types, custom fields (select, float, date, text field, text area), their contexts and
  options are created through the API by an administrator; a duplicate issue type is 409.
  An issue type joins a project through its issue type scheme (``PUT /issuetypescheme/{id}/
  issuetype``, refused for the default scheme), with the project's default workflow (``To Do``,
  ``In Progress``, ``Done``) and empty screens; a workflow of its own and screens are *not*
  offered over REST here (the admin console does it: :meth:`FakeJira.apply_manual_step`, fed
  with the text ``setup`` prints); a type outside the project cannot be created (400), and a field that is not on the
  issue type's screen is 400 "cannot be set. It is not on the appropriate screen, or unknown.".
* Descriptions and text-area fields are ADF (a string is 400); a select value is
  ``{"value": ...}`` and must be an option; text fields hold at most 255 characters.
* Transitions: ``GET`` lists only those valid from the current status; ``POST`` another id is
  400; a status of the ``done`` category sets ``resolutiondate``; each move is in the changelog.
* Links: ``POST /issueLink`` is 201 with an empty body, a duplicate "succeeds" without a second
  link; ``fields.issuelinks`` shows each link from the side read (``inwardIssue`` or
  ``outwardIssue``).
* ``/search/jql`` pages with ``nextPageToken`` (absent on the last page), ``maxResults``
  defaults to 50 and is capped at 100 here, ``fields`` defaults to ``id`` only; the old
  ``/search`` is gone (410). JQL: ``jira_fake_jql.py``.
* Comments page with ``startAt``/``maxResults``/``total``; internal JSM notes carry the
  ``sd.public.comment`` property ``{"internal": true}`` (``jsdPublic`` false when read).
* Rate limits on demand (:meth:`FakeJira.throttle`): 429 with or without ``Retry-After``, with
  ``X-RateLimit-Reset`` and ``RateLimit-Reason``; 503 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fixture_hosts.jira_fake_issues import IssueRoutes
from tests.fixture_hosts.jira_fake_search import SearchRoutes
from tests.fixture_hosts.jira_fake_state import ADMIN, JiraState, Reply, error

API = "/rest/api/3"


class FakeJira(SearchRoutes, IssueRoutes, JiraState):
    """The fake's state, its HTTP server, and the admin console (Python methods)."""

    def __init__(self, checker: Any = None, port: int = 0):
        JiraState.__init__(self)
        self.checker = checker  # openapi_check.OpenApiChecker, or None
        self.lock = threading.RLock()
        self._faults: list[tuple[int, str | None, str]] = []
        self.seen: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the fake site (``http://127.0.0.1:PORT``)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeJira:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- faults on demand -------------------------------------------------------------------

    def throttle(self, times: int = 1, *, retry_after: str | None = "1", reason: str = "jira-burst-based",
                 status: int = 429) -> None:
        """The next ``times`` requests are refused with ``status`` (429, or 503), with
        ``Retry-After`` unless it is ``None`` (JRACLOUD-82801), and ``RateLimit-Reason``."""
        with self.lock:
            self._faults.extend([(status, retry_after, reason)] * times)

    def _fault(self) -> Reply | None:
        with self.lock:
            if not self._faults:
                return None
            status, retry_after, reason = self._faults.pop(0)
        headers = {"X-RateLimit-Reset": (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%MZ")}
        if status == 429:
            headers["RateLimit-Reason"] = reason
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        words = "Rate limit exceeded." if status == 429 else "Service unavailable, try again later."
        return Reply(status, {"errorMessages": [words], "errors": {}}, headers)

    # --- HTTP -------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                reply = fake.dispatch(self.command, self.path, dict(self.headers), raw)
                body = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.body is not None:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return Handler

    def _user_of(self, headers: dict[str, str]) -> dict[str, Any] | None:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.startswith("Basic "):
            return None
        try:
            email, _, token = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        user = self.users.get(email)
        return user if user is not None and self.tokens.get(email) == token else None

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        """Answer one request (and let the checker see request and answer)."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return Reply(400, error("Unexpected character: the request body is not JSON."))
        with self.lock:
            self.seen.append((method, parts.path))
        reply = self._fault()
        if reply is None:
            user = self._user_of(headers)
            if user is None:
                reply = Reply(401, error("Client must be authenticated to access this resource."))
            else:
                with self.lock:
                    reply = self.route(method, parts.path, query, body, user)
        if self.checker is not None:
            self.checker.exchange(method, parts.path, query, body, reply.status, reply.body)
        return reply

    def route(self, method: str, path: str, query: dict[str, str], body: Any, user: dict[str, Any]) -> Reply:
        """The handler of ``method path``; 404 for a path Jira does not have."""
        if not path.startswith(API + "/"):
            return Reply(404, error("Not found"))
        parts = path[len(API) + 1:].strip("/").split("/")
        handler, args = self.resolve(method, parts)
        if handler is None:
            if parts == ["search"]:
                return Reply(410, error("The requested API has been removed. Please migrate to the "
                                        "/rest/api/3/search/jql API."))
            return Reply(405 if args == "method" else 404, error("Not found" if args != "method" else "Method not allowed"))
        self.caller = user
        return handler(*args, query=query, body=body)

    def resolve(self, method: str, parts: list[str]) -> tuple[Any, Any]:
        """``(handler, path arguments)`` of a request, ``(None, "method")`` for a known path
        and another method, ``(None, None)`` for an unknown path."""
        table = [
            (("myself",), {"GET": self.get_myself}),
            (("serverInfo",), {"GET": self.get_server_info}),
            (("field",), {"GET": self.get_fields, "POST": self.post_field}),
            (("field", "*", "context"), {"GET": self.get_contexts}),
            (("field", "*", "context", "*", "option"), {"GET": self.get_options, "POST": self.post_options}),
            (("issuetype",), {"GET": self.get_issue_types, "POST": self.post_issue_type}),
            (("project", "*"), {"GET": self.get_project}),
            (("project", "*", "statuses"), {"GET": self.get_project_statuses}),
            (("issue", "createmeta", "*", "issuetypes"), {"GET": self.get_createmeta_types}),
            (("issue", "createmeta", "*", "issuetypes", "*"), {"GET": self.get_createmeta_fields}),
            (("issueLinkType",), {"GET": self.get_link_types}),
            (("status",), {"GET": self.get_statuses}),
            (("component",), {"POST": self.post_component}),
            (("issuetypescheme", "project"), {"GET": self.get_project_schemes}),
            (("issuetypescheme", "*", "issuetype"), {"PUT": self.put_scheme_types}),
            (("issueLink",), {"POST": self.post_link}),
            (("issue",), {"POST": self.post_issue}),
            (("issue", "*"), {"GET": self.get_issue, "PUT": self.put_issue, "DELETE": self.delete_issue}),
            (("issue", "*", "transitions"), {"GET": self.get_transitions, "POST": self.post_transition}),
            (("issue", "*", "comment"), {"GET": self.get_comments, "POST": self.post_comment}),
            (("issue", "*", "changelog"), {"GET": self.get_changelog}),
            (("search", "jql"), {"GET": self.search, "POST": self.search}),
            (("user", "search"), {"GET": self.user_search}),
        ]
        for pattern, methods in table:
            if len(pattern) == len(parts) and all(p in ("*", q) for p, q in zip(pattern, parts)):
                if pattern[:2] == ("issue", "*") and parts[1] == "createmeta":
                    continue
                args = [q for p, q in zip(pattern, parts) if p == "*"]
                return (methods[method], args) if method in methods else (None, "method")
        return None, None

    # --- who, what ----------------------------------------------------------------------------

    def get_myself(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /myself``."""
        return Reply(200, self.user_bean(self.caller))

    def get_server_info(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /serverInfo``: a Cloud site."""
        return Reply(200, {"baseUrl": self.url, "deploymentType": "Cloud", "version": "1001.0.0-SNAPSHOT",
                           "versionNumbers": [1001, 0, 0], "buildNumber": 100295, "scmInfo": "fake",
                           "serverTitle": "Jira", "serverTime": self.now()})

    def user_search(self, query: dict[str, str], body: Any) -> Reply:
        """``GET /user/search?query=``: users whose email or display name begins with it."""
        wanted = (query.get("query") or query.get("accountId") or "").lower()
        found = [self.user_bean(u) for u in self.users.values()
                 if wanted and (u["emailAddress"].lower().startswith(wanted) or u["displayName"].lower().startswith(wanted)
                                or u["accountId"] == wanted)]
        return Reply(200, found)

    def _admin(self) -> Reply | None:
        if self.caller["emailAddress"] != ADMIN:
            return Reply(403, error("You do not have permission to perform this operation: Administer Jira is needed."))
        return None
